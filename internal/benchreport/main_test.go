package main

import (
	"fmt"
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
BenchmarkPeakZMM-2	 100	 100000 ns/op	 200.0 GFLOP/s
BenchmarkProduct/L1Forward/vecgen-2 	 10	 300000 ns/op	 86.0 GFLOP/s
BenchmarkProduct/L1Forward/vecgen-2 	 10	 320000 ns/op	 80.0 GFLOP/s
BenchmarkProduct/L1Forward/gonum-2  	 10	 3100000 ns/op	 8.0 GFLOP/s
BenchmarkProduct/L1Forward/naive-2  	 10	 12400000 ns/op	 2.0 GFLOP/s
BenchmarkProduct/L2Forward/vecgen-2 	 10	 40000 ns/op	 180.0 GFLOP/s
BenchmarkProduct/L3Forward/vecgen-2 	 10	 4000 ns/op	 41.0 GFLOP/s
BenchmarkTrainStep/sgd/samples=64/procs=1-2  	 10	 600000 ns/op	 106666 samples/s
BenchmarkPredictOne-2	 10	 10000 ns/op
BenchmarkTrainStep/adam/samples=64/procs=1-2  	 10	 700000 ns/op	 91428 samples/s
PASS
cpu: Test CPU @ 1.00GHz
BenchmarkFitEpoch/workers=1-2	 2	 760000000 ns/op	 78947 samples/s	 938.0 steps/op
BenchmarkFitEpoch/workers=1-2	 2	 800000000 ns/op	 75000 samples/s	 938.0 steps/op
BenchmarkFitEpoch/workers=1-2	 2	 740000000 ns/op	 81081 samples/s	 938.0 steps/op
BenchmarkFitEpoch/workers=2-2	 2	 500000000 ns/op	 120000 samples/s	 469.0 steps/op
PASS
cpu: Test CPU @ 1.00GHz
BenchmarkProduct/L1Forward/vecgen/avx2-2 	 10	 330000 ns/op	 76.0 GFLOP/s
BenchmarkTrainStep/sgd/samples=64/procs=1/avx2-2  	 10	 650000 ns/op	 98461 samples/s
blas: openblas 0.3.21, core SkylakeX, pthreads, 1 thread
numpy: 1.24.2
torch: 1.13.0
BenchmarkProduct/L1Forward/numpy	 10	 400000 ns/op	 64.2 GFLOP/s
BenchmarkProduct/L1Forward/torch	 10	 360000 ns/op	 71.3 GFLOP/s
BenchmarkProduct/L2Forward/numpy	 10	 50000 ns/op	 168 GFLOP/s
BenchmarkProduct/L3Forward/numpy	 10	 15000 ns/op	 10.9 GFLOP/s
BenchmarkProduct/L3Forward/numpy-bare	 10	 3500 ns/op	 46.8 GFLOP/s
BenchmarkPredictOne/numpy	 10	 20000 ns/op
BenchmarkPredictOne/torch	 10	 30000 ns/op
BenchmarkTrainStep/sgd/samples=64/procs=1/numpy	 10	 1000000 ns/op	 64000 samples/s
BenchmarkFitEpoch/workers=1/torch	 2	 2400000000 ns/op	 25000 samples/s
BenchmarkFitEpoch/workers=2/torch	 2	 2000000000 ns/op	 30000 samples/s
mca: llvm-mca 19.1.7
mcacpu: znver5
BenchmarkPredict/L1Forward/neon/neoverse-n1 1 50.06 cycles/iter 100 FMAs/iter 99.9 %bound 99.9 %peak
BenchmarkPredict/L1Forward/neon/neoverse-v1 1 25.06 cycles/iter 100 FMAs/iter 99.9 %bound 99.8 %peak
BenchmarkPredict/L1Forward/neon/apple-m1 1 33.38 cycles/iter 100 FMAs/iter 99.9 %bound 74.9 %peak
BenchmarkPredict/L1Forward/avx512/znver5 1 156.04 cycles/iter 104 FMAs/iter 66.7 %bound
BenchmarkPredict/L1Forward/avx2/znver5 1 24.07 cycles/iter 48 FMAs/iter 99.8 %bound
`

func TestReport(t *testing.T) {
	runs, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	peak, ok := median(runs, "BenchmarkPeak", "GFLOP/s")
	require.True(t, ok)
	assert.Equal(t, 90.0, peak, "the median of three")
	ns, _ := median(runs, "BenchmarkProduct/L1Forward/vecgen", "ns/op")
	assert.Equal(t, 310000.0, ns, "the median of two is their mean")

	out := render(runs, configs([]byte(sample)))
	assert.Contains(t, out, "Measured on: Test CPU @ 1.00GHz.")
	assert.Contains(t, out, "ymm **90.0 GFLOP/s** (BenchmarkPeak), 78% of the nominal 115; zmm **200.0 GFLOP/s** (BenchmarkPeakZMM). \"% of zmm\" is of the widest.")
	assert.Contains(t, out, "numpy 1.24.2 and PyTorch 1.13.0 on openblas 0.3.21, core SkylakeX, pthreads, 1 thread.")
	assert.Contains(t, out, "| product | shape | vecgen | AVX2 tier | numpy | PyTorch | vecgen's speed ÷ best peer's | % of zmm | target |")
	assert.Contains(t, out, "| L1Forward | 64×784·784×256 | 310 µs | 330 µs | 400 µs | 360 µs | 1.16× (PyTorch) | 42% | ≥ 1.15× and ≥ 85%: missed |",
		"faster than the best peer, but at 83 of 200 GFLOP/s")
	assert.Contains(t, out, "| L2Forward | 64×256·256×128 | 40 µs | – | 50 µs | – | 1.25× (numpy) | 90% | ≥ 1.15× and ≥ 85%: met |")
	assert.Contains(t, out, "| L3Forward | 64×128·128×10 | 4 µs | – | 15 µs | – | 3.75× (numpy) | 20% | – |")
	assert.Contains(t, out, "| L3 forward with softmax, 64×128·128×10 | 4 µs | – | 15 µs | – | 0.27× (numpy) | 20% | ≤ 1.00× numpy's bare product (3.5 µs): 1.14×, missed |")
	assert.Contains(t, out, "| batch-1 forward, Predict (spec/testdata/fashion1.yaml) | 10 µs | – | 20 µs | 30 µs | 0.50× (numpy) | 23% | ≤ 0.20× numpy's (20 µs): 0.50×, missed |")
	assert.Contains(t, out, "| train step, SGD, 64 samples, 1 core | 600 µs | 650 µs | 1 ms | – | 0.60× (numpy) | 54% | ≤ 0.70× numpy's (1 ms): 0.60×, met |")
	assert.NotContains(t, out, "256 samples", "rows without a vecgen result are left out")
	assert.Contains(t, out, "| L1Forward | 83.0 | 72% | ≥ 104 (missed) | 10.0× | 40.0× |")
	assert.Contains(t, out, "| train step, SGD, 64 samples, 1 core | 600 µs | 106.7k | ≤ 0.62 ms (met) |")
	assert.NotContains(t, out, "L2WeightGrad", "rows without results are left out")
	assert.NotContains(t, out, "batch-1 forward (the three", "the batch-1 total needs all three kernels")
	assert.Contains(t, out, "| Predict, 1 sample (spec/testdata/fashion1.yaml) | 10 µs | – | – |")
	assert.NotContains(t, out, "Predict of n rows", "no row count was measured")

	assert.Contains(t, out, "as llvm-mca 19.1.7 predicts it")
	assert.Contains(t, out, "| L1Forward | 64×784·784×256 | 100% | 100% | 100% / 75% | 67% | 42% | 100% | 84% |",
		"the predictions beside this run's measured share of each ceiling (83 of 200 zmm, 76 of 90 ymm)")
	assert.NotContains(t, out, "| L2Forward | 64×256·256×128 | 100%", "a product without predictions has no row")
	assert.Contains(t, out, "| epoch | time | samples/s | Fit's time ÷ PyTorch's, as many threads | speed-up over one | time ÷ (steps × Adam step of 64 samples, 1 core) |")
	assert.Contains(t, out, "| Fit, 1 worker | 760 ms | 78.9k | 0.32× (≤ 0.60×: met) | – | 1.16× (938 × 700 µs; ≤ 1.10×: missed) |",
		"the median of three epochs, against 938 steps of 700 µs (657 ms)")
	assert.Contains(t, out, "| Fit, 2 workers | 500 ms | 120.0k | 0.25× | 1.52× (≥ 1.70×: missed) | – |")
	assert.Contains(t, out, "| PyTorch, 1 thread | 2.4 s | 25.0k | – | – | – |")
	assert.Contains(t, out, "| PyTorch, 2 threads | 2 s | 30.0k | – | 1.20× | – |")
}

// The epoch table shows what was measured: Fit alone, without PyTorch or
// the training step, and nothing at all without an epoch.
// The two-core steps are judged by their speed-up over one core, and the
// workers grid by its speed-up over one worker on one core.
func TestTwoCores(t *testing.T) {
	in := "BenchmarkTrainStep/sgd/samples=256/procs=1-2 10 2000000 ns/op\n" +
		"BenchmarkTrainStep/sgd/samples=256/procs=2-2 10 1000000 ns/op\n" +
		"BenchmarkTrainStep/sgd/samples=64/procs=1-2 10 500000 ns/op\n" +
		"BenchmarkTrainStep/sgd/samples=64/procs=2-2 10 500000 ns/op\n" +
		"BenchmarkStepWorkers/procs=1/workers=1-2 10 2000000 ns/op\n" +
		"BenchmarkStepWorkers/procs=2/workers=2-2 10 1250000 ns/op\n"
	runs, err := parse(strings.NewReader(in))
	require.NoError(t, err)
	out := render(runs, configs([]byte(in)))
	assert.Contains(t, out, "| train step, SGD, 256 samples, 2 cores | 1 ms | – | ≥ 1.80× the 1-core step: 2.00×, met |")
	assert.Contains(t, out, "| train step, SGD, 64 samples, 2 cores | 500 µs | – | faster than on 1 core: 1.00×, missed |")
	assert.Contains(t, out, "| 1 | 1.00× (2 ms) | – | – |")
	assert.Contains(t, out, "| 2 | – | 1.60× (1.25 ms) | – |")
	assert.Empty(t, workersTable(map[string]*result{}))
}

func TestEpochTable(t *testing.T) {
	runs, err := parse(strings.NewReader("BenchmarkFitEpoch/workers=1-2 2 750000000 ns/op 80000 samples/s 938.0 steps/op\n"))
	require.NoError(t, err)
	out := epochTable(runs)
	assert.Contains(t, out, "| Fit, 1 worker | 750 ms | 80.0k | – | – | ≤ 1.10×: not measured |")
	assert.NotContains(t, out, "2 workers")
	assert.NotContains(t, out, "PyTorch, ")
	assert.Empty(t, epochTable(map[string]*result{}))
}

// Without peers, an AVX2 tier or a zmm ceiling (an older bench.txt, a CPU
// without AVX-512), the ymm ceiling is the widest and the peer targets are
// not measured.
func TestReportWithoutPeers(t *testing.T) {
	in := "cpu: Old CPU\n" +
		"BenchmarkPeak-2 100 100000 ns/op 100.0 GFLOP/s\n" +
		"BenchmarkProduct/L1Forward/vecgen-2 10 300000 ns/op 86.0 GFLOP/s\n" +
		"BenchmarkPredictOne-2 10 10000 ns/op\n"
	runs, err := parse(strings.NewReader(in))
	require.NoError(t, err)
	out := render(runs, configs([]byte(in)))
	assert.NotContains(t, out, "Peers (")
	assert.Contains(t, out, "\"% of ymm\" is of the widest.")
	assert.Contains(t, out, "| L1Forward | 64×784·784×256 | 300 µs | – | – | – | – | 86% | ≥ 1.15× and ≥ 85%: not measured |")
	assert.Contains(t, out, "| batch-1 forward, Predict (spec/testdata/fashion1.yaml) | 10 µs | – | – | – | – | 47% | ≤ 0.20× numpy's: not measured |")
}

// rowsInput is go test's output of BenchmarkPredictRows (with a -2
// suffix) and peers.py's of its numpy and PyTorch cases, for the times in
// ns by row count of vecgen, numpy and torch; a count a map lacks is not
// measured.
func rowsInput(vecgen, numpy, torch map[int]float64) string {
	var b strings.Builder
	for _, n := range rowCounts {
		if ns, ok := vecgen[n]; ok {
			fmt.Fprintf(&b, "BenchmarkPredictRows/rows=%d-2 \t 100\t %.0f ns/op\n", n, ns)
		}
		for suffix, times := range map[string]map[int]float64{"numpy": numpy, "torch": torch} {
			if ns, ok := times[n]; ok {
				fmt.Fprintf(&b, "BenchmarkPredictRows/rows=%d/%s \t 100\t %.0f ns/op\n", n, suffix, ns)
			}
		}
	}
	return b.String()
}

// Predict of n rows: each count against the faster peer, then the four
// targets, met and missed.
func TestRowsTable(t *testing.T) {
	vecgen := map[int]float64{1: 8000, 2: 8500, 4: 9000, 8: 18000, 16: 40000, 32: 80000, 64: 150000, 100: 240000, 1000: 2300000}
	numpy, torch := map[int]float64{}, map[int]float64{}
	for n, ns := range vecgen {
		numpy[n], torch[n] = 2*ns, 3*ns
	}
	numpy[1000] = 2500000
	// Two runs of the 64-row call: the median is their mean.
	in := rowsInput(vecgen, numpy, torch) + "BenchmarkPredictRows/rows=64-2 100 140000 ns/op\nBenchmarkPredictRows/rows=64-2 100 160000 ns/op\n" +
		"BenchmarkPredictOne-2 100 7500 ns/op\n"
	runs, err := parse(strings.NewReader(in))
	require.NoError(t, err)
	out := render(runs, configs([]byte(in)))
	assert.Contains(t, out, "| rows | vecgen (µs) | numpy (µs) | PyTorch (µs) | vecgen's time ÷ faster peer's | faster than both |\n|---|---|---|---|---|---|\n"+
		"| 1 | 8 | 16 | 24 | 0.50× (numpy) | met |\n| 2 | 8.5 | 17 | 25.5 | 0.50× (numpy) | met |\n")
	assert.Contains(t, out, "| 64 | 150 | 300 | 450 | 0.50× (numpy) | met |\n| 100 | 240 | 480 | 720 | 0.50× (numpy) | met |\n"+
		"| 1000 | 2300 | 2500 | 6900 | 0.92× (numpy) | met |\n")
	assert.Contains(t, out, "- every n faster than numpy and PyTorch: at most 0.92× the faster peer's time (n = 1000), met\n"+
		"- monotone, no n costs more than the next larger n: the closest pair 2 → 4 rows, 1.06×, met\n"+
		"- 1 row ≤ 1.10× BenchmarkPredictOne, Predict of 1 sample on spec/testdata/fashion1.yaml (7.5 µs): 1.07×, met\n"+
		"- 1 row ≤ 0.15× the 64-row call (150 µs): 0.05×, met\n")

	// 2 rows cost more than 4, 32 more than 64, PyTorch wins at 1000 and
	// numpy at 4, and one row is slow against the twin and the batch.
	vecgen[2], vecgen[64] = 9500, 40000
	torch[1000], numpy[4] = 2000000, 8000
	in = rowsInput(vecgen, numpy, torch) + "BenchmarkPredictOne-2 100 7000 ns/op\n"
	runs, err = parse(strings.NewReader(in))
	require.NoError(t, err)
	out = rowsTable(runs)
	assert.Contains(t, out, "| 4 | 9 | 8 | 27 | 1.12× (numpy) | missed |\n")
	assert.Contains(t, out, "| 1000 | 2300 | 2500 | 2000 | 1.15× (PyTorch) | missed |\n")
	assert.Contains(t, out, "- every n faster than numpy and PyTorch: not at n = 4 (1.12× numpy's); 1000 (1.15× PyTorch's), missed\n"+
		"- monotone, no n costs more than the next larger n: 2 rows (9.5 µs) > 4 rows (9 µs); 32 rows (80 µs) > 64 rows (40 µs), missed\n"+
		"- 1 row ≤ 1.10× BenchmarkPredictOne, Predict of 1 sample on spec/testdata/fashion1.yaml (7 µs): 1.14×, missed\n"+
		"- 1 row ≤ 0.15× the 64-row call (40 µs): 0.20×, missed\n")
}

// Counts, peers and the twin that were not measured leave their cells
// blank and their targets not measured; without any count there is no
// table.
func TestRowsTableNotMeasured(t *testing.T) {
	runs, err := parse(strings.NewReader(rowsInput(map[int]float64{1: 8000, 2: 8500, 4: 9000}, map[int]float64{1: 20000}, nil)))
	require.NoError(t, err)
	out := rowsTable(runs)
	assert.Contains(t, out, "| 1 | 8 | 20 | – | 0.40× (numpy) | not measured |\n| 2 | 8.5 | – | – | – | not measured |\n")
	assert.Contains(t, out, "| 8 | – | – | – | – | not measured |\n")
	assert.Contains(t, out, "| 1000 | – | – | – | – | not measured |\n")
	assert.Contains(t, out, "- every n faster than numpy and PyTorch: not measured (n = 1, 2, 4, 8, 16, 32, 64, 100, 1000)\n"+
		"- monotone, no n costs more than the next larger n: not measured\n"+
		"- 1 row ≤ 1.10× BenchmarkPredictOne, Predict of 1 sample on spec/testdata/fashion1.yaml: not measured\n"+
		"- 1 row ≤ 0.15× the 64-row call: not measured\n")

	// A pair that breaks the order is missed though others are not measured.
	runs, err = parse(strings.NewReader(rowsInput(map[int]float64{1: 8000, 2: 7000}, nil, nil)))
	require.NoError(t, err)
	assert.Contains(t, rowsTable(runs), "- monotone, no n costs more than the next larger n: 1 row (8 µs) > 2 rows (7 µs), missed\n")

	assert.Empty(t, rowsTable(map[string]*result{}))
	runs, err = parse(strings.NewReader(rowsInput(nil, map[int]float64{1: 20000}, map[int]float64{1: 30000})))
	require.NoError(t, err)
	assert.Empty(t, rowsTable(runs), "peers alone make no table")
}

// int8 serving: each int8 benchmark against its references, met at the
// limit itself, missed above it, and not measured without PyTorch's batch.
func TestInt8Table(t *testing.T) {
	in := "BenchmarkPredictOne-2 100 20000 ns/op\n" +
		"BenchmarkPredict-2 100 200000 ns/op\n" +
		// Two runs: the median is their mean, 10 µs.
		"BenchmarkPredictOneInt8-2 100 9000 ns/op\n" +
		"BenchmarkPredictOneInt8-2 100 11000 ns/op\n" +
		"BenchmarkPredictInt8-2 100 100000 ns/op\n" +
		"qengine: onednn\n" +
		"BenchmarkPredictOne/numpy 100 24000 ns/op\n" +
		"BenchmarkPredictOneInt8/torch 100 140000 ns/op\n"
	runs, err := parse(strings.NewReader(in))
	require.NoError(t, err)
	out := render(runs, configs([]byte(in)))
	assert.Contains(t, out, "(quantize_dynamic of nn.Linear to qint8, one thread, on its onednn engine; median times;")
	assert.Contains(t, out, "| int8 | time | against | its time | int8's time ÷ its | target |\n|---|---|---|---|---|---|\n"+
		"| 1 sample | 10 µs | vecgen float32, 1 sample (BenchmarkPredictOne) | 20 µs | 0.50× | ≤ 0.50×: met |\n"+
		"| 1 sample | 10 µs | numpy float32, 1 sample | 24 µs | 0.42× | ≤ 0.12×: missed |\n"+
		"| 1 sample | 10 µs | PyTorch quantize_dynamic, 1 sample | 140 µs | 0.07× | ≤ 0.20×: met |\n"+
		"| 64 samples | 100 µs | vecgen float32 Predict, 64 samples (BenchmarkPredict) | 200 µs | 0.50× | ≤ 0.60×: met |\n"+
		"| 64 samples | 100 µs | PyTorch quantize_dynamic, 64 samples | – | – | ≤ 0.20×: not measured |\n")

	assert.NotContains(t, out, "int8 ceiling", "no BenchmarkPeakDotZMM, no ceiling")

	// Slower than the float32 batch; beside the int8 ceiling: 30.1M
	// operations in 130 µs are 232 GOPS, 26% of 900.
	runs, err = parse(strings.NewReader("BenchmarkPredict-2 100 200000 ns/op\nBenchmarkPredictInt8-2 100 130000 ns/op\n" +
		"BenchmarkPeakDotZMM-2 100 1000 ns/op 900 GOPS\n"))
	require.NoError(t, err)
	out = int8Table(runs, nil)
	assert.Contains(t, out, "| 64 samples | 130 µs | vecgen float32 Predict, 64 samples (BenchmarkPredict) | 200 µs | 0.65× | ≤ 0.60×: missed |\n")
	assert.Contains(t, out, "**900 GOPS**; the 64-sample int8 forward's 15.1M multiply-adds ran at 232 GOPS, 26% of it")
}

// Without nn's int8 benchmarks every target is not measured, though the
// references were; without any int8 result, nn's or PyTorch's, there is
// no table.
func TestInt8TableNotMeasured(t *testing.T) {
	in := "BenchmarkPredictOne-2 100 20000 ns/op\n" +
		"BenchmarkPredictOne/numpy 100 24000 ns/op\n" +
		"BenchmarkPredictOneInt8/torch 100 140000 ns/op\n" +
		"BenchmarkPredictInt8/torch 100 200000 ns/op\n"
	runs, err := parse(strings.NewReader(in))
	require.NoError(t, err)
	out := int8Table(runs, configs([]byte(in)))
	assert.Contains(t, out, "(quantize_dynamic of nn.Linear to qint8, one thread; median times;", "no qengine line, no engine")
	assert.Contains(t, out, "| 1 sample | – | vecgen float32, 1 sample (BenchmarkPredictOne) | 20 µs | – | ≤ 0.50×: not measured |\n"+
		"| 1 sample | – | numpy float32, 1 sample | 24 µs | – | ≤ 0.12×: not measured |\n"+
		"| 1 sample | – | PyTorch quantize_dynamic, 1 sample | 140 µs | – | ≤ 0.20×: not measured |\n"+
		"| 64 samples | – | vecgen float32 Predict, 64 samples (BenchmarkPredict) | – | – | ≤ 0.60×: not measured |\n"+
		"| 64 samples | – | PyTorch quantize_dynamic, 64 samples | 200 µs | – | ≤ 0.20×: not measured |\n")
	assert.NotContains(t, out, ": met")
	assert.NotContains(t, out, ": missed")

	assert.Empty(t, int8Table(map[string]*result{}, nil))
	runs, err = parse(strings.NewReader(sample))
	require.NoError(t, err)
	assert.Empty(t, int8Table(runs, configs([]byte(sample))), "float32 results alone make no table")
	assert.NotContains(t, render(runs, configs([]byte(sample))), "int8")
}

// spec/wide.yaml's table: each product's share of the zmm ceiling and
// speed over the faster peer, and the step against numpy and on two cores,
// each target met or missed; the products appear in no other table.
func TestWideTable(t *testing.T) {
	in := "BenchmarkPeak-2 100 100000 ns/op 100.0 GFLOP/s\n" +
		"BenchmarkPeakZMM-2 100 100000 ns/op 200.0 GFLOP/s\n" +
		// 180 and 176 GFLOP/s (90% and 88% of 200), 1.20× and 1.10× the faster peer.
		"BenchmarkProduct/WideL1Forward/vecgen-2 100 6000000 ns/op 180.0 GFLOP/s\n" +
		"BenchmarkProduct/WideL1Forward/vecgen/avx2-2 100 12000000 ns/op 90.0 GFLOP/s\n" +
		"BenchmarkProduct/WideL1Forward/numpy 100 7200000 ns/op 150.0 GFLOP/s\n" +
		"BenchmarkProduct/WideL1Forward/torch 100 8000000 ns/op 135.0 GFLOP/s\n" +
		"BenchmarkProduct/WideL2Forward/vecgen-2 100 6000000 ns/op 176.0 GFLOP/s\n" +
		"BenchmarkProduct/WideL2Forward/vecgen-2 100 6200000 ns/op 172.0 GFLOP/s\n" +
		"BenchmarkProduct/WideL2Forward/vecgen-2 100 5800000 ns/op 180.0 GFLOP/s\n" +
		"BenchmarkProduct/WideL2Forward/numpy 100 7000000 ns/op 153.0 GFLOP/s\n" +
		"BenchmarkProduct/WideL2Forward/torch 100 6600000 ns/op 163.0 GFLOP/s\n" +
		// 160 GFLOP/s, 80% of 200, and 2× numpy's speed.
		"BenchmarkProduct/WideL2InputGrad/vecgen-2 100 6700000 ns/op 160.0 GFLOP/s\n" +
		"BenchmarkProduct/WideL2InputGrad/numpy 100 13400000 ns/op 80.0 GFLOP/s\n" +
		"BenchmarkTrainStepWide/sgd/samples=128/procs=1-2 10 30000000 ns/op 4267 samples/s\n" +
		"BenchmarkTrainStepWide/sgd/samples=128/procs=2-2 10 16000000 ns/op 8000 samples/s\n" +
		"BenchmarkTrainStepWide/sgd/samples=128/procs=1/numpy 10 50000000 ns/op 2560 samples/s\n" +
		"BenchmarkTrainStepWide/sgd/samples=128/procs=1/torch 10 45000000 ns/op 2844 samples/s\n"
	runs, err := parse(strings.NewReader(in))
	require.NoError(t, err)
	out := render(runs, configs([]byte(in)))
	assert.Contains(t, out, "| product | shape | vecgen | % of zmm | numpy | PyTorch | vecgen's speed ÷ best peer's |\n|---|---|---|---|---|---|---|\n"+
		"| WideL1Forward | 128×1024·1024×2048 | 180.0 | 90% (≥ 85%: met) | 150.0 | 135.0 | 1.20× (numpy; ≥ 1.15×: met) |\n"+
		"| WideL2Forward | 128×2048·2048×1024 | 176.0 | 88% (≥ 85%: met) | 153.0 | 163.0 | 1.10× (PyTorch; ≥ 1.15×: missed) |\n"+
		"| WideL2InputGrad | 128×1024·1024×2048 | 160.0 | 80% (≥ 85%: missed) | 80.0 | – | 2.00× (numpy; ≥ 1.15×: met) |\n",
		"the median of three runs; products vecgen did not run have no row")
	assert.Equal(t, 1, strings.Count(out, "| WideL1Forward |"), "the wide products are in their own table only")
	assert.Contains(t, out, "| step | vecgen, 1 core | vecgen, 2 cores | numpy | PyTorch | vecgen's time ÷ numpy's, 1 core | speed-up of 2 cores |\n|---|---|---|---|---|---|---|\n"+
		"| SGD, 128 samples | 30 ms | 16 ms | 50 ms | 45 ms | 0.60× (≤ 0.70×: met) | 1.88× (≥ 1.80×: met) |\n")

	// Slower against numpy and on two cores.
	in = "BenchmarkTrainStepWide/sgd/samples=128/procs=1-2 10 40000000 ns/op\n" +
		"BenchmarkTrainStepWide/sgd/samples=128/procs=2-2 10 25000000 ns/op\n" +
		"BenchmarkTrainStepWide/sgd/samples=128/procs=1/numpy 10 50000000 ns/op\n"
	runs, err = parse(strings.NewReader(in))
	require.NoError(t, err)
	assert.Contains(t, wideTable(runs), "| SGD, 128 samples | 40 ms | 25 ms | 50 ms | – | 0.80× (≤ 0.70×: missed) | 1.60× (≥ 1.80×: missed) |\n")
	assert.NotContains(t, wideTable(runs), "| product |", "no product was measured")
}

// Without peers, a ceiling or the two-core step, the wide targets are not
// measured; without any vecgen result there is no table.
func TestWideTableNotMeasured(t *testing.T) {
	in := "BenchmarkProduct/WideL1WeightGrad/vecgen-2 100 5000000 ns/op 215.0 GFLOP/s\n" +
		"BenchmarkTrainStepWide/sgd/samples=128/procs=1-2 10 30000000 ns/op\n"
	runs, err := parse(strings.NewReader(in))
	require.NoError(t, err)
	out := wideTable(runs)
	assert.Contains(t, out, "| product | shape | vecgen | % of ceiling | numpy | PyTorch | vecgen's speed ÷ best peer's |")
	assert.Contains(t, out, "| WideL1WeightGrad | 1024×128·128×2048 | 215.0 | ≥ 85%: not measured | – | – | ≥ 1.15×: not measured |\n")
	assert.Contains(t, out, "| SGD, 128 samples | 30 ms | – | – | – | ≤ 0.70×: not measured | ≥ 1.80×: not measured |\n")

	assert.Empty(t, wideTable(map[string]*result{}))
	runs, err = parse(strings.NewReader("BenchmarkProduct/WideL1Forward/numpy 100 7200000 ns/op 150.0 GFLOP/s\n" +
		"BenchmarkTrainStepWide/sgd/samples=128/procs=1/numpy 10 50000000 ns/op\n"))
	require.NoError(t, err)
	assert.Empty(t, wideTable(runs), "peers alone make no table")
	runs, err = parse(strings.NewReader(sample))
	require.NoError(t, err)
	assert.NotContains(t, render(runs, configs([]byte(sample))), "spec/wide.yaml", "a run without the wide model has no wide table")
}

func TestConfigs(t *testing.T) {
	conf := configs([]byte("goos: linux\ncpu: A\nBenchmarkX-2 1 2 ns/op\nGODEBUG sys/cpu: x\ncpu: B\nblas: openblas 0.3.21\nok  \tpkg\t1.2s\n"))
	assert.Equal(t, map[string]string{"goos": "linux", "cpu": "A", "blas": "openblas 0.3.21"}, conf)
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
