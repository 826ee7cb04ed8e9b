package kerneltest

import (
	"math"
	"slices"
	"testing"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/scalar"
)

// CheckSplitDepth checks the first layer's split depth on seeded inputs.
// Each partial product must write all of p and nothing past it, read only
// its half of x's columns and of w's rows (the others hold NaN while it
// runs), and come within a reordered product's tolerance of the float64
// sum over its half. Each half of the combine must write exactly its rows
// of y (and z), z bit for bit (p0 + p1) + b in float32, y within ulps
// units in the last place of act(z) (the activation's bound in the
// generator's table), and touch no other element.
func CheckSplitDepth(t *testing.T, net compiled.Network, ulps float64) {
	t.Helper()
	l := net.Layers[0]
	if l.PartialForward == nil || l.Combine == nil {
		t.Fatal("the first layer lacks its split-depth kernels")
	}
	B, in, out := net.Batch, net.Input, l.Out
	r := Case{Seed: 13}.Rand()
	x, w, b := make([]float32, B*in), make([]float32, in*out), make([]float32, out)
	Fill(r, x, 1)
	Fill(r, w, float32(2/math.Sqrt(float64(in))))
	Fill(r, b, 0.1)
	ax, aw := Abs(x), Abs(w)
	var p [2][]float32
	for h := range 2 {
		got := filled("p", B*out)
		l.PartialForward(h, otherColumns(x, h, in), otherRows(w, h, out), got.S())
		got.CheckMargins(t)
		k0 := h * in / 2
		want, mag := make([]float32, B*out), make([]float64, B*out)
		scalar.DenseRows(x[k0:], w[k0*out:], want, B, in, in/2, out)
		scalar.DenseRows(ax[k0:], aw[k0*out:], mag, B, in, in/2, out)
		Close(t, "partial product", got.S(), want, Product(mag, in/2))
		p[h] = slices.Clone(got.S())
	}

	z := make([]float32, B*out)
	for i := range z {
		z[i] = float32(p[0][i]+p[1][i]) + b[i%out]
	}
	y := slices.Clone(z)
	for i := 0; i < len(y); i += out {
		scalar.Activate(y[i:i+out], l.Activation)
	}
	tol := ActivationUlps(z, y, l.Activation, ulps)
	for h := range 2 {
		gy := filled("y", B*out)
		var gz *Guarded
		var zs []float32
		if l.PreActivation {
			gz = filled("z", B*out)
			zs = gz.S()
		}
		l.Combine(h, otherRows(p[0], h, out), otherRows(p[1], h, out), b, zs, gy.S())
		if gz != nil {
			sameHalf(t, "combine z", h, B, out, gz, z)
		}
		lo, hi := h*B/2*out, (h+1)*B/2*out
		Close(t, "combine y (its half)", gy.S()[lo:hi], y[lo:hi], tol[lo:hi])
		onlyHalf(t, "combine y", h, B, out, gy)
	}
}
