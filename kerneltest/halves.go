package kerneltest

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecgen/vecgen/compiled"
)

// untouched is the bit pattern CheckHalves fills outputs with, and the
// inputs a half must not read: a NaN no kernel computes, so a value left
// alone is told from one written, and a value read where it should not be
// turns the result into NaN.
const untouched = 0x7fc0dead

// CheckHalves checks every layer's half kernels against its whole ones on
// seeded inputs: each half must write exactly its rows of the whole
// kernel's outputs, bit for bit, nothing else (inside or past the arrays),
// and must read none of the other half's rows (or, for dw, the other half's
// columns of x), which hold NaN while it runs. The inputs of the backward
// kernels are the whole forward's outputs, so each activation gradient sees
// values its activation produces.
func CheckHalves(t *testing.T, net compiled.Network) {
	t.Helper()
	B := net.Batch
	r := Case{Seed: 11}.Rand()
	in := net.Input
	x := make([]float32, B*in)
	Fill(r, x, 1)
	for i, l := range net.Layers {
		if l.ForwardHalf == nil && l.PartialForward == nil || l.WeightGradHalf == nil || l.BiasGrad == nil {
			t.Fatalf("layer %d lacks a half kernel", i+1)
		}
		w, b, z, y := layerArrays(r, l, B)
		l.Forward(x, w, b, z, y)
		if l.ForwardHalf != nil { // else the split depth replaces it (CheckSplitDepth)
			checkForwardHalves(t, l, x, w, b, z, y)
		}

		dz := make([]float32, B*l.Out)
		Fill(r, dz, 1)
		if l.ActivationGrad != nil {
			whole := slices.Clone(dz)
			l.ActivationGrad(z, y, whole)
			for h := range 2 {
				d := slices.Clone(dz)
				l.ActivationGradHalf(h, otherRows(z, h, l.Out), otherRows(y, h, l.Out), d)
				lo, hi := h*len(d)/2, (h+1)*len(d)/2
				Equal(t, "activation gradient (its half)", d[lo:hi], whole[lo:hi])
				copy(d[lo:hi], dz[lo:hi])
				Equal(t, "activation gradient (the other half, unchanged)", d, dz)
			}
			dz = whole
		}

		dw, db := make([]float32, l.In*l.Out), make([]float32, l.Out)
		l.WeightGrad(x, dz, dw, db)
		halves(t, "dw", l.In, l.Out, dw, func(h int, dw2 []float32) { l.WeightGradHalf(h, otherColumns(x, h, in), dz, dw2) })
		db2 := filled("db", l.Out)
		l.BiasGrad(dz, db2.S())
		Equal(t, "db", db2.S(), db)
		db2.CheckMargins(t)

		if l.InputGrad != nil {
			wt, dx := make([]float32, l.In*l.Out), make([]float32, B*l.In)
			l.InputGrad(dz, w, wt, dx)
			halves(t, "dx", B, l.In, dx, func(h int, dx2 []float32) {
				wt2 := filled("wt", len(wt))
				l.InputGradHalf(h, otherRows(dz, h, l.Out), w, wt2.S(), dx2)
				wt2.CheckMargins(t)
			})
		}
		x, in = y, l.Out
	}
}

// checkForwardHalves checks l's ForwardHalf against the whole forward's
// z and y on x.
func checkForwardHalves(t *testing.T, l compiled.Layer, x, w, b, z, y []float32) {
	t.Helper()
	B := len(y) / l.Out
	halves(t, "forward y", B, l.Out, y, func(h int, y2 []float32) {
		var z2 *Guarded
		var zs []float32
		if z != nil {
			z2 = filled("z", len(z))
			zs = z2.S()
		}
		l.ForwardHalf(h, otherRows(x, h, l.In), w, b, zs, y2)
		if z != nil {
			sameHalf(t, "forward z", h, B, l.Out, z2, z)
		}
	})
}

// halves runs half 0 and half 1 of a kernel, each into its own guarded
// output of rows×width filled with the untouched pattern, and checks that
// half h wrote rows [h·rows/2, (h+1)·rows/2) of want and nothing else.
func halves(t *testing.T, what string, rows, width int, want []float32, run func(h int, out []float32)) {
	t.Helper()
	for h := range 2 {
		out := filled(what, rows*width)
		run(h, out.S())
		sameHalf(t, what, h, rows, width, out, want)
	}
}

// sameHalf checks that got holds want's rows of half h, the untouched
// pattern in the other half's and nothing written past its ends.
func sameHalf(t *testing.T, what string, h, rows, width int, got *Guarded, want []float32) {
	t.Helper()
	lo, hi := h*rows/2*width, (h+1)*rows/2*width
	Equal(t, what+" (its half)", got.S()[lo:hi], want[lo:hi])
	onlyHalf(t, what, h, rows, width, got)
}

// onlyHalf checks that got holds the untouched pattern outside half h's
// rows and nothing written past its ends.
func onlyHalf(t *testing.T, what string, h, rows, width int, got *Guarded) {
	t.Helper()
	lo, hi := h*rows/2*width, (h+1)*rows/2*width
	for i, v := range got.S() {
		if (i < lo || i >= hi) && math.Float32bits(v) != untouched {
			t.Fatalf("%s: half %d wrote element %d, %g, outside its rows", what, h, i, v)
		}
	}
	got.CheckMargins(t)
}

// layerArrays returns layer l's random weights w and bias b, and its
// outputs y and, when it keeps its pre-activation, z over B rows.
func layerArrays(r *rand.Rand, l compiled.Layer, B int) (w, b, z, y []float32) {
	w, b = make([]float32, l.In*l.Out), make([]float32, l.Out)
	Fill(r, w, float32(2/math.Sqrt(float64(l.In))))
	Fill(r, b, 0.1)
	if l.PreActivation {
		z = make([]float32, B*l.Out)
	}
	return w, b, z, make([]float32, B*l.Out)
}

// otherRows is a copy of m (rows of width) whose rows outside half h hold
// the untouched NaN; nil for nil.
func otherRows(m []float32, h, width int) []float32 {
	if m == nil {
		return nil
	}
	c := slices.Clone(m)
	rows := len(m) / width
	lo, hi := h*rows/2*width, (h+1)*rows/2*width
	for i := range c {
		if i < lo || i >= hi {
			c[i] = math.Float32frombits(untouched)
		}
	}
	return c
}

// otherColumns is a copy of m (rows of width) whose columns outside half h
// hold the untouched NaN.
func otherColumns(m []float32, h, width int) []float32 {
	c := slices.Clone(m)
	lo, hi := h*width/2, (h+1)*width/2
	for i := range c {
		if col := i % width; col < lo || col >= hi {
			c[i] = math.Float32frombits(untouched)
		}
	}
	return c
}

// filled is a guarded buffer of n floats holding the untouched pattern.
func filled(name string, n int) *Guarded {
	g := NewGuarded(name, n, 1)
	for i := range g.S() {
		g.S()[i] = math.Float32frombits(untouched)
	}
	return g
}
