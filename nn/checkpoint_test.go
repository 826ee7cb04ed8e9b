package nn_test

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// TestResumeIsBitIdentical stops a run after 2 of 5 epochs and resumes it
// from its checkpoint in a network of another seed: the weights, the
// optimizer's rate and the remaining history equal those of an
// uninterrupted run exactly, for each optimizer that keeps state, with the
// plateau schedule and early stopping carrying their state across.
func TestResumeIsBitIdentical(t *testing.T) {
	defer nn.ShareSmallSteps()() // cover the halves on these small models
	tr, te, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	x, y := tr.X[:600*64], tr.OneHot()[:600*10]
	for _, opt := range []nn.Optimizer{nn.Adam{LR: 0.01}, nn.SGD{LR: 0.05, Momentum: 0.9, Nesterov: true}} {
		cfg := func() nn.FitConfig {
			return nn.FitConfig{Epochs: 5, ValX: te.X, ValY: te.OneHot(),
				Plateau:       &nn.ReduceOnPlateau{Patience: 0, Factor: 0.5, Threshold: 0.3},
				EarlyStopping: &nn.EarlyStopping{Patience: 10}}
		}
		step := 2 * kernels.DigitsNetwork().Batch
		full, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 3, Workers: 2, StepSize: step, Optimizer: opt})
		require.NoError(t, err)
		want, err := full.Fit(x, y, cfg())
		require.NoError(t, err)

		path := filepath.Join(t.TempDir(), "ckpt.safetensors")
		first, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 3, Workers: 2, StepSize: step, Optimizer: opt})
		require.NoError(t, err)
		c := cfg()
		c.Epochs, c.Checkpoint = 2, path
		_, err = first.Fit(x, y, c)
		require.NoError(t, err)

		// Another step size is refused; another worker count trains the same.
		other, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 99, StepSize: step / 2})
		require.NoError(t, err)
		c = cfg()
		c.Resume = path
		_, err = other.Fit(x, y, c)
		assert.ErrorContains(t, err, fmt.Sprintf("checkpoint: it was trained with steps of %d samples; this network takes %d (Options.StepSize)", step, step/2))
		// So is resuming without the early stopping it saved, by that name.
		c = cfg()
		c.Resume, c.EarlyStopping = path, nil
		_, err = first.Fit(x, y, c)
		assert.ErrorContains(t, err, "saved by a Fit with other Plateau or EarlyStopping settings")
		resumed, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 99, Workers: 1, StepSize: step, Optimizer: opt})
		require.NoError(t, err)
		c = cfg()
		c.Resume = path
		got, err := resumed.Fit(x, y, c)
		require.NoError(t, err)
		require.Len(t, got, 5, "the checkpoint's 2 epochs, then 3")
		assert.Equal(t, full.Params(), resumed.Params(), "%T", opt)
		assert.Equal(t, full.Optimizer(), resumed.Optimizer())
		for i := range got {
			assert.Equal(t, want[i].Epoch, got[i].Epoch)
			assert.Equal(t, want[i].Loss, got[i].Loss)
			assert.Equal(t, want[i].Accuracy, got[i].Accuracy)
			assert.Equal(t, want[i].Val, got[i].Val)
			assert.Equal(t, want[i].LR, got[i].LR)
			assert.Equal(t, want[i].Samples, got[i].Samples)
		}
		assert.Less(t, want[4].LR, want[0].LR, "the plateau schedule lowered the rate")
	}
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	a, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1, Optimizer: nn.Adam{LR: 0.01}})
	require.NoError(t, err)
	require.NoError(t, a.SaveCheckpoint(path, 4))
	b, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 2, Optimizer: nn.Adam{LR: 0.01}})
	require.NoError(t, err)
	epoch, err := b.LoadCheckpoint(path)
	require.NoError(t, err)
	assert.Equal(t, 4, epoch)
	assert.Equal(t, a.Params(), b.Params())
	assert.Equal(t, a.Optimizer(), b.Optimizer())

	// A plain weights file is not a checkpoint, and a failed load changes
	// nothing.
	weights := filepath.Join(dir, "w.safetensors")
	require.NoError(t, a.Save(weights))
	c, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 3})
	require.NoError(t, err)
	before := append([]float32(nil), c.Params()...)
	_, err = c.LoadCheckpoint(weights)
	assert.ErrorContains(t, err, "no valid vecgen.checkpoint record")
	assert.Equal(t, before, c.Params())
	assert.Equal(t, nn.SGD{LR: 0.01}, c.Optimizer())
	// One saved without a plateau schedule cannot resume a Fit with one.
	x, y := dataset.Digits().X[:64*64], dataset.Digits().OneHot()[:64*10]
	_, err = c.Fit(x, y, nn.FitConfig{Epochs: 5, Resume: path, Plateau: &nn.ReduceOnPlateau{}})
	assert.ErrorContains(t, err, "other Plateau or EarlyStopping settings")
	assert.Equal(t, before, c.Params())
}

func TestSchedules(t *testing.T) {
	w := nn.WarmUp(0.1, 4, nn.StepDecay(0.1, 2, 0.5))
	var got []float32
	for e := 1; e <= 8; e++ {
		got = append(got, w(e))
	}
	assert.Equal(t, []float32{0.025, 0.05, 0.075, 0.1, 0.025, 0.025, 0.0125, 0.0125}, got)
	assert.Equal(t, float32(0.3), nn.WarmUp(0.3, 2, nil)(9))
}

// TestEarlyStoppingRestoresTheBest trains with a rate that makes the
// validation loss worse after the first epochs: Fit stops after Patience
// epochs without improvement and leaves the best epoch's weights, whose
// validation loss is the lowest of the history.
func TestEarlyStoppingRestoresTheBest(t *testing.T) {
	tr, _, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1, Workers: 1, Optimizer: nn.SGD{LR: 0.05}})
	require.NoError(t, err)
	stop := &nn.EarlyStopping{Patience: 2}
	// The validation set is a few training samples with wrong labels, so
	// learning the training set makes it worse.
	valX := tr.X[:20*64]
	valY := make([]float32, 20*10)
	for i := range 20 {
		valY[i*10+(tr.Labels[i]+1)%10] = 1
	}
	var progress strings.Builder
	history, err := net.Fit(tr.X, tr.OneHot(), nn.FitConfig{Epochs: 30, ValX: valX, ValY: valY, EarlyStopping: stop,
		Schedule: func(int) float32 { return 0.05 }, Progress: &progress})
	require.NoError(t, err)
	require.Less(t, len(history), 30, "stopped early")
	best := history[0]
	for _, e := range history {
		if e.Val.Loss < best.Val.Loss {
			best = e
		}
	}
	assert.Equal(t, best.Epoch, stop.BestEpoch())
	assert.Equal(t, len(history), stop.BestEpoch()+2)
	lines := strings.Split(strings.TrimSuffix(progress.String(), "\n"), "\n")
	require.Len(t, lines, len(history)+2, "a line an epoch, then what early stopping did:\n%s", progress.String())
	assert.Equal(t, fmt.Sprintf("early stopping after epoch %d: the validation loss has not fallen for 2 epochs", len(history)), lines[len(history)])
	assert.Equal(t, fmt.Sprintf("kept the weights of epoch %d, of the lowest validation loss (%.4f)", best.Epoch, best.Val.Loss), lines[len(history)+1])
	m, err := net.Evaluate(valX, valY)
	require.NoError(t, err)
	assert.Equal(t, best.Val.Loss, m.Loss, "the best epoch's weights")
}

func TestTargetsCheckedAgainstTheLoss(t *testing.T) {
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1})
	require.NoError(t, err)
	x := make([]float32, 2*64)
	y := make([]float32, 2*10)
	y[0], y[10] = 1, 2
	_, err = net.Fit(x, y, nn.FitConfig{Epochs: 1})
	assert.EqualError(t, err, "nn: sample 1: target 2; cross-entropy needs one-hot rows (dataset.Set.OneHot)")
	y[10], y[11] = 0.5, 0.25
	_, err = net.Evaluate(x, y)
	assert.EqualError(t, err, "nn: sample 1: targets sum to 0.75; cross-entropy needs one-hot rows (dataset.Set.OneHot)")
	_, err = net.TrainStep(x, y)
	assert.Error(t, err)

	logistic, err := nn.New(kernels.LogisticNetwork(), nn.Options{Seed: 1})
	require.NoError(t, err)
	lx := make([]float32, 2*logistic.Input())
	_, err = logistic.Fit(lx, []float32{0, 2}, nn.FitConfig{Epochs: 1})
	assert.EqualError(t, err, "nn: sample 1: target 0 is 2; binary cross-entropy needs 0 or 1 (dataset.Set.Binary)")
}

func TestEpochLine(t *testing.T) {
	e := nn.Epoch{Epoch: 3, Loss: 0.5, Accuracy: math.NaN(), Samples: 1438, Duration: 324567 * time.Nanosecond, SamplesPerSecond: 4435753}
	assert.Equal(t, "epoch 3: loss 0.5000, 4.44M samples/s, 325µs", e.String())
	e.SamplesPerSecond, e.Duration = 12345, 2345678901
	assert.Equal(t, "epoch 3: loss 0.5000, 12.3k samples/s, 2.35s", e.String())
	e.SamplesPerSecond = 950
	assert.Contains(t, e.String(), " 950 samples/s")
}

// Weights or a checkpoint of another model are refused by naming both
// models, whether the file is too large for this network (it said
// "2822656 bytes, more than the 1087144 it can need") or not.
func TestLoadNamesAnotherModel(t *testing.T) {
	dir := t.TempDir()
	fashion, err := nn.New(kernels.FashionNetwork(), nn.Options{Seed: 1, Optimizer: nn.Adam{LR: 0.01}})
	require.NoError(t, err)
	digits, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1, Optimizer: nn.Adam{LR: 0.01}})
	require.NoError(t, err)
	const fashionLayers, digitsLayers = "Fashion (784-256 relu, 256-128 relu, 128-10 softmax)", "Digits (64-32 tanh, 32-10 softmax)"
	for _, c := range []struct {
		from, into *nn.Network
		holds, is  string
	}{{fashion, digits, fashionLayers, digitsLayers}, {digits, fashion, digitsLayers, fashionLayers}} {
		weights, ckpt := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "c.safetensors")
		require.NoError(t, c.from.Save(weights))
		require.NoError(t, c.from.SaveCheckpoint(ckpt, 1))
		assert.EqualError(t, c.into.Load(weights), fmt.Sprintf("nn: loading weights: %s holds model %s; this network is %s", weights, c.holds, c.is))
		_, err := c.into.LoadCheckpoint(ckpt)
		assert.EqualError(t, err, fmt.Sprintf("nn: loading checkpoint: %s holds model %s; this network is %s", ckpt, c.holds, c.is))
	}
}

// TestResumeChecksTheConfiguration resumes with a network configured
// otherwise than the run that wrote the checkpoint: each difference is an
// error naming both values, as a changed step size already was, and the
// network is unchanged. A network built with SGD trained on with the
// checkpoint's Adam, and Epochs below the epochs done trained nothing.
func TestResumeChecksTheConfiguration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	x, y := dataset.Digits().X[:64*64], dataset.Digits().OneHot()[:64*10]
	saved, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1, Optimizer: nn.Adam{LR: 0.01, Beta2: 0.99}})
	require.NoError(t, err)
	_, err = saved.Fit(x, y, nn.FitConfig{Epochs: 4, Checkpoint: path, Schedule: nn.CosineDecay(0.01, 4)})
	require.NoError(t, err)
	for _, c := range []struct {
		opt nn.Optimizer
		err string
	}{
		{nn.SGD{LR: 0.01}, "it was trained with adam; this network's optimizer is sgd (Options.Optimizer)"},
		{nn.AdamW{LR: 0.01, Beta2: 0.99}, "it was trained with adam; this network's optimizer is adamw (Options.Optimizer)"},
		{nn.Adam{LR: 0.01}, "it was trained with adam's beta2 at 0.99; this network's is 0.999 (Options.Optimizer)"},
		{nn.Adam{LR: 0.5, Beta2: 0.99}, "it was trained with adam at learning rate 0.01; this network's is 0.5 (Options.Optimizer)"},
	} {
		net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 2, Optimizer: c.opt})
		require.NoError(t, err)
		before := slices.Clone(net.Params())
		_, err = net.Fit(x, y, nn.FitConfig{Epochs: 6, Resume: path})
		assert.EqualError(t, err, path+": checkpoint: "+c.err)
		_, err = net.LoadCheckpoint(path)
		assert.EqualError(t, err, path+": checkpoint: "+c.err)
		assert.True(t, slices.Equal(before, net.Params()), "%v: the network changed", c.opt)
		assert.Equal(t, c.opt, net.Optimizer())
	}
	// The same configuration resumes at the checkpoint's rate: the
	// default betas and eps are the same values as explicit ones.
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 2, Optimizer: nn.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8}})
	require.NoError(t, err)
	_, err = net.LoadCheckpoint(path)
	require.NoError(t, err)
	assert.Equal(t, nn.Adam{LR: saved.Optimizer().(nn.Adam).LR, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8}, net.Optimizer(), "as configured, at the checkpoint's rate")

	// Epochs must leave something to train.
	net, err = nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 2, Optimizer: nn.Adam{LR: 0.01, Beta2: 0.99}})
	require.NoError(t, err)
	before := slices.Clone(net.Params())
	for _, epochs := range []int{3, 4} {
		history, err := net.Fit(x, y, nn.FitConfig{Epochs: epochs, Resume: path})
		assert.EqualError(t, err, fmt.Sprintf("nn: %s records 4 epochs done; FitConfig.Epochs is %d, which leaves none to train (set it above 4)", path, epochs))
		assert.Empty(t, history)
		assert.True(t, slices.Equal(before, net.Params()), "the network changed")
	}
	_, err = net.Fit(x, y, nn.FitConfig{Epochs: 3, InitialEpoch: 3})
	assert.EqualError(t, err, "nn: FitConfig.InitialEpoch is 3 of FitConfig.Epochs 3, which leaves none to train")
	var progress strings.Builder
	history, err := net.Fit(x, y, nn.FitConfig{Epochs: 5, Resume: path, Progress: &progress})
	require.NoError(t, err)
	require.Len(t, history, 5, "the checkpoint's 4 epochs, then the fifth")
	assert.Equal(t, 5, history[4].Epoch)
	assert.True(t, strings.HasPrefix(progress.String(), "resuming "+path+" after epoch 4 of 5: adam at learning rate "), progress.String())
}

// A validation loss that overflows is not JSON: the checkpoint keeps the
// epoch without it (has_val, no val_loss), Fit goes on, and a resumed run
// reads it back as NaN.
func TestCheckpointHistoryWithInfiniteValidation(t *testing.T) {
	desc := kernels.ScorerNetwork()
	x := make([]float32, 4*desc.Batch*desc.Input)
	y := make([]float32, 4*desc.Batch)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	valY := make([]float32, desc.Batch)
	for i := range valY {
		valY[i] = 3e19 // its squared error overflows float32's range of losses
	}
	path := filepath.Join(t.TempDir(), "ckpt")
	net, err := nn.New(desc, nn.Options{Seed: 1, Workers: 1, Optimizer: nn.SGD{LR: 0.01}})
	require.NoError(t, err)
	history, err := net.Fit(x, y, nn.FitConfig{Epochs: 2, ValX: x[:desc.Batch*desc.Input], ValY: valY, Checkpoint: path})
	require.NoError(t, err)
	require.Len(t, history, 2)
	require.True(t, math.IsInf(history[0].Val.Loss, 1), "the validation loss overflows: %v", history[0].Val.Loss)

	resumed, err := nn.New(desc, nn.Options{Seed: 1, Workers: 1, Optimizer: nn.SGD{LR: 0.01}})
	require.NoError(t, err)
	history, err = resumed.Fit(x, y, nn.FitConfig{Epochs: 3, ValX: x[:desc.Batch*desc.Input], ValY: valY, Resume: path})
	require.NoError(t, err)
	require.Len(t, history, 3)
	assert.True(t, history[0].HasVal)
	assert.True(t, math.IsNaN(history[0].Val.Loss), "read back as NaN: %v", history[0].Val.Loss)
}
