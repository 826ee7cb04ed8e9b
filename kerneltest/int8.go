package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/scalar"
)

// int8Rows are the rows of x CheckInt8 draws: each a kind of range the
// quantization of a row must get right.
var int8Rows = []struct {
	name   string
	lo, hi float32           // a row of random values in [lo, hi], when fill is nil
	fill   func(r []float32) // otherwise
}{
	{name: "random in [−1, 1]", lo: -1, hi: 1},
	{name: "zeros", fill: func(r []float32) { clear(r) }},
	{name: "all negative", fill: func(r []float32) {
		for k := range r {
			r[k] = -0.5 - float32(k%7)/4
		}
	}},
	{name: "±1e30", fill: func(r []float32) {
		for k := range r {
			r[k] = float32(1-2*(k%2)) * 1e30 / float32(1+k%5)
		}
	}},
	{name: "constant 3", fill: func(r []float32) {
		for k := range r {
			r[k] = 3
		}
	}},
	{name: "1e-30 and smaller", fill: func(r []float32) {
		for k := range r {
			r[k] = 1e-30 / float32(1+k%9)
		}
	}},
	{name: "a range below 2⁻¹²⁰, as zeros", fill: func(r []float32) {
		for k := range r {
			r[k] = float32(1-2*(k%2)) * 1e-37
		}
	}},
	{name: "a range just above 2⁻¹²⁰", fill: func(r []float32) {
		for k := range r {
			r[k] = 1e-36 / float32(1+k%3)
		}
	}},
	{name: "one value, the last", fill: func(r []float32) {
		clear(r)
		r[len(r)-1] = 5
	}},
	{name: "random in [−100, 100]", lo: -100, hi: 100},
	{name: "random in [−1, 1]", lo: -1, hi: 1},
	{name: "random in [0, 1]", lo: 0, hi: 1},
	{name: "random in [−1, 0]", lo: -1, hi: 0},
}

// SoftmaxUlps is the tolerance of softmax evaluated from exactly the
// logits z, rows of n: k ulp of each probability, times 1 + |z − max|,
// the conditioning of exp at the shifted logit, which float32 rounds
// before exp takes it.
func SoftmaxUlps(z, want []float32, n int, k float64) []float64 {
	tol := make([]float64, len(want))
	for r := 0; r < len(want); r += n {
		top := math.Inf(-1)
		for _, v := range z[r : r+n] {
			top = math.Max(top, float64(v))
		}
		for j := r; j < r+n; j++ {
			tol[j] = k*(1+math.Abs(float64(z[j])-top))*Ulp(float64(want[j])) + 0x1p-140
		}
	}
	return tol
}

// int8Counts are the row counts each layer's int8 kernel is called on:
// one row, tiles of 4 with every remainder, and every row drawn.
var int8Counts = []int{1, 2, 3, 4, 5, 7, 8, 9, len(int8Rows)}

// CheckInt8 checks each layer's int8 forward pass (compiled.Layer.
// ForwardInt8) against scalar.DenseInt8Packed, on weights quantized from
// random ones and on rows of every kind in int8Rows, called on each count
// of int8Counts of the first and of the last rows: each output bit for
// bit the reference's when the layer's activation tolerance ulps[i] is 0
// (identity, relu), within that many ulp (as ActivationUlps) otherwise;
// each row the same bit for bit whatever the count of rows; x untouched
// and nothing written past y. floor is the absolute error a kernel that
// flushes subnormals may add (FlushFloor), 0 for one that keeps them.
func CheckInt8(t *testing.T, net compiled.Network, ulps []int, floor float64) {
	t.Helper()
	r := Case{Seed: 31}.Rand()
	for i, l := range net.Layers {
		if l.ForwardInt8 == nil {
			t.Fatalf("layer %d has no int8 kernel", i+1)
		}
		c := newInt8Case(r, l, ulps[i], floor)
		n := len(int8Rows)
		x := make([]float32, n*l.In)
		for j, row := range int8Rows {
			dst := x[j*l.In : (j+1)*l.In]
			if row.fill != nil {
				row.fill(dst)
			} else {
				FillRange(r, dst, row.lo, row.hi)
			}
		}
		want := c.reference(x, n, l.Activation)
		for j, v := range want {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("layer %d: the reference gives %v in row %d (%s): the rows must keep the outputs finite", i+1, v, j/l.Out, int8Rows[j/l.Out].name)
			}
		}
		var all []float32 // every row through one call: the rows each count must repeat
		for _, count := range int8Counts {
			for _, first := range []int{0, n - count} {
				name := fmt.Sprintf("layer %d, rows %d to %d of %d", i+1, first, first+count-1, n)
				y := c.check(t, name, x[first*l.In:(first+count)*l.In])
				if count == n {
					all = y
				}
			}
		}
		for _, count := range int8Counts[:len(int8Counts)-1] {
			y := make([]float32, count*l.Out)
			l.ForwardInt8(x[:count*l.In], c.packed, c.scale, c.colsum, c.b, y)
			Equal(t, fmt.Sprintf("layer %d, the first %d rows against all %d", i+1, count, n), y, all[:count*l.Out])
		}
	}
}

// int8Case is one layer's int8 kernel with weights quantized from random
// ones, and the tolerance of its activation.
type int8Case struct {
	l        compiled.Layer
	packed   []int8
	scale, b []float32
	colsum   []int32
	ulps     int
	floor    float64
}

func newInt8Case(r *rand.Rand, l compiled.Layer, ulps int, floor float64) *int8Case {
	w, b, _, _ := layerArrays(r, l, 1)
	c := &int8Case{l: l, packed: make([]int8, scalar.Int8PackedLen(l.In, l.Out)), scale: make([]float32, l.Out), b: b, colsum: make([]int32, l.Out), ulps: ulps, floor: floor}
	qw := make([]int8, l.In*l.Out)
	scalar.QuantizeWeights(w, l.In, l.Out, qw, c.scale, c.colsum)
	scalar.PackInt8Weights(qw, l.In, l.Out, c.packed)
	return c
}

// reference is scalar.DenseInt8Packed of count rows of x with act.
func (c *int8Case) reference(x []float32, count int, act scalar.Activation) []float32 {
	l := c.l
	y := make([]float32, count*l.Out)
	scalar.DenseInt8Packed(x, c.packed, c.scale, c.colsum, c.b, y, make([]uint8, l.In), make([]int32, l.Out), count, l.In, l.Out, act)
	return y
}

// check runs the kernel on the rows of x into a guarded y and compares
// them with the reference: bit for bit for an exact activation (ulps 0)
// where subnormals are kept, within the activation's ulps and the flush's
// floor otherwise; x unchanged and nothing written past y. It returns y.
func (c *int8Case) check(t testing.TB, name string, x []float32) []float32 {
	t.Helper()
	l := c.l
	count := len(x) / l.In
	want, z := c.reference(x, count, l.Activation), c.reference(x, count, scalar.Identity)
	saved := append([]float32(nil), x...)
	y := filled("y", count*l.Out)
	l.ForwardInt8(x, c.packed, c.scale, c.colsum, c.b, y.S())
	y.CheckMargins(t)
	Equal(t, name+": x after the call", x, saved)
	switch {
	case c.ulps == 0 && c.floor == 0:
		Equal(t, name, y.S(), want)
	case c.ulps == 0:
		Close(t, name, y.S(), want, Floored(make([]float64, len(want)), c.floor))
	case l.Activation == scalar.Softmax:
		Close(t, name, y.S(), want, Floored(SoftmaxUlps(z, want, l.Out, float64(c.ulps)), c.floor))
	default:
		Close(t, name, y.S(), want, Floored(ActivationUlps(z, want, l.Activation, float64(c.ulps)), c.floor))
	}
	return append([]float32(nil), y.S()...)
}

// FuzzInt8 checks one layer's int8 kernel (seed picks the layer, the
// count of rows from 1 to 9, the weights and the rows' random values) on
// rows where raw's float32 bit patterns are planted (Plant): the kernel
// takes finite rows, so NaN and ±Inf become 0, and where the kernel
// flushes subnormals (floor > 0) it reads them as 0, so the rows hold 0
// instead. ulps and floor are CheckInt8's.
func FuzzInt8(t *testing.T, net compiled.Network, ulps []int, floor float64, seed uint64, raw []byte) {
	t.Helper()
	r := Case{Seed: seed}.Rand()
	i := int(seed % uint64(len(net.Layers)))
	l := net.Layers[i]
	c := newInt8Case(r, l, ulps[i], floor)
	count := 1 + int(seed/7%9)
	x := make([]float32, count*l.In)
	Fill(r, x, 1)
	Plant(raw, x)
	for k, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			x[k] = 0
		}
	}
	if floor > 0 {
		x = DAZ(x)
	}
	for j, v := range c.reference(x, count, l.Activation) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) { // rows within ±FuzzBound keep every sum finite
			t.Fatalf("layer %d: the reference gives %v at %d", i+1, v, j)
		}
	}
	c.check(t, fmt.Sprintf("layer %d, %d rows", i+1, count), x)
}
