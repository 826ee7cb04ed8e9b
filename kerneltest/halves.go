package kerneltest

import (
	"math"
	"slices"
	"testing"

	"github.com/vecgen/vecgen/compiled"
)

// untouched is the bit pattern CheckHalves fills outputs with: a NaN no
// kernel computes, so a value left alone is told from one written.
const untouched = 0x7fc0dead

// CheckHalves checks every layer's half kernels against its whole ones on
// seeded inputs: each half must write exactly its rows of the whole
// kernel's outputs, bit for bit, and leave the other half's rows alone.
// The inputs of the backward kernels are the whole forward's outputs, so
// each activation gradient sees values its activation produces.
func CheckHalves(t *testing.T, net compiled.Network) {
	t.Helper()
	B := net.Batch
	r := Case{Seed: 11}.Rand()
	in := net.Input
	x := make([]float32, B*in)
	Fill(r, x, 1)
	for i, l := range net.Layers {
		if l.ForwardHalf == nil || l.WeightGradHalf == nil || l.BiasGrad == nil {
			t.Fatalf("layer %d lacks a half kernel", i+1)
		}
		w, b := make([]float32, l.In*l.Out), make([]float32, l.Out)
		Fill(r, w, float32(2/math.Sqrt(float64(l.In))))
		Fill(r, b, 0.1)
		var z []float32
		if l.PreActivation {
			z = make([]float32, B*l.Out)
		}
		y := make([]float32, B*l.Out)
		l.Forward(x, w, b, z, y)
		halves(t, "forward y", B, l.Out, y, func(h int, y2 []float32) {
			var z2 []float32
			if z != nil {
				z2 = filled(len(z))
			}
			l.ForwardHalf(h, x, w, b, z2, y2)
			if z != nil {
				sameHalf(t, "forward z", h, B, l.Out, z2, z)
			}
		})

		dz := make([]float32, B*l.Out)
		Fill(r, dz, 1)
		if l.ActivationGrad != nil {
			whole := slices.Clone(dz)
			l.ActivationGrad(z, y, whole)
			for h := range 2 {
				d := slices.Clone(dz)
				l.ActivationGradHalf(h, z, y, d)
				lo, hi := h*len(d)/2, (h+1)*len(d)/2
				Equal(t, "activation gradient (its half)", d[lo:hi], whole[lo:hi])
				copy(d[lo:hi], dz[lo:hi])
				Equal(t, "activation gradient (the other half, unchanged)", d, dz)
			}
			dz = whole
		}

		dw, db := make([]float32, l.In*l.Out), make([]float32, l.Out)
		l.WeightGrad(x, dz, dw, db)
		halves(t, "dw", l.In, l.Out, dw, func(h int, dw2 []float32) { l.WeightGradHalf(h, x, dz, dw2) })
		db2 := filled(l.Out)
		l.BiasGrad(dz, db2)
		Equal(t, "db", db2, db)

		if l.InputGrad != nil {
			wt, dx := make([]float32, l.In*l.Out), make([]float32, B*l.In)
			l.InputGrad(dz, w, wt, dx)
			halves(t, "dx", B, l.In, dx, func(h int, dx2 []float32) {
				wt2 := filled(len(wt))
				l.InputGradHalf(h, dz, w, wt2, dx2)
				Equal(t, "wt", wt2, wt)
			})
		}
		x, in = y, l.Out
	}
}

// halves runs half 0 and half 1 of a kernel, each into its own output of
// rows×width filled with the untouched pattern, and checks that half h
// wrote rows [h·rows/2, (h+1)·rows/2) of want and nothing else.
func halves(t *testing.T, what string, rows, width int, want []float32, run func(h int, out []float32)) {
	t.Helper()
	for h := range 2 {
		out := filled(rows * width)
		run(h, out)
		sameHalf(t, what, h, rows, width, out, want)
	}
}

// sameHalf checks that got holds want's rows of half h and the untouched
// pattern in the other half's.
func sameHalf(t *testing.T, what string, h, rows, width int, got, want []float32) {
	t.Helper()
	lo, hi := h*rows/2*width, (h+1)*rows/2*width
	Equal(t, what+" (its half)", got[lo:hi], want[lo:hi])
	for i, v := range got {
		if (i < lo || i >= hi) && math.Float32bits(v) != untouched {
			t.Fatalf("%s: half %d wrote element %d, %g, outside its rows", what, h, i, v)
		}
	}
}

func filled(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(untouched)
	}
	return v
}
