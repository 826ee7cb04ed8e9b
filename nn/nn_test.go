package nn_test

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/internal/pythontest"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
	"github.com/vecgen/vecgen/scalar"
)

// samples draws count inputs and matching targets for desc's loss.
func samples(desc compiled.Network, count int, seed uint64) (x, y []float32) {
	r := rand.New(rand.NewPCG(seed, 1))
	x = make([]float32, count*desc.Input)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	out := desc.Output()
	y = make([]float32, count*out)
	for i := range count {
		switch desc.Loss {
		case compiled.CrossEntropy:
			y[i*out+r.IntN(out)] = 1
		case compiled.BinaryCrossEntropy:
			for j := range out {
				y[i*out+j] = float32(r.IntN(2))
			}
		default:
			for j := range out {
				y[i*out+j] = float32(r.NormFloat64())
			}
		}
	}
	return x, y
}

// reference computes, in float64 with package scalar, the mean loss over
// count samples and its gradient with respect to the parameter vector p.
func reference(desc compiled.Network, p []float32, x, y []float32, count int) (float64, []float64) {
	P := make([]float64, len(p))
	for i, v := range p {
		P[i] = float64(v)
	}
	var w, b [][]float64
	off := 0
	for _, l := range desc.Layers {
		w = append(w, P[off:off+l.In*l.Out])
		off += l.In * l.Out
		b = append(b, P[off:off+l.Out])
		off += l.Out
	}
	a := [][]float64{make([]float64, len(x))}
	for i, v := range x {
		a[0][i] = float64(v)
	}
	z := [][]float64{nil}
	for i, l := range desc.Layers {
		zi := make([]float64, count*l.Out)
		scalar.Dense(a[i], w[i], b[i], zi, count, l.In, l.Out, scalar.Identity)
		ai := append([]float64(nil), zi...)
		for r := range count {
			scalar.Activate(ai[r*l.Out:(r+1)*l.Out], l.Activation)
		}
		z, a = append(z, zi), append(a, ai)
	}
	L := len(desc.Layers)
	out := desc.Output()
	t := make([]float64, len(y))
	for i, v := range y {
		t[i] = float64(v)
	}
	d := make([]float64, count*out)
	var loss float64
	switch desc.Loss {
	case compiled.CrossEntropy:
		loss = scalar.SoftmaxCrossEntropy(a[L], t, d, count, out)
	case compiled.BinaryCrossEntropy:
		loss = scalar.SigmoidBinaryCrossEntropy(a[L], t, d, count, out)
	default:
		loss = scalar.MeanSquaredError(a[L], t, d, count, out)
	}
	grad := make([]float64, len(p))
	goff := len(p)
	for i := L - 1; i >= 0; i-- {
		l := desc.Layers[i]
		if !(i == L-1 && desc.LossGivesDZ) && l.Activation != scalar.Identity {
			src := a[i+1]
			if l.Activation.FromPreActivation() {
				src = z[i+1]
			}
			scalar.ActivationGrad(src, d, l.Activation)
		}
		goff -= l.In*l.Out + l.Out
		scalar.DenseGrad(a[i], d, grad[goff:goff+l.In*l.Out], grad[goff+l.In*l.Out:goff+l.In*l.Out+l.Out], count, l.In, l.Out)
		if i > 0 {
			dx := make([]float64, count*l.In)
			scalar.DenseInputGrad(d, w[i], dx, count, l.In, l.Out)
			d = dx
		}
	}
	return loss, grad
}

// TestTrainStepMatchesReference takes one plain SGD step on full, partial
// and multi-tile steps, with 1 and 2 workers, and checks the loss and the
// parameter change against the float64 reference gradient of exactly the
// given samples: padding rows must add nothing, and the mean must be over
// the real samples.
func TestTrainStepMatchesReference(t *testing.T) {
	defer nn.ShareSmallSteps()() // cover the halves on these small models
	descs := []compiled.Network{kernels.DigitsNetwork(), kernels.LogisticNetwork(), kernels.ScorerNetwork()}
	for _, desc := range descs {
		for _, workers := range []int{1, 2} {
			for _, count := range []int{1, desc.Batch - 1, desc.Batch, desc.Batch + 3, 2 * desc.Batch} {
				if count < 1 {
					continue
				}
				net, err := nn.New(desc, nn.Options{Seed: 3, Workers: workers, StepSize: 2 * desc.Batch, Optimizer: nn.SGD{LR: 1}})
				require.NoError(t, err)
				x, y := samples(desc, count, uint64(count))
				before := append([]float32(nil), net.Params()...)
				wantLoss, grad := reference(desc, before, x, y, count)
				loss, err := net.TrainStep(x, y)
				require.NoError(t, err)
				assert.InEpsilon(t, wantLoss, loss, 1e-4, "%s workers=%d count=%d", desc.Name, workers, count)
				largest := 0.0
				for _, g := range grad {
					largest = math.Max(largest, math.Abs(g))
				}
				bad := 0
				for i, p := range net.Params() {
					step := float64(before[i]) - float64(p) // lr = 1: the gradient
					if math.Abs(step-grad[i]) > 1e-4*largest+1e-6*math.Abs(float64(before[i]))+1e-7 {
						bad++
						if bad < 4 {
							t.Errorf("%s workers=%d count=%d: parameter %d moved by %g, gradient is %g", desc.Name, workers, count, i, step, grad[i])
						}
					}
				}
			}
		}
	}
}

func TestZeroAllocations(t *testing.T) {
	defer nn.LetWorkersExceedCores()()
	defer nn.ShareSmallSteps()()
	desc := kernels.DigitsNetwork()
	for _, workers := range []int{1, 2} {
		for _, opt := range []nn.Optimizer{nn.SGD{LR: 0.1}, nn.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}, nn.Adam{LR: 1e-3}, nn.AdamW{LR: 1e-3}} {
			for _, stepSize := range []int{3 * desc.Batch, desc.Batch} { // tiles, halves
				net, err := nn.New(desc, nn.Options{Workers: workers, StepSize: stepSize, Optimizer: opt})
				require.NoError(t, err)
				x, y := samples(desc, net.StepSize()-5, 1)
				allocs := testing.AllocsPerRun(20, func() {
					if _, err := net.TrainStep(x, y); err != nil {
						t.Fatal(err)
					}
				})
				assert.Zero(t, allocs, "TrainStep with %d workers, step size %d, %T", workers, stepSize, opt)
			}
		}
		// spec/fashion.yaml's update runs by chunks; a few steps, which
		// make test also runs under an emulator.
		fashion := kernels.FashionNetwork()
		for _, stepSize := range []int{fashion.Batch, 2 * fashion.Batch} {
			net, err := nn.New(fashion, nn.Options{Workers: workers, StepSize: stepSize, Optimizer: nn.Adam{LR: 1e-3}})
			require.NoError(t, err)
			x, y := samples(fashion, net.StepSize()-3, 1)
			allocs := testing.AllocsPerRun(2, func() {
				if _, err := net.TrainStep(x, y); err != nil {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs, "fashion TrainStep with %d workers, step size %d", workers, stepSize)
		}
		net, err := nn.New(desc, nn.Options{Workers: workers})
		require.NoError(t, err)
		for _, count := range []int{1, desc.Batch, 5*desc.Batch + 7} {
			x, _ := samples(desc, count, 2)
			out := make([]float32, count*desc.Output())
			allocs := testing.AllocsPerRun(20, func() {
				if err := net.Predict(x, out); err != nil {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs, "Predict of %d samples with %d workers", count, workers)
		}
	}
}

// TestPredict checks predictions of any count against the float64
// reference forward pass, and the same answers from concurrent callers.
func TestPredict(t *testing.T) {
	desc := kernels.DigitsNetwork()
	net, err := nn.New(desc, nn.Options{Seed: 9, Workers: 3})
	require.NoError(t, err)
	const count = 2*32 + 11
	x, _ := samples(desc, count, 4)
	want := forward(desc, net.Params(), x, count)
	got := make([]float32, count*desc.Output())
	require.NoError(t, net.Predict(x, got))
	for i := range want {
		require.InDelta(t, want[i], got[i], 1e-5, "output %d", i)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 1 + g*9
			out := make([]float32, n*desc.Output())
			for range 20 {
				if err := net.Predict(x[:n*desc.Input], out); err != nil {
					t.Error(err)
					return
				}
				for i := range out {
					if out[i] != got[i] {
						t.Errorf("goroutine %d: output %d is %g, alone it was %g", g, i, out[i], got[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()

	classes := make([]int, count)
	require.NoError(t, net.Classify(x, classes))
	for i, c := range classes {
		row := got[i*10 : i*10+10]
		for _, v := range row {
			assert.LessOrEqual(t, v, row[c])
		}
	}
	assert.Error(t, net.Predict(x[:65], got), "not a whole number of samples")
	assert.Error(t, net.Predict(x, got[:10]), "no room")
}

// forward is the float64 reference forward pass.
func forward(desc compiled.Network, p []float32, x []float32, count int) []float64 {
	a := make([]float64, len(x))
	for i, v := range x {
		a[i] = float64(v)
	}
	off := 0
	for _, l := range desc.Layers {
		w, b := make([]float64, l.In*l.Out), make([]float64, l.Out)
		for i := range w {
			w[i] = float64(p[off+i])
		}
		off += l.In * l.Out
		for i := range b {
			b[i] = float64(p[off+i])
		}
		off += l.Out
		next := make([]float64, count*l.Out)
		scalar.Dense(a, w, b, next, count, l.In, l.Out, l.Activation)
		a = next
	}
	return a
}

// TestSmallStepsRunOnOneWorker checks that two workers split a step of
// one tile only when its work repays their meetings: not the digits
// model's, but Fashion's.
func TestSmallStepsRunOnOneWorker(t *testing.T) {
	defer nn.LetWorkersExceedCores()()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, c := range []struct {
		desc compiled.Network
		want bool
	}{{kernels.DigitsNetwork(), false}, {kernels.FashionNetwork(), true}} {
		net, err := nn.New(c.desc, nn.Options{Workers: 2})
		require.NoError(t, err)
		x, y := samples(c.desc, c.desc.Batch, 1)
		_, err = net.TrainStep(x, y)
		require.NoError(t, err)
		assert.Equal(t, c.want, net.SharedInHalves(), c.desc.Name)
	}
}

// TestHalvedUpdateShares checks how two workers that shared a step in
// halves split its update: every chunk once, shares within a chunk of
// each other, and each worker keeping the chunks that lie wholly in the
// half of the first layer's rows of w it computed with (Fashion's first
// layer holds nearly all its parameters, spec/wide.yaml's half).
func TestHalvedUpdateShares(t *testing.T) {
	for _, desc := range []compiled.Network{kernels.FashionNetwork(), kernels.WideNetwork()} {
		net, err := nn.New(desc, nn.Options{Workers: 2})
		require.NoError(t, err)
		shares, chunk := net.HalvedUpdateShares()
		chunks := (desc.Params + chunk - 1) / chunk
		owners := make([][]int, chunks)
		var counts [2]int
		for h, ranges := range shares {
			for _, r := range ranges {
				for c := r[0]; c < r[1]; c++ {
					owners[c] = append(owners[c], h)
					counts[h]++
				}
			}
		}
		owner := make([]int, chunks) // 1 + the one worker that holds the chunk
		for c, o := range owners {
			require.Len(t, o, 1, "%s: chunk %d of %d is held by workers %v", desc.Name, c, chunks, o)
			owner[c] = o[0] + 1
		}
		assert.LessOrEqual(t, max(counts[0], counts[1])-min(counts[0], counts[1]), 1, "%s: shares %v", desc.Name, counts)
		l := desc.Layers[0]
		half := l.In / 2 * l.Out
		for c := range chunks {
			switch lo, hi := c*chunk, (c+1)*chunk; {
			case hi <= half:
				assert.Equal(t, 1, owner[c], "%s: chunk %d is in worker 0's rows of w", desc.Name, c)
			case lo >= half && hi <= l.In*l.Out:
				assert.Equal(t, 2, owner[c], "%s: chunk %d is in worker 1's rows of w", desc.Name, c)
			}
		}
	}
}

// TestFusedSGDStep checks the steps of plain SGD on one batch, which take
// SGD's step in the gradient kernels, against the same steps through the
// separate check and update passes: bit for bit, on one worker and on two
// sharing each step in halves, for Digits and Fashion (split depth). A
// step on a partial batch, with momentum, or whose inputs are too large to
// bound the gradient (Fashion's relu passes inputs of 1e36 on) does not
// fuse.
func TestFusedSGDStep(t *testing.T) {
	defer nn.LetWorkersExceedCores()()
	defer nn.ShareSmallSteps()()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, desc := range []compiled.Network{kernels.DigitsNetwork(), kernels.FashionNetwork()} {
		// steps returns the parameters after three steps, and how many of
		// them fused.
		steps := func(workers int, fused bool, opt nn.Optimizer, scale float32, count int) ([]float32, int) {
			if !fused {
				defer nn.WithoutFusedSGD()()
			}
			net, err := nn.New(desc, nn.Options{Seed: 3, Workers: workers, Optimizer: opt})
			require.NoError(t, err)
			took := 0
			for i := range 3 {
				x, y := samples(desc, count, uint64(i))
				for j := range x {
					x[j] *= scale
				}
				_, err := net.TrainStep(x, y)
				require.NoError(t, err)
				require.Equal(t, workers == 2, net.SharedInHalves(), "%s, %d workers: the step's halving", desc.Name, workers)
				if net.FusedSGDStep() {
					took++
				}
			}
			return net.Params(), took
		}
		sgd := nn.SGD{LR: 0.05, WeightDecay: 1e-3}
		want, took := steps(1, false, sgd, 1, desc.Batch)
		require.Zero(t, took, "%s: a step fused with fusion off", desc.Name)
		for _, workers := range []int{1, 2} {
			got, took := steps(workers, true, sgd, 1, desc.Batch)
			require.Equal(t, 3, took, "%s, %d workers: steps that did not fuse", desc.Name, workers)
			require.Equal(t, want, got, "%s, %d workers: the fused steps differ from the separate ones", desc.Name, workers)
		}
		for _, c := range []struct {
			name  string
			opt   nn.Optimizer
			scale float32
			count int
		}{
			{"a partial batch", sgd, 1, desc.Batch - 1},
			{"momentum", nn.SGD{LR: 0.05, Momentum: 0.9}, 1, desc.Batch},
			{"inputs of 1e36", nn.SGD{LR: 1e-36}, 1e36, desc.Batch},
		} {
			if c.scale != 1 && desc.Name != "Fashion" {
				continue // Digits' tanh saturates: its gradient stays small
			}
			for _, workers := range []int{1, 2} {
				want, _ := steps(workers, false, c.opt, c.scale, c.count)
				got, took := steps(workers, true, c.opt, c.scale, c.count)
				require.Zero(t, took, "%s, %s, %d workers: a step fused", desc.Name, c.name, workers)
				require.Equal(t, want, got, "%s, %s, %d workers", desc.Name, c.name, workers)
			}
		}
	}
}

// TestDeterministic trains with the same seed and step size for every
// worker count and GOMAXPROCS and expects bit-identical weights; another
// seed gives others. It runs under -race too (make test-race).
func TestDeterministic(t *testing.T) {
	defer nn.LetWorkersExceedCores()()
	defer nn.ShareSmallSteps()()
	digits := dataset.Digits()
	x, y := digits.X[:300*64], digits.OneHot()[:300*10]
	train := func(seed uint64, workers, stepSize int) []float32 {
		net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: seed, Workers: workers, StepSize: stepSize, Optimizer: nn.Adam{LR: 0.01}})
		require.NoError(t, err)
		_, err = net.Fit(x, y, nn.FitConfig{Epochs: 1})
		require.NoError(t, err)
		return net.Params()
	}
	batch := kernels.DigitsNetwork().Batch
	for _, stepSize := range []int{0, 3*batch + 5, 4 * batch} {
		want := train(5, 1, stepSize)
		for _, procs := range []int{1, 2, 4} {
			func() {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				for _, workers := range []int{1, 2, 3, 4} {
					require.Equal(t, want, train(5, workers, stepSize), "step size %d, %d workers, GOMAXPROCS %d", stepSize, workers, procs)
				}
			}()
		}
	}
	assert.NotEqual(t, train(5, 2, 0), train(6, 2, 0))
	assert.NotEqual(t, train(5, 2, 0), train(5, 2, 2*batch), "the step size is part of the training")

	// spec/fashion.yaml's parameters are updated by chunks, which the
	// workers share: two combinations, since its steps are 100 times
	// dearer and make test also runs this under an emulator.
	desc := kernels.FashionNetwork()
	require.NotZero(t, desc.UpdateChunk)
	steps := func(workers, stepSize int) []float32 {
		net, err := nn.New(desc, nn.Options{Seed: 2, Workers: workers, StepSize: stepSize, Optimizer: nn.Adam{LR: 1e-3}})
		require.NoError(t, err)
		for i := range 2 {
			x, y := samples(desc, net.StepSize()-i, uint64(i))
			_, err := net.TrainStep(x, y)
			require.NoError(t, err)
		}
		return net.Params()
	}
	for _, stepSize := range []int{0, 2*desc.Batch + 5} {
		want := steps(1, stepSize)
		for _, c := range []struct{ workers, procs int }{{2, 2}, {3, 1}} {
			func() {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
				require.Equal(t, want, steps(c.workers, stepSize), "fashion: step size %d, %d workers, GOMAXPROCS %d", stepSize, c.workers, c.procs)
			}()
		}
	}
}

func TestFitDigits(t *testing.T) {
	defer nn.ShareSmallSteps()() // cover the halves on these small models
	tr, te, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1, Workers: 2, Optimizer: nn.Adam{LR: 0.01}})
	require.NoError(t, err)
	var lines []nn.Epoch
	history, err := net.Fit(tr.X, tr.OneHot(), nn.FitConfig{Epochs: 10, ValX: te.X, ValY: te.OneHot(),
		Schedule: nn.CosineDecay(0.01, 10), OnEpoch: func(e nn.Epoch) bool { lines = append(lines, e); return true }})
	require.NoError(t, err)
	require.Len(t, history, 10)
	assert.Equal(t, history, lines)
	assert.Less(t, history[9].Loss, history[0].Loss/4)
	assert.Greater(t, history[9].Val.Accuracy, 0.93)
	m, err := net.Evaluate(te.X, te.OneHot())
	require.NoError(t, err)
	assert.Equal(t, history[9].Val, m)

	_, err = net.Fit(tr.X, tr.OneHot(), nn.FitConfig{Epochs: 3, OnEpoch: func(nn.Epoch) bool { return false }})
	require.NoError(t, err)
	_, err = net.Fit(tr.X[:10], tr.OneHot(), nn.FitConfig{Epochs: 1})
	assert.ErrorContains(t, err, "nn: x has 10 values, not a whole number of samples of the 64 features the model takes")
}

func TestOptimizerErrors(t *testing.T) {
	net, err := nn.New(kernels.SeedNetwork(), nn.Options{})
	require.NoError(t, err)
	assert.Error(t, net.SetOptimizer(nn.SGD{}))
	assert.Error(t, net.SetOptimizer(nn.SGD{LR: 1, Nesterov: true}))
	assert.Error(t, net.SetLearningRate(float32(math.NaN())))
	x, y := samples(kernels.SeedNetwork(), net.StepSize()+1, 1)
	_, err = net.TrainStep(x, y)
	assert.ErrorContains(t, err, "TrainStep takes 1 to")
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	a, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1})
	require.NoError(t, err)
	require.NoError(t, a.Save(path))
	b, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 2})
	require.NoError(t, err)
	require.NoError(t, b.Load(path))
	assert.Equal(t, a.Params(), b.Params())
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temporary file is left behind")

	// A file for another network is refused, naming both models, and the
	// network keeps its weights.
	other, err := nn.New(kernels.FashionNetwork(), nn.Options{Seed: 1})
	require.NoError(t, err)
	before := append([]float32(nil), other.Params()...)
	err = other.Load(path)
	assert.ErrorContains(t, err, `holds model Digits (64-32 tanh, 32-10 softmax); this network is Fashion`)
	assert.Equal(t, before, other.Params())

	file, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, cut := range []int{0, 7, 8, 100, len(file) - 1} {
		assert.Error(t, b.Decode(file[:cut]), "truncated to %d bytes", cut)
	}
	assert.Equal(t, a.Params(), b.Params())
	assert.ErrorContains(t, b.Load(filepath.Join(dir, "missing")), "no such file")
}

// TestTorchFixture loads weights PyTorch trained and saved (see
// testdata/make_torch_fixture.py) and reproduces PyTorch's outputs.
func TestTorchFixture(t *testing.T) {
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{})
	require.NoError(t, err)
	require.NoError(t, net.Load("testdata/torch_digits.safetensors"))
	io := readTensors(t, "testdata/torch_digits_io.safetensors")
	x, probs := io["x"], io["probs"]
	got := make([]float32, len(probs))
	require.NoError(t, net.Predict(x, got))
	for i := range probs {
		require.InDelta(t, probs[i], got[i], 2e-6, "output %d", i)
	}
}

func readTensors(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	tensors, err := nn.DecodeTensors(file)
	require.NoError(t, err)
	out := map[string][]float32{}
	for name, ts := range tensors {
		out[name] = ts.Data
	}
	return out
}

// TestTorchLoadsOurWeights saves a trained network, has PyTorch load the
// file into an nn.Sequential with load_state_dict(strict=True) (see
// testdata/check_torch.py) and compares its outputs with ours. It needs
// Debian's python3-torch (VECGEN_PYTHON names the interpreter, by default
// /usr/bin/python3); make test sets VECGEN_REQUIRE_TORCH=1 so that a
// missing PyTorch fails instead of skipping.
func TestTorchLoadsOurWeights(t *testing.T) {
	python := pythontest.Python(t, "torch")
	tr, _, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1, Optimizer: nn.Adam{LR: 0.01}})
	require.NoError(t, err)
	_, err = net.Fit(tr.X, tr.OneHot(), nn.FitConfig{Epochs: 3})
	require.NoError(t, err)
	dir := t.TempDir()
	weights, out := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "out.safetensors")
	require.NoError(t, net.Save(weights))
	inputs := "testdata/torch_digits_io.safetensors"
	cmd := exec.Command(python, "testdata/check_torch.py", weights, inputs, out)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	x := readTensors(t, inputs)["x"]
	want := readTensors(t, out)["probs"]
	got := make([]float32, len(want))
	require.NoError(t, net.Predict(x, got))
	for i := range want {
		require.InDelta(t, want[i], got[i], 2e-6, "output %d", i)
	}
}

// TestFitAllocatesPerEpochNotPerStep checks that Fit's allocations do not
// grow with the steps of an epoch or the validation samples: shuffling,
// gathering rows into tiles and validation reuse the network's buffers.
func TestFitAllocatesPerEpochNotPerStep(t *testing.T) {
	desc := kernels.DigitsNetwork()
	digits := dataset.Digits()
	y := digits.OneHot()
	out := desc.Output()
	allocs := func(steps int) float64 {
		net, err := nn.New(desc, nn.Options{Seed: 1, Workers: 2, StepSize: 2 * desc.Batch, Optimizer: nn.Adam{LR: 1e-3}})
		require.NoError(t, err)
		n := steps * net.StepSize()
		cfg := nn.FitConfig{Epochs: 1, ValX: digits.X[:n*desc.Input], ValY: y[:n*out]}
		return testing.AllocsPerRun(5, func() {
			if _, err := net.Fit(digits.X[:n*desc.Input], y[:n*out], cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
	few, many := allocs(2), allocs(20)
	assert.Equal(t, few, many, "an epoch of 20 steps allocated %v times, one of 2 steps %v", many, few)
}

// TestPausedTrainingIsTheSame pauses between steps for longer than the
// workers' goroutines wait for work, so they exit and are started again,
// and expects the weights of training without pauses on one worker.
func TestPausedTrainingIsTheSame(t *testing.T) {
	defer nn.LetWorkersExceedCores()()
	defer nn.ShareSmallSteps()()
	desc := kernels.DigitsNetwork()
	stepSize := 3 * desc.Batch
	train := func(workers int, pause time.Duration) []float32 {
		net, err := nn.New(desc, nn.Options{Seed: 4, Workers: workers, StepSize: stepSize, Optimizer: nn.SGD{LR: 0.1, Momentum: 0.9}})
		require.NoError(t, err)
		for i := range 12 {
			x, y := samples(desc, net.StepSize()-i, uint64(i))
			_, err := net.TrainStep(x, y)
			require.NoError(t, err)
			if i%2 == 1 {
				time.Sleep(pause)
			}
		}
		return net.Params()
	}
	want := train(1, 0)
	for _, workers := range []int{2, 3, 4} {
		assert.Equal(t, want, train(workers, 3*time.Millisecond), "%d workers", workers)
	}
	stepSize = desc.Batch // one tile: two workers split it in halves
	want = train(1, 0)
	assert.Equal(t, want, train(2, 3*time.Millisecond), "halves")
}
