package nn_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// TestStandardizerRoundTrip stores a standardizer in the weights file and
// serves from that file alone: a fresh network loads it and predicts as
// the trained one does on raw samples standardized the same way.
func TestStandardizerRoundTrip(t *testing.T) {
	tr, te, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	st, err := dataset.FitStandardizer(tr.X, tr.Features)
	require.NoError(t, err)
	raw := append([]float32(nil), te.X...)
	require.NoError(t, st.Apply(tr.X))
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1, Optimizer: nn.Adam{LR: 0.01}})
	require.NoError(t, err)
	_, err = net.Fit(tr.X, tr.OneHot(), nn.FitConfig{Epochs: 2})
	require.NoError(t, err)
	require.NoError(t, net.SetMetadata(dataset.StandardizerKey, st.String()))
	path := filepath.Join(t.TempDir(), "served.safetensors")
	require.NoError(t, net.Save(path))

	served, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 9})
	require.NoError(t, err)
	require.NoError(t, served.Load(path))
	back, err := dataset.ParseStandardizer(served.Metadata()[dataset.StandardizerKey])
	require.NoError(t, err)
	assert.Equal(t, st, back)
	x := append([]float32(nil), raw...)
	require.NoError(t, back.Apply(x))
	want, got := make([]float32, te.Len()*10), make([]float32, te.Len()*10)
	std := append([]float32(nil), raw...)
	require.NoError(t, st.Apply(std))
	require.NoError(t, net.Predict(std, want))
	require.NoError(t, served.Predict(x, got))
	assert.Equal(t, want, got)

	assert.Error(t, net.SetMetadata("vecgen.model", "x"), "the file's own keys are reserved")
	assert.Error(t, net.SetMetadata("format", "x"))
	require.NoError(t, net.SetMetadata(dataset.StandardizerKey, ""))
	assert.Empty(t, net.Metadata())
}

func TestSaveModeAndMissingDirectory(t *testing.T) {
	net, err := nn.New(kernels.SeedNetwork(), nn.Options{Seed: 1})
	require.NoError(t, err)
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	require.NoError(t, net.Save(path))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm(), "readable by the user a server runs as")
	missing := filepath.Join(dir, "no", "w.safetensors")
	err = net.Save(missing)
	assert.EqualError(t, err, "nn: saving "+missing+": directory "+filepath.Join(dir, "no")+" does not exist")
}
