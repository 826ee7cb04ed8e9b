package nn_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// rewriteCheckpoint lets edit change the record and the tensors of the
// checkpoint at path, and writes them back as a checkpoint.
func rewriteCheckpoint(t *testing.T, path string, edit func(rec map[string]any, tensors map[string]nn.Tensor)) {
	t.Helper()
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	tensors, err := nn.DecodeTensors(file)
	require.NoError(t, err)
	var header struct {
		Meta map[string]string `json:"__metadata__"`
	}
	require.NoError(t, json.Unmarshal(file[8:8+binary.LittleEndian.Uint64(file)], &header))
	dec := json.NewDecoder(bytes.NewReader([]byte(header.Meta["vecgen.checkpoint"])))
	dec.UseNumber() // keeps 2⁶³−1 exact
	var rec map[string]any
	require.NoError(t, dec.Decode(&rec))
	edit(rec, tensors)
	js, err := json.Marshal(rec)
	require.NoError(t, err)
	header.Meta["vecgen.checkpoint"] = string(js)
	var out bytes.Buffer
	require.NoError(t, nn.EncodeTensors(&out, tensors, header.Meta))
	require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
}

// TestCheckpointValuesAreChecked loads checkpoints whose tensors or
// counters no run can have written: each is refused by name, and the
// network keeps what it had. A NaN moment was accepted and the first step
// wrote NaN weights; a step count of 2⁶³−1 wrapped, and Adam's bias
// corrections became −0.
func TestCheckpointValuesAreChecked(t *testing.T) {
	tr, _, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	x, y := tr.X[:128*64], tr.OneHot()[:128*10]
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	opts := nn.Options{Seed: 1, Workers: 1, Optimizer: nn.Adam{LR: 0.01}}
	cfg := func() nn.FitConfig {
		return nn.FitConfig{Epochs: 4, EarlyStopping: &nn.EarlyStopping{Patience: 5}, Plateau: &nn.ReduceOnPlateau{}}
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	first, err := nn.New(kernels.DigitsNetwork(), opts)
	require.NoError(t, err)
	c := cfg()
	c.Epochs, c.Checkpoint = 2, good
	_, err = first.Fit(x, y, c)
	require.NoError(t, err)
	original, err := os.ReadFile(good)
	require.NoError(t, err)

	tensor := func(name string, i int, v float32) func(map[string]any, map[string]nn.Tensor) {
		return func(_ map[string]any, ts map[string]nn.Tensor) { ts[name].Data[i] = v }
	}
	record := func(edit func(rec map[string]any)) func(map[string]any, map[string]nn.Tensor) {
		return func(rec map[string]any, _ map[string]nn.Tensor) { edit(rec) }
	}
	sub := func(rec map[string]any, key string) map[string]any { return rec[key].(map[string]any) }
	epoch := func(rec map[string]any, i int) map[string]any { return rec["history"].([]any)[i].(map[string]any) }
	for _, c := range []struct {
		name string
		edit func(map[string]any, map[string]nn.Tensor)
		err  string
	}{
		{"NaN moment", tensor("optimizer.m", 3, nan), `tensor "optimizer.m": value 3 is NaN; optimizer state must be finite`},
		{"infinite second moment", tensor("optimizer.v", 7, inf), `tensor "optimizer.v": value 7 is +Inf; optimizer state must be finite`},
		{"negative second moment", tensor("optimizer.v", 0, -1), `tensor "optimizer.v": value 0 is -1; Adam's second moments are squares, never negative`},
		{"infinite best weights", tensor("early_stopping.best", 1, inf), `tensor "early_stopping.best": value 1 is +Inf; weights must be finite`},
		{"NaN weight", tensor("2.bias", 0, nan), `tensor "2.bias": value 0 is NaN; weights must be finite`},
		{"step that wraps", record(func(r map[string]any) { r["step"] = json.Number("9223372036854775807") }),
			"step 9223372036854775807 is out of range: 0 to 9007199254740992 (2⁵³)"},
		{"negative step", record(func(r map[string]any) { r["step"] = -1 }), "step -1 is out of range: 0 to 9007199254740992 (2⁵³)"},
		{"negative epoch", record(func(r map[string]any) { r["epoch"] = -1 }), "epoch -1 is out of range: 0 to 9007199254740992 (2⁵³)"},
		{"best epoch ahead", record(func(r map[string]any) { sub(r, "early_stopping")["best_epoch"] = 3 }),
			"early_stopping: best_epoch 3 is out of range: 0 to the 2 epochs done"},
		{"stopping's bad epochs", record(func(r map[string]any) { sub(r, "early_stopping")["bad"] = -5 }), "early_stopping: bad -5 is out of range: 0 to the 2 epochs done"},
		{"plateau's bad epochs", record(func(r map[string]any) { sub(r, "plateau")["bad"] = 1 << 40 }), "plateau: bad 1099511627776 is out of range: 0 to the 2 epochs done"},
		{"plateau's rate", record(func(r map[string]any) { sub(r, "plateau")["lr"] = -0.5 }), "plateau: lr -0.5 is not 0 (none yet) or a positive rate"},
		{"optimizer's rate", record(func(r map[string]any) { sub(r, "optimizer")["lr"] = 0 }), "optimizer: learning rate 0 is not a positive number"},
		{"key in capitals", record(func(r map[string]any) { r["STEP"] = 5 }), `no valid vecgen.checkpoint record: unknown key "STEP"; the keys are "epoch", "step", "step_size", "optimizer", "rng", "plateau", "early_stopping", "history"`},
		{"history ahead", record(func(r map[string]any) { epoch(r, 1)["epoch"] = 3 }), "history: entry 1: epoch 3 follows epoch 1, of 2 done"},
		{"history out of order", record(func(r map[string]any) { epoch(r, 1)["epoch"] = 1 }), "history: entry 1: epoch 1 follows epoch 1, of 2 done"},
		{"history's loss", record(func(r map[string]any) { epoch(r, 0)["loss"] = -1 }), "history: entry 0: a loss is negative or not finite"},
		{"history's accuracy", record(func(r map[string]any) { epoch(r, 0)["accuracy"] = 1.5 }), "history: entry 0: an accuracy is not from 0 to 1"},
		{"history's seconds", record(func(r map[string]any) { epoch(r, 1)["seconds"] = 1e300 }), "history: entry 1: its rate, samples or seconds are out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.safetensors")
			require.NoError(t, os.WriteFile(path, original, 0o644))
			rewriteCheckpoint(t, path, c.edit)
			net, err := nn.New(kernels.DigitsNetwork(), opts)
			require.NoError(t, err)
			before := slices.Clone(net.Params())
			cf := cfg()
			cf.Resume = path
			_, err = net.Fit(x, y, cf)
			assert.EqualError(t, err, fmt.Sprintf("%s: checkpoint: %s", path, c.err))
			assert.True(t, slices.Equal(before, net.Params()), "a refused checkpoint changed the weights")
		})
	}
	// The file rewritten unchanged resumes.
	path := filepath.Join(dir, "same.safetensors")
	require.NoError(t, os.WriteFile(path, original, 0o644))
	rewriteCheckpoint(t, path, func(map[string]any, map[string]nn.Tensor) {})
	net, err := nn.New(kernels.DigitsNetwork(), opts)
	require.NoError(t, err)
	c = cfg()
	c.Resume = path
	_, err = net.Fit(x, y, c)
	require.NoError(t, err)
}
