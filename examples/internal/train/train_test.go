package train

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/kernels"
)

// TestDigits runs what make demo runs and checks its promise: per-epoch
// lines, then "test accuracy: 0.XXXX" of at least 0.95; and with -int8,
// the line "int8 test accuracy: 0.XXXX" within 0.5 points of it.
func TestDigits(t *testing.T) {
	tr, te, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	save := filepath.Join(t.TempDir(), "w.safetensors")
	var out bytes.Buffer
	f := Flags{Epochs: 30, LR: 0.01, Optimizer: "adam", Seed: 1, Workers: 1, Save: save, Int8: true}
	require.NoError(t, Run(kernels.DigitsNetwork(), f, tr, te, &out))
	assert.Regexp(t, `(?m)^epoch 30: loss `, out.String())
	float, quantized := accuracies(t, out.String())
	assert.GreaterOrEqual(t, float, 0.95)
	assert.InDelta(t, float, quantized, 0.005, "the int8 network's accuracy")
	assert.FileExists(t, save)
}

// TestFashionInt8 trains spec/fashion.yaml for 2 epochs on 20,000 of
// Fashion-MNIST's training images (the test runs under emulation too) and
// holds the int8 network's test accuracy within 0.3 points of the float
// network's, over the 10,000 test images. It reads the data where
// Debian's dataset-fashion-mnist installs it (make deps installs it).
func TestFashionInt8(t *testing.T) {
	const dir = "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("dataset-fashion-mnist is not installed")
	}
	tr, te, err := dataset.FashionMNIST(dir)
	require.NoError(t, err)
	tr, _, err = tr.Split(2.0/3, 1) // 20,000 of the 60,000
	require.NoError(t, err)
	var out bytes.Buffer
	f := Flags{Epochs: 2, LR: 0.001, Optimizer: "adam", Seed: 1, Int8: true}
	require.NoError(t, Run(kernels.FashionNetwork(), f, tr, te, &out))
	float, quantized := accuracies(t, out.String())
	assert.GreaterOrEqual(t, float, 0.80)
	assert.InDelta(t, float, quantized, 0.003, "the int8 network's accuracy")
}

// accuracies returns the test accuracies a run printed: the float
// network's, then the int8 network's; the int8 line comes right after
// the float one.
func accuracies(t *testing.T, out string) (float, quantized float64) {
	m := regexp.MustCompile(`(?m)^test accuracy: (0\.\d{4})\nint8 test accuracy: (0\.\d{4})$`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	float, _ = strconv.ParseFloat(m[1], 64)
	quantized, _ = strconv.ParseFloat(m[2], 64)
	return float, quantized
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

// TestCheckpointResumePlotLog stops a run after 2 of 4 epochs, resumes it
// from its checkpoint, and expects the weights file of a run that never
// stopped, byte for byte; the first part writes its CSV log and plot.
func TestCheckpointResumePlotLog(t *testing.T) {
	tr, te, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	base := Flags{Epochs: 4, LR: 0.01, Optimizer: "adam", Seed: 1, Workers: 1}

	whole := base
	whole.Save = p("whole.safetensors")
	var out bytes.Buffer
	require.NoError(t, Run(kernels.DigitsNetwork(), whole, tr, te, &out))
	assert.Contains(t, out.String(), ", adam, steps of 32, 1 worker\n")

	first := base
	first.Checkpoint, first.Log, first.Plot = p("ckpt"), p("log.csv"), p("curves.png")
	first.StopAfter = 2
	out.Reset()
	require.NoError(t, Run(kernels.DigitsNetwork(), first, tr, te, &out))
	assert.NotRegexp(t, `(?m)^epoch 3: `, out.String())
	log, err := os.ReadFile(p("log.csv"))
	require.NoError(t, err)
	assert.Len(t, strings.Split(strings.TrimSpace(string(log)), "\n"), 3, "header and 2 epochs")
	assert.FileExists(t, p("curves.png"))

	// Flags other than the run's are refused by name, and so is a count
	// of epochs that leaves nothing to train.
	for _, c := range []struct {
		change func(*Flags)
		err    string
	}{
		{func(f *Flags) { f.Optimizer, f.LR = "sgd", 0.5 }, "it was trained with adam; this network's optimizer is sgd"},
		{func(f *Flags) { f.LR = 0.5 }, "it was trained with adam at learning rate 0.01; this network's is 0.5"},
		{func(f *Flags) { f.Epochs = 2 }, "records 2 epochs done; FitConfig.Epochs is 2, which leaves none to train"},
	} {
		f := base
		f.Resume = p("ckpt")
		c.change(&f)
		assert.ErrorContains(t, Run(kernels.DigitsNetwork(), f, tr, te, &bytes.Buffer{}), c.err)
	}

	second := base
	second.Resume, second.Save = p("ckpt"), p("resumed.safetensors")
	second.Log, second.Plot = p("log.csv"), p("curves.png")
	out.Reset()
	require.NoError(t, Run(kernels.DigitsNetwork(), second, tr, te, &out))
	assert.Contains(t, out.String(), "\nresuming "+p("ckpt")+" after epoch 2 of 4: adam at learning rate ", "says what it resumes")
	assert.Regexp(t, `(?m)^epoch 3: `, out.String())
	assert.NotRegexp(t, `(?m)^epoch 1: `, out.String())
	a, err := os.ReadFile(whole.Save)
	require.NoError(t, err)
	b, err := os.ReadFile(second.Save)
	require.NoError(t, err)
	assert.Equal(t, a, b)
	// The resumed run's log holds the whole story: the epochs before the
	// checkpoint too.
	log, err = os.ReadFile(p("log.csv"))
	require.NoError(t, err)
	rows := strings.Split(strings.TrimSpace(string(log)), "\n")
	require.Len(t, rows, 5, "header and 4 epochs:\n%s", log)
	for i, row := range rows[1:] {
		assert.True(t, strings.HasPrefix(row, fmt.Sprint(i+1, ",")), row)
	}
}
