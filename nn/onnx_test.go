package nn_test

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/internal/pythontest"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
	"github.com/vecgen/vecgen/onnx"
)

// TestExportONNXRoundTrip exports networks with every activation, imports
// each export back and loads its weights into a second network: the same
// layers and bit-identical parameters. With python3-onnx (VECGEN_PYTHON,
// required under VECGEN_REQUIRE_TORCH) onnx.checker must accept them.
func TestExportONNXRoundTrip(t *testing.T) {
	var files []string
	dir := t.TempDir()
	for _, desc := range []compiled.Network{kernels.ScorerNetwork(), kernels.DigitsNetwork(), kernels.SeedNetwork(), kernels.LogisticNetwork()} {
		a, err := nn.New(desc, nn.Options{Seed: 3})
		require.NoError(t, err)
		for i := range a.Params() { // nonzero biases too
			a.Params()[i] += float32(i%5) / 7
		}
		var buf bytes.Buffer
		require.NoError(t, a.ExportONNX(&buf))
		res, err := onnx.Import(buf.Bytes(), onnx.Options{Name: desc.Name, Batch: desc.Batch})
		require.NoError(t, err, desc.Name)
		require.Len(t, res.Model.Layers, len(desc.Layers))
		for i, l := range res.Model.Layers {
			require.Equal(t, desc.Layers[i].In, l.In)
			require.Equal(t, desc.Layers[i].Out, l.Out)
			require.Equal(t, desc.Layers[i].Activation.String(), string(l.Activation), "%s layer %d", desc.Name, i+1)
		}
		require.Equal(t, string(desc.Loss), string(res.Model.Loss), desc.Name)
		b, err := nn.New(desc, nn.Options{Seed: 4})
		require.NoError(t, err)
		require.NoError(t, b.Decode(res.Weights))
		for i, v := range a.Params() {
			require.Equal(t, math.Float32bits(v), math.Float32bits(b.Params()[i]), "%s parameter %d", desc.Name, i)
		}
		path := filepath.Join(dir, desc.Name+".onnx")
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
		files = append(files, path)
	}
	python := pythontest.Python(t, "onnx")
	check := exec.Command(python, append([]string{"-c", `import sys, onnx
for path in sys.argv[1:]:
    onnx.checker.check_model(onnx.load(path), full_check=True)
`}, files...)...)
	out, err := check.CombinedOutput()
	require.NoError(t, err, "onnx.checker:\n%s", out)
}
