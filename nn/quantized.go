package nn

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/internal/vec"
	"github.com/vecgen/vecgen/scalar"
)

// Quantized is a trained network's int8 form, for serving: each layer's
// weights quantized once to int8 with one scale per output, each row of
// activations quantized to uint8 as it enters a layer, with the row's own
// scale and zero point, and the products summed in int32 (see
// scalar.DenseInt8 for the arithmetic). It is calibration-free: the
// weights' ranges and each row's range are all it needs. Its weights are
// a quarter of the float32 network's bytes.
//
// A Quantized is read-only once made and safe to use from many goroutines
// at once.
type Quantized struct {
	desc    compiled.Network
	layers  []int8Layer
	scratch sync.Pool // *int8Scratch
}

// int8Layer is one layer's quantized weights and its float32 epilogue.
type int8Layer struct {
	in, out int
	act     scalar.Activation
	qw      []int8    // In×Out, row-major as the float w
	scale   []float32 // Out: the scale of each output's weights
	colsum  []int32   // Out: Σₖ qw[k,j], for the zero points' correction
	b       []float32 // Out
}

// int8Scratch is the working memory of one row's forward pass: the
// quantized input of a layer, its int32 sums and the outputs of two
// layers.
type int8Scratch struct {
	qx   []uint8
	acc  []int32
	a, b []float32
}

// Quantize returns the int8 form of n's current weights. n is not
// changed and the two share nothing. It refuses weights that are not
// finite and layers deeper than scalar.MaxInt8Depth inputs, whose int32
// sums could overflow.
func Quantize(n *Network) (*Quantized, error) {
	q := &Quantized{desc: n.desc}
	widest := n.desc.Input
	for i, l := range n.desc.Layers {
		if l.In > scalar.MaxInt8Depth {
			return nil, fmt.Errorf("nn: layer %d has %d inputs; int8 sums are exact up to %d", i+1, l.In, scalar.MaxInt8Depth)
		}
		w, b := n.w[i], n.b[i]
		if at := vec.FirstNonFinite(w); at >= 0 {
			return nil, fmt.Errorf("nn: layer %d: weight %d is %v; only finite weights quantize", i+1, at, w[at])
		}
		if at := vec.FirstNonFinite(b); at >= 0 {
			return nil, fmt.Errorf("nn: layer %d: bias %d is %v; only finite weights quantize", i+1, at, b[at])
		}
		ql := int8Layer{in: l.In, out: l.Out, act: l.Activation,
			qw: make([]int8, l.In*l.Out), scale: make([]float32, l.Out), colsum: make([]int32, l.Out), b: append([]float32(nil), b...)}
		scalar.QuantizeWeights(w, l.In, l.Out, ql.qw, ql.scale, ql.colsum)
		q.layers = append(q.layers, ql)
		widest = max(widest, l.Out)
	}
	q.scratch.New = func() any {
		return &int8Scratch{qx: make([]uint8, widest), acc: make([]int32, widest), a: make([]float32, widest), b: make([]float32, widest)}
	}
	return q, nil
}

func (q *Quantized) shape() *compiled.Network { return &q.desc }

// Input and Output are the widths of a sample and of its outputs.
func (q *Quantized) Input() int  { return q.desc.Input }
func (q *Quantized) Output() int { return q.desc.Output() }

// Predict writes the int8 network's outputs for the samples in x (rows of
// Input features) to out (rows of Output values), which must have room
// for them. Each sample is computed alone: its outputs do not depend on
// the others. The features must be finite (a row's quantization needs
// its range), and an output that is not finite is an error rather than a
// value, naming the sample. Many samples are shared among up to
// GOMAXPROCS goroutines, in runs of at least int8Run samples.
func (q *Quantized) Predict(x, out []float32) error {
	count, err := rows("x", x, q.desc.Input)
	if err != nil {
		return err
	}
	width := q.desc.Output()
	if len(out) < count*width {
		return fmt.Errorf("nn: out has room for %d values, %d samples need %d", len(out), count, count*width)
	}
	if i := vec.FirstNonFinite(x); i >= 0 {
		return fmt.Errorf("nn: sample %d: feature %d is %v; int8 inputs must be finite", i/q.desc.Input, i%q.desc.Input, x[i])
	}
	parts := min(runtime.GOMAXPROCS(0), (count+int8Run-1)/int8Run)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() { errs[p] = q.predictRows(x, out, p*count/parts, (p+1)*count/parts) })
	}
	wg.Wait()
	for _, err := range errs { // the first sample's error
		if err != nil {
			return err
		}
	}
	return nil
}

// int8Run is the fewest samples Predict gives a goroutine of its own.
const int8Run = 64

// predictRows runs samples lo to hi−1 of x through the network into out.
func (q *Quantized) predictRows(x, out []float32, lo, hi int) error {
	s := q.scratch.Get().(*int8Scratch)
	defer q.scratch.Put(s)
	in, width := q.desc.Input, q.desc.Output()
	for r := lo; r < hi; r++ {
		y := q.forward(s, x[r*in:(r+1)*in])
		if i := vec.FirstNonFinite(y); i >= 0 {
			return fmt.Errorf("nn: sample %d: output %d is %v: the int8 network overflowed", r, i, y[i])
		}
		copy(out[r*width:(r+1)*width], y)
	}
	return nil
}

// forward runs one sample through the layers, alternating between the
// scratch's two rows, and returns the last layer's outputs.
func (q *Quantized) forward(s *int8Scratch, x []float32) []float32 {
	in, next := x, s.a
	for _, l := range q.layers {
		y := next[:l.out]
		scalar.DenseInt8(in, l.qw, l.scale, l.colsum, l.b, y, s.qx, s.acc, 1, l.in, l.out, l.act)
		in = y
		if &next[0] == &s.a[0] {
			next = s.b
		} else {
			next = s.a
		}
	}
	return in
}

// Classify, Evaluate, ConfusionOf and RegressionOf do what Network's do,
// through the int8 network's Predict.
func (q *Quantized) Classify(x []float32, classes []int) error { return classify(q, x, classes) }
func (q *Quantized) Evaluate(x, y []float32) (Metrics, error)  { return evaluate(q, x, y) }
func (q *Quantized) ConfusionOf(x []float32, labels []int) (Confusion, error) {
	return confusionOf(q, x, labels)
}
func (q *Quantized) RegressionOf(x, y []float32) (Regression, error) { return regressionOf(q, x, y) }
