package train

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/kernels"
)

// TestDigits runs what make demo runs and checks its promise: per-epoch
// lines, then "test accuracy: 0.XXXX" of at least 0.95.
func TestDigits(t *testing.T) {
	tr, te, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	save := filepath.Join(t.TempDir(), "w.safetensors")
	var out bytes.Buffer
	f := Flags{Epochs: 30, LR: 0.01, Optimizer: "adam", Seed: 1, Workers: 1, Save: save}
	require.NoError(t, Run(kernels.DigitsNetwork(), f, tr, te, &out))
	assert.Regexp(t, `(?m)^epoch 30: loss `, out.String())
	m := regexp.MustCompile(`(?m)^test accuracy: (0\.\d{4})$`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	acc, _ := strconv.ParseFloat(m[1], 64)
	assert.GreaterOrEqual(t, acc, 0.95)
	assert.FileExists(t, save)
}

func TestUnknownOptimizer(t *testing.T) {
	f := Flags{Epochs: 1, LR: 0.1, Optimizer: "lion"}
	err := Run(kernels.DigitsNetwork(), f, dataset.Set{}, dataset.Set{}, &bytes.Buffer{})
	assert.ErrorContains(t, err, `unknown optimizer "lion"`)
	for _, name := range []string{"sgd", "momentum", "nesterov", "adam", "AdamW"} {
		f.Optimizer = name
		_, err := f.Rule()
		assert.NoError(t, err, name)
	}
}
