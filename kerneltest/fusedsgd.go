package kerneltest

import (
	"slices"
	"testing"

	"github.com/vecgen/vecgen/compiled"
)

// CheckFusedSGD checks every layer's fused SGD kernels against its
// gradient kernels followed by the model's SGD, on seeded inputs with a
// nonzero weight decay: WeightGradSGD must leave in w and b exactly what
// SGD writes for them from WeightGrad's dw and db, bit for bit; each half
// of WeightGradSGDHalf that on its rows of w, leaving the other half's
// rows (which hold NaN) unread and unwritten, and reading none of the
// other half's columns of x (NaN too); and BiasGradSGD that on b.
func CheckFusedSGD(t *testing.T, net compiled.Network) {
	t.Helper()
	B := net.Batch
	r := Case{Seed: 17}.Rand()
	const lr, decay = 0.01, 0.001
	in, offset := net.Input, 0
	for i, l := range net.Layers {
		if l.WeightGradSGD == nil {
			t.Fatalf("layer %d lacks its fused SGD kernel", i+1)
		}
		x, dz := make([]float32, B*in), make([]float32, B*l.Out)
		Fill(r, x, 1)
		Fill(r, dz, 1)
		w, b, _, _ := layerArrays(r, l, B)
		wantW, wantB := sgdOf(net, l, offset, x, dz, w, b, lr, decay)

		gotW, gotB := guarded("w", w), guarded("b", b)
		l.WeightGradSGD(x, dz, gotW.S(), gotB.S(), lr, decay)
		Equal(t, "WeightGradSGD w", gotW.S(), wantW)
		Equal(t, "WeightGradSGD b", gotB.S(), wantB)
		gotW.CheckMargins(t)
		gotB.CheckMargins(t)

		if l.WeightGradSGDHalf != nil {
			for h := range 2 {
				half := guarded("w", otherRows(w, h, l.Out))
				l.WeightGradSGDHalf(h, otherColumns(x, h, in), dz, half.S(), lr, decay)
				sameHalf(t, "WeightGradSGDHalf w", h, l.In, l.Out, half, wantW)
			}
			gotB := guarded("b", b)
			l.BiasGradSGD(dz, gotB.S(), lr, decay)
			Equal(t, "BiasGradSGD b", gotB.S(), wantB)
			gotB.CheckMargins(t)
		}
		in, offset = l.Out, offset+l.In*l.Out+l.Out
	}
}

// sgdOf returns what the model's SGD writes for layer l's w and b, whose
// parameters start at offset, from the gradient WeightGrad computes from
// x and dz.
func sgdOf(net compiled.Network, l compiled.Layer, offset int, x, dz, w, b []float32, lr, decay float32) (wantW, wantB []float32) {
	p, grad := make([]float32, net.Params), make([]float32, net.Params)
	wp, bp := p[offset:offset+len(w)], p[offset+len(w):offset+len(w)+len(b)]
	copy(wp, w)
	copy(bp, b)
	l.WeightGrad(x, dz, grad[offset:offset+len(w)], grad[offset+len(w):offset+len(w)+len(b)])
	net.SGD(p, grad, lr, decay)
	return slices.Clone(wp), slices.Clone(bp)
}

// guarded is a guarded copy of v.
func guarded(name string, v []float32) *Guarded {
	g := NewGuarded(name, len(v), 1)
	copy(g.S(), v)
	return g
}
