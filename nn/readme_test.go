package nn_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/internal/pythontest"
	"github.com/vecgen/vecgen/internal/readme"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// TestReadmeTorchSnippet runs the README's PyTorch loading snippet on
// weights saved here with a standardizer in their metadata, then has
// PyTorch predict standardized inputs, and compares with Predict.
func TestReadmeTorchSnippet(t *testing.T) {
	t.Parallel() // most of its time is Python importing torch
	python := pythontest.Python(t, "torch")
	snippet := readme.Block(t, "..", "<!-- tested: torch", "python")

	tr, _, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	st, err := dataset.FitStandardizer(tr.X, tr.Features)
	require.NoError(t, err)
	require.NoError(t, st.Apply(tr.X))
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1, Optimizer: nn.Adam{LR: 0.01}})
	require.NoError(t, err)
	_, err = net.Fit(tr.X, tr.OneHot(), nn.FitConfig{Epochs: 2})
	require.NoError(t, err)
	require.NoError(t, net.SetMetadata(dataset.StandardizerKey, st.String()))
	dir := t.TempDir()
	require.NoError(t, net.Save(filepath.Join(dir, "digits.safetensors")))

	testdata, err := filepath.Abs("testdata")
	require.NoError(t, err)
	inputs := filepath.Join(testdata, "torch_digits_io.safetensors")
	harness := snippet + `
import sys
sys.path.insert(0, sys.argv[1])
from make_torch_fixture import save_safetensors
x = (load_safetensors(sys.argv[2])[0]["x"] - mean) / std
with torch.no_grad():
    save_safetensors("out.safetensors", {"probs": torch.softmax(model(x), dim=1)})
`
	script := filepath.Join(dir, "snippet.py")
	require.NoError(t, os.WriteFile(script, []byte(harness), 0o644))
	cmd := exec.Command(python, script, testdata, inputs)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", msg)

	x := readTensors(t, inputs)["x"]
	require.NoError(t, st.Apply(x))
	want := readTensors(t, filepath.Join(dir, "out.safetensors"))["probs"]
	got := make([]float32, len(want))
	require.NoError(t, net.Predict(x, got))
	for i := range want {
		require.InDelta(t, want[i], got[i], 2e-6, "output %d", i)
	}
}
