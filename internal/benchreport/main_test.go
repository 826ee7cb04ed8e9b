package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
cpu: Test CPU @ 1.00GHz
BenchmarkPeak-2   	 100	 100000 ns/op	 100.0 GFLOP/s
BenchmarkPeak-2   	 100	 100000 ns/op	 80.0 GFLOP/s
BenchmarkPeak-2   	 100	 100000 ns/op	 90.0 GFLOP/s
BenchmarkProduct/L1Forward/vecgen-2 	 10	 300000 ns/op	 86.0 GFLOP/s
BenchmarkProduct/L1Forward/vecgen-2 	 10	 320000 ns/op	 80.0 GFLOP/s
BenchmarkProduct/L1Forward/gonum-2  	 10	 3100000 ns/op	 8.0 GFLOP/s
BenchmarkProduct/L1Forward/naive-2  	 10	 12400000 ns/op	 2.0 GFLOP/s
BenchmarkTrainStep/sgd/samples=64/procs=1-2  	 10	 600000 ns/op	 106666 samples/s
PASS
`

func TestReport(t *testing.T) {
	runs, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	peak, ok := median(runs, "BenchmarkPeak", "GFLOP/s")
	require.True(t, ok)
	assert.Equal(t, 90.0, peak, "the median of three")
	ns, _ := median(runs, "BenchmarkProduct/L1Forward/vecgen", "ns/op")
	assert.Equal(t, 310000.0, ns, "the median of two is their mean")

	out := render(runs, cpu([]byte(sample)))
	assert.Contains(t, out, "Measured on: Test CPU @ 1.00GHz.")
	assert.Contains(t, out, "**90.0 GFLOP/s**, 78% of the nominal 115")
	assert.Contains(t, out, "| L1Forward | 64×784·784×256 | 310 µs | 83.0 | 72% | 92% | ≥ 104 (missed) | 10.0× | 40.0× |")
	assert.Contains(t, out, "| train step, SGD, 64 samples, 1 core | 600 µs | 106.7k | ≤ 0.62 ms (met) |")
	assert.NotContains(t, out, "L2Forward", "rows without results are left out")
	assert.NotContains(t, out, "batch-1 forward", "the batch-1 total needs all three kernels")
}

func TestParseRejectsBrokenLines(t *testing.T) {
	_, err := parse(strings.NewReader("BenchmarkX-2 10 12 ns/op 5\n"))
	assert.Error(t, err)
}

func TestSplice(t *testing.T) {
	file := filepath.Join(t.TempDir(), "P.md")
	require.NoError(t, os.WriteFile(file, []byte("# P\n<!-- benchreport -->\nold\n<!-- /benchreport -->\ntail\n"), 0o644))
	require.NoError(t, splice(file, "new\n"))
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "# P\n<!-- benchreport -->\nnew\n<!-- /benchreport -->\ntail\n", string(got))
	require.NoError(t, os.WriteFile(file, []byte("no markers"), 0o644))
	assert.Error(t, splice(file, "x"))
}
