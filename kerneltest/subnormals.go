package kerneltest

import (
	"math"
	"runtime"
	"testing"

	"github.com/vecgen/vecgen/compiled"
)

// The values CheckSubnormals plants: a subnormal input times a weight
// that would make it 0.5, and a parameter that SGD with lr = 1 and decay
// = 0.75 turns into the subnormal 2⁻¹²⁷.
const (
	subnormalInput = 0x1p-127
	inputScale     = 0x1p126
	smallParam     = 0x1p-125
)

// CheckSubnormals checks what the network's kernels, on its current tier,
// do with subnormal values. When flush is set (spec subnormals: flush, on
// an assembly tier), the first layer's forward reads a subnormal input as
// 0, and SGD writes 0 where its result would be subnormal; otherwise both
// follow IEEE gradual underflow, as the reference does. Either way each
// call leaves the caller's floating-point modes (MXCSR, FPCR) as they were.
func CheckSubnormals(t *testing.T, net compiled.Network, flush bool) {
	t.Helper()
	runtime.LockOSThread() // the modes are the thread's
	defer runtime.UnlockOSThread()
	before, canRead := FloatModes()
	modes := func(name string) {
		t.Helper()
		if after, _ := FloatModes(); canRead && after != before {
			t.Errorf("%s changed the caller's floating-point modes from %#x to %#x", name, before, after)
		}
	}

	// Forward: x's first element is subnormal and w's first weight scales
	// it to 0.5, so z's first element is 0.5 kept or 0 flushed; y must
	// equal the forward of x with that element as the plain value it
	// should be read as (0, or 0.5 times a weight of 1).
	l := net.Layers[0]
	forward := func(x0, w0 float32) []float32 {
		x, w := make([]float32, net.Batch*net.Input), make([]float32, net.Input*l.Out)
		b, y := make([]float32, l.Out), make([]float32, net.Batch*l.Out)
		var z []float32
		if l.PreActivation {
			z = make([]float32, len(y))
		}
		x[0], w[0] = x0, w0
		l.Forward(x, w, b, z, y)
		return y
	}
	got := forward(subnormalInput, inputScale)
	modes("the first layer's forward")
	if flush {
		Equal(t, "y of a subnormal input (flushed: read as 0)", got, forward(0, inputScale))
	} else {
		Equal(t, "y of a subnormal input (kept)", got, forward(0.5, 1))
	}

	// SGD: p − lr·(0 + decay·p) = 2⁻¹²⁵ − 0.75·2⁻¹²⁵ = 2⁻¹²⁷.
	p, grad := make([]float32, net.Params), make([]float32, net.Params)
	for i := range p {
		p[i] = smallParam
	}
	net.SGD(p, grad, 1, 0.75)
	modes("SGD")
	want := float32(0x1p-127)
	if flush {
		want = 0
	}
	for i, v := range p {
		if math.Float32bits(v) != math.Float32bits(want) {
			t.Fatalf("SGD made p[%d] = %g from %g, want %g (subnormals flushed: %t)", i, v, float32(smallParam), want, flush)
		}
	}
}
