package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/internal/readme"
	model "github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// The README's tabular block is train and serve as this file has them,
// and they run: a classifier of the digits written as CSV, saved with its
// standardizer, loaded and serving.
func TestReadmeTabular(t *testing.T) {
	block := readme.Block(t, "../..", "<!-- tested: tabular", "go")
	src, err := os.ReadFile("main.go")
	require.NoError(t, err)
	code := string(src)
	code = code[strings.Index(code, "// README: tabular\n\n")+len("// README: tabular\n\n") : strings.Index(code, "\n// README: end")]
	assert.Equal(t, strings.TrimSpace(code), strings.TrimSpace(block), "README's block and examples/tabular differ")

	dir := t.TempDir()
	csvPath, out := filepath.Join(dir, "digits.csv"), filepath.Join(dir, "m.safetensors")
	require.NoError(t, writeDigits(csvPath))
	stdout := os.Stdout
	os.Stdout, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	err = train(csvPath, out)
	os.Stdout = stdout
	require.NoError(t, err)

	data, err := dataset.LoadCSV(csvPath, dataset.CSVOptions{Header: true, Target: []string{"class"}})
	require.NoError(t, err)
	right := 0
	for r := range 50 {
		class, err := serve(out, data.X[r*data.Features:(r+1)*data.Features])
		require.NoError(t, err)
		if class == data.Labels[r] {
			right++
		}
	}
	assert.GreaterOrEqual(t, right, 45, "the served classifier is right on most rows")
	net, err := nn.New(model.DigitsNetwork(), nn.Options{})
	require.NoError(t, err)
	require.NoError(t, net.Load(out))
	assert.Contains(t, net.Metadata(), dataset.StandardizerKey, "the standardizer travels with the weights")
}
