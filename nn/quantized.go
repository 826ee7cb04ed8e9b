package nn

import (
	"fmt"
	"maps"
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
// a quarter of the float32 network's bytes (where Predict runs the float
// kernels, see RunsInt8, it also keeps a float network of them).
//
// A Quantized is read-only once made and safe to use from many goroutines
// at once.
type Quantized struct {
	desc    compiled.Network
	layers  []int8Layer
	meta    map[string]string // the user's metadata, as Network.Metadata
	scratch sync.Pool         // *int8Scratch
	// float is the float network of the dequantized weights, which
	// Predict runs where the CPU runs float kernels but no int8 ones
	// (see RunsInt8); nil where Predict computes in int8.
	float *Network
}

// int8Layer is one layer's quantized weights and its float32 epilogue.
type int8Layer struct {
	in, out int
	act     scalar.Activation
	packed  []int8    // the weights in the int8 kernels' layout (scalar.PackInt8Weights)
	scale   []float32 // Out: the scale of each output's weights
	colsum  []int32   // Out: Σₖ qw[k,j], for the zero points' correction
	b       []float32 // Out
	// kernel is the generated int8 kernel (compiled.Layer.ForwardInt8),
	// or nil for a package without them, whose layers run the reference.
	kernel func(x []float32, qw []int8, scale []float32, colsum []int32, b, y []float32)
}

// forward computes the layer's outputs y for the rows of x, through the
// generated kernel or, without one, the reference (which takes s's
// scratch).
func (l *int8Layer) forward(s *int8Scratch, x, y []float32) {
	if l.kernel != nil {
		l.kernel(x, l.packed, l.scale, l.colsum, l.b, y)
		return
	}
	scalar.DenseInt8Packed(x, l.packed, l.scale, l.colsum, l.b, y, s.qx, s.acc, len(x)/l.in, l.in, l.out, l.act)
}

// int8Scratch is the working memory of a forward pass over up to
// int8Rows rows: the outputs of two layers, and the reference's quantized
// row and int32 sums.
type int8Scratch struct {
	a, b []float32
	qx   []uint8
	acc  []int32
}

// int8Rows is the most rows a call of a layer's int8 kernel takes in
// Predict: enough for the kernel's tiles to read each block of weights
// for many rows, few enough that the two layers' outputs stay in L1 and
// L2.
const int8Rows = 64

// Quantize returns the int8 form of n's current weights. n is not
// changed and the two share nothing. It refuses weights that are not
// finite and layers deeper than scalar.MaxInt8Depth inputs, whose int32
// sums could overflow.
func Quantize(n *Network) (*Quantized, error) {
	if err := checkInt8(&n.desc); err != nil {
		return nil, err
	}
	var layers []int8Layer
	for i, l := range n.desc.Layers {
		w, b := n.w[i], n.b[i]
		if at := vec.FirstNonFinite(w); at >= 0 {
			return nil, fmt.Errorf("nn: layer %d: weight %d is %v; only finite weights quantize", i+1, at, w[at])
		}
		if at := vec.FirstNonFinite(b); at >= 0 {
			return nil, fmt.Errorf("nn: layer %d: bias %d is %v; only finite weights quantize", i+1, at, b[at])
		}
		qw, scale := make([]int8, l.In*l.Out), make([]float32, l.Out)
		scalar.QuantizeWeights(w, l.In, l.Out, qw, scale, make([]int32, l.Out))
		layers = append(layers, newInt8Layer(l, qw, scale, b))
	}
	return newQuantized(n.desc, layers, n.Metadata())
}

// newInt8Layer is layer l with the int8 weights qw (In×Out, row-major),
// their scales and the bias b, which it copies.
func newInt8Layer(l compiled.Layer, qw []int8, scale, b []float32) int8Layer {
	ql := int8Layer{in: l.In, out: l.Out, act: l.Activation, kernel: l.ForwardInt8,
		packed: make([]int8, scalar.Int8PackedLen(l.In, l.Out)), scale: append([]float32(nil), scale...),
		colsum: make([]int32, l.Out), b: append([]float32(nil), b...)}
	scalar.PackInt8Weights(qw, l.In, l.Out, ql.packed)
	for k := range l.In {
		for j, q := range qw[k*l.Out : (k+1)*l.Out] {
			ql.colsum[j] += int32(q)
		}
	}
	return ql
}

// newQuantized is the int8 network of desc with its layers and metadata,
// and the float network of its dequantized weights where the CPU runs
// float kernels but no int8 ones.
func newQuantized(desc compiled.Network, layers []int8Layer, meta map[string]string) (*Quantized, error) {
	q := &Quantized{desc: desc, layers: layers, meta: meta}
	widest := desc.Input
	for _, l := range layers {
		widest = max(widest, l.out)
	}
	q.scratch.New = func() any {
		return &int8Scratch{a: make([]float32, int8Rows*widest), b: make([]float32, int8Rows*widest), qx: make([]uint8, widest), acc: make([]int32, widest)}
	}
	if desc.Int8Tier == compiled.Reference && desc.Tier != compiled.Reference {
		float, err := New(desc, Options{})
		if err != nil {
			return nil, err
		}
		for i, l := range layers {
			l.dequantize(float.w[i])
			copy(float.b[i], l.b)
		}
		q.float = float
	}
	return q, nil
}

// dequantize writes the layer's weights, each its int8 value times its
// output's scale, to w (In×Out).
func (l *int8Layer) dequantize(w []float32) {
	for k := range l.in {
		for j := range l.out {
			w[k*l.out+j] = l.scale[j] * float32(l.packed[scalar.Int8PackedIndex(k, j, l.out)])
		}
	}
}

// RunsInt8 reports whether Predict computes in int8: through the
// generated int8 kernels, or their reference in Go where the CPU runs no
// assembly at all. Where it runs float kernels but no int8 ones (x86
// without AVX-512 VNNI, arm64 without the dot product), Predict runs the
// float kernels on the dequantized weights (each int8 weight times its
// scale): on a Zen 5 held to AVX2 (GODEBUG=cpu.avx512f=off), 8.4 µs for
// one sample of spec/fashion.yaml and 278 µs for 64, against 184 µs and
// 13.7 ms for the int8 reference in Go. Their outputs differ from the int8
// ones by the quantization of the activations.
func (q *Quantized) RunsInt8() bool { return q.float == nil }

// Metadata returns a copy of the metadata of the network it was quantized
// from, or of the file it was loaded from (Network.SetMetadata's entries:
// a standardizer's statistics, say).
func (q *Quantized) Metadata() map[string]string { return maps.Clone(q.meta) }

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
// GOMAXPROCS goroutines, in runs of at least int8Rows samples, and go
// through each layer's int8 kernel int8Rows at a time.
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
	if q.float != nil {
		if err := q.float.Predict(x, out); err != nil {
			return err
		}
		if i := vec.FirstNonFinite(out[:count*width]); i >= 0 {
			return fmt.Errorf("nn: sample %d: output %d is %v: the int8 network overflowed", i/width, i%width, out[i])
		}
		return nil
	}
	parts := min(runtime.GOMAXPROCS(0), (count+int8Rows-1)/int8Rows)
	if parts == 1 {
		return q.predictRows(x, out, 0, count)
	}
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

// predictRows runs samples lo to hi−1 of x through the network into out,
// int8Rows at a time.
func (q *Quantized) predictRows(x, out []float32, lo, hi int) error {
	s := q.scratch.Get().(*int8Scratch)
	defer q.scratch.Put(s)
	in, width := q.desc.Input, q.desc.Output()
	for r := lo; r < hi; r += int8Rows {
		end := min(r+int8Rows, hi)
		y := q.forward(s, x[r*in:end*in])
		if i := vec.FirstNonFinite(y); i >= 0 {
			return fmt.Errorf("nn: sample %d: output %d is %v: the int8 network overflowed", r+i/width, i%width, y[i])
		}
		copy(out[r*width:end*width], y)
	}
	return nil
}

// forward runs the rows of x through the layers, alternating between the
// scratch's two buffers, and returns the last layer's outputs.
func (q *Quantized) forward(s *int8Scratch, x []float32) []float32 {
	rows := len(x) / q.desc.Input
	in, next, other := x, s.a, s.b
	for i := range q.layers {
		l := &q.layers[i]
		y := next[:rows*l.out]
		l.forward(s, in, y)
		in, next, other = y, other, next
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
