// Package compiled is the contract between a package vecgen generated and
// the nn runtime: a Network value describes one compiled model, its fixed
// shapes, its activations and its kernels, so nn can train and serve any
// generated package, including one generated into another module, without
// importing it. Generated packages provide it as <Name>Network().
//
// Every kernel works on exactly one batch of Batch samples, row-major with
// samples in rows, and takes slices of exactly the documented lengths (a
// shorter slice panics in the conversion to the kernel's array pointer).
//
// The parameters of a network are one vector of Params float32: for each
// layer in order, its weights w (In×Out, row-major, so w[k·Out + j] connects
// input k to output j) followed by its bias b (Out).
package compiled

import (
	"fmt"
	"math"

	"github.com/vecgen/vecgen/scalar"
)

// Loss names a network's training loss, by its spec name.
type Loss string

// The losses.
const (
	MSE                Loss = "mse"                  // mean squared error over all outputs
	BinaryCrossEntropy Loss = "binary_cross_entropy" // on a sigmoid output
	CrossEntropy       Loss = "cross_entropy"        // on a softmax output
)

// Network is one compiled model.
type Network struct {
	Name string // the spec's model name
	Tier Tier   // the kernels' tier: the widest the CPU has, fixed at start-up
	// Int8Tier is the tier the int8 kernels (Layer.ForwardInt8) run on:
	// the widest of those that have them that the CPU can run, or
	// Reference.
	Int8Tier Tier
	Batch    int // B: samples per kernel call
	Input    int // features per sample
	Layers   []Layer
	// BatchCycles is the plan's model of the time of a forward pass over
	// Batch rows through the Forward kernels on this tier, in cycles.
	BatchCycles float64
	// Serving lists forward passes over fewer rows than Batch, largest
	// first, for serving fewer rows than a batch without padding them to
	// one (empty when the spec asks for none). Each row they write is bit
	// for bit the row the Forward kernels write for it.
	Serving []Serving
	Loss    Loss
	Params  int // length of the parameter vector

	// LossGrad computes the loss of the last layer's output y (B×Out)
	// against target (B×Out), mean over the batch as the scalar reference
	// defines it, and writes its gradient to d: with respect to the last
	// layer's pre-activation when LossGivesDZ (softmax + cross-entropy,
	// sigmoid + binary cross-entropy), otherwise with respect to y.
	LossGrad    func(y, target, d []float32) float32
	LossGivesDZ bool

	// The optimizers, over the whole parameter vector p (length Params)
	// with gradient grad and state vectors v, m of the same length; see
	// package scalar for each update rule.
	SGD      func(p, grad []float32, lr, decay float32)
	Momentum func(p, grad, v []float32, lr, decay, mu float32)
	Nesterov func(p, grad, v []float32, lr, decay, mu float32)
	Adam     func(p, grad, m, v []float32, lr, decay, beta1, beta2, eps, c1, c2 float32)
	AdamW    func(p, grad, m, v []float32, lr, decay, beta1, beta2, eps, c1, c2 float32)

	// UpdateChunk, when not 0, is the length of the chunks the optimizers
	// also run over: each *Chunk function updates chunk i, the parameters
	// [i·UpdateChunk, min((i+1)·UpdateChunk, Params)), of the same whole
	// vectors the optimizer takes, bit for bit as the whole update does.
	// Workers share an update by chunks. Zero (and the functions nil) when
	// the parameters are a single chunk.
	UpdateChunk   int
	SGDChunk      func(i int, p, grad []float32, lr, decay float32)
	MomentumChunk func(i int, p, grad, v []float32, lr, decay, mu float32)
	NesterovChunk func(i int, p, grad, v []float32, lr, decay, mu float32)
	AdamChunk     func(i int, p, grad, m, v []float32, lr, decay, beta1, beta2, eps, c1, c2 float32)
	AdamWChunk    func(i int, p, grad, m, v []float32, lr, decay, beta1, beta2, eps, c1, c2 float32)
}

// Serving is a forward pass over Rows rows: Forward[i] is layer i's, with
// the arguments of Layer.Forward over Rows rows instead of Batch.
// Cycles is the plan's model of the pass's time on this tier, which with
// Network.BatchCycles chooses how a number of rows is cut into calls.
type Serving struct {
	Rows    int
	Cycles  float64
	Forward []func(x, w, b, z, y []float32)
}

// Layer is one dense layer, y = act(x·w + b), with x B×In, w In×Out and
// y, z (the pre-activation x·w + b) B×Out.
type Layer struct {
	In, Out    int
	Activation scalar.Activation
	// PreActivation is set when the layer's derivative needs z (gelu,
	// silu): Forward then writes z as well as y, and ActivationGrad reads z.
	// Otherwise Forward ignores z (pass nil) and ActivationGrad reads y.
	PreActivation bool

	Forward func(x, w, b, z, y []float32)
	// ActivationGrad turns the gradient d with respect to y into the
	// gradient with respect to z, in place. Nil for identity layers and for
	// the last layer when the loss gives dz directly.
	ActivationGrad func(z, y, d []float32)
	// WeightGrad writes dw = xᵀ·dz and db = column sums of dz.
	WeightGrad func(x, dz, dw, db []float32)
	// InputGrad writes dx = dz·wᵀ (B×In), using wt (Out×In) as scratch.
	// Nil for the first layer, whose input needs no gradient.
	InputGrad func(dz, w, wt, dx []float32)

	// The halves let two workers share one batch. Each takes the half h
	// (0 or 1) and the same whole slices as the kernel it halves, and
	// writes exactly its half of that kernel's outputs, bit for bit:
	// ForwardHalf, ActivationGradHalf and InputGradHalf the rows
	// [h·B/2, (h+1)·B/2) of y and z, d and dx (InputGradHalf uses wt as
	// scratch, as InputGrad does: each worker passes its own wt); WeightGradHalf the
	// rows [h·In/2, (h+1)·In/2) of dw, leaving db to BiasGrad. They are
	// nil unless every layer of the model splits (an even batch of at
	// least 4 and even inputs of at least 4 per layer), and
	// ActivationGradHalf and InputGradHalf are nil where the whole kernels
	// are. The first layer has no ForwardHalf when it has the split depth
	// below, which training runs instead.
	ForwardHalf        func(h int, x, w, b, z, y []float32)
	ActivationGradHalf func(h int, z, y, d []float32)
	WeightGradHalf     func(h int, x, dz, dw []float32)
	BiasGrad           func(dz, db []float32)
	InputGradHalf      func(h int, dz, w, wt, dx []float32)

	// The split depth: training computes the first layer's forward pass
	// as two products over halves of its inputs, then their combine, so
	// that each of two workers reads and updates only its own rows of w.
	// PartialForward writes p = x[:, k0:k0+In/2]·w[k0:k0+In/2, :] (B×Out,
	// no bias) for k0 = h·In/2, from the whole x and w. Combine writes
	// rows [h·B/2, (h+1)·B/2) of z and y from the two products:
	// y = act((p0 + p1) + b), in that order whoever computed p0 and p1.
	// The result differs from Forward's in rounding (and where a partial
	// product overflows while the whole sum would not). Both are nil
	// unless the halves are set and the model has more than one layer,
	// and on every layer but the first.
	PartialForward func(h int, x, w, p []float32)
	Combine        func(h int, p0, p1, b, z, y []float32)

	// The fused SGD step: each computes a gradient as its twin does and
	// takes SGD's step with it in place of writing it, bit for bit what
	// SGD writes from the twin's gradient: WeightGradSGD w ← w − lr·(dw +
	// decay·w) and b ← b − lr·(db + decay·b), WeightGradSGDHalf the same
	// on WeightGradHalf's rows of w (w whole, as dw is for WeightGradHalf),
	// and BiasGradSGD on b alone. A step taken cannot be taken back, so
	// the caller must know the gradient to be finite first (nn bounds it
	// by the magnitudes of x and dz). Nil where the package has none: one
	// generated before them, or whose batch is too deep for a product in
	// one chunk of depth; the halves nil where WeightGradHalf is.
	WeightGradSGD     func(x, dz, w, b []float32, lr, decay float32)
	WeightGradSGDHalf func(h int, x, dz, w []float32, lr, decay float32)
	BiasGradSGD       func(dz, b []float32, lr, decay float32)

	// ForwardInt8 is the layer's int8 forward pass for serving,
	// scalar.DenseInt8Packed over len(x)/In rows (any number): x is
	// rows×In and y rows×Out, qw the weights quantized by
	// scalar.QuantizeWeights in the packed layout of
	// scalar.PackInt8Weights, scale and colsum their scales and column
	// sums, b the bias. Each row's outputs are bit for bit the
	// reference's up to the activation (exactly for identity and relu),
	// whatever the number of rows. Nil when the package has no int8
	// kernels.
	ForwardInt8 func(x []float32, qw []int8, scale []float32, colsum []int32, b, y []float32)
}

// Output is the width of the last layer.
func (n *Network) Output() int { return n.Layers[len(n.Layers)-1].Out }

// CheckServing checks the serving passes: row counts below the batch,
// largest first, a kernel per layer and a positive finite time each, and
// a positive finite BatchCycles when there are any.
func (n *Network) CheckServing() error {
	timed := func(c float64) bool { return c > 0 && !math.IsInf(c, 0) }
	if len(n.Serving) > 0 && !timed(n.BatchCycles) {
		return fmt.Errorf("the descriptor has serving passes but a batch time of %v cycles", n.BatchCycles)
	}
	for i, s := range n.Serving {
		if s.Rows < 1 || s.Rows >= n.Batch || i > 0 && s.Rows >= n.Serving[i-1].Rows {
			return fmt.Errorf("serving pass %d has %d rows; want fewer than the batch (%d) and than the pass before", i, s.Rows, n.Batch)
		}
		if len(s.Forward) != len(n.Layers) || !timed(s.Cycles) {
			return fmt.Errorf("the %d-row serving pass has %d kernels for %d layers and a time of %v cycles", s.Rows, len(s.Forward), len(n.Layers), s.Cycles)
		}
		for j, f := range s.Forward {
			if f == nil {
				return fmt.Errorf("the %d-row serving pass lacks layer %d's kernel", s.Rows, j+1)
			}
		}
	}
	return nil
}
