package kerneltest

import (
	"fmt"
	"slices"
	"testing"
	"unsafe"

	"github.com/vecgen/vecgen/compiled"
)

// CheckChunks checks that each optimizer run over every chunk of the
// parameters in turn gives the whole update bit for bit: p and the state
// vectors, from seeded values with a nonzero weight decay.
func CheckChunks(t *testing.T, net compiled.Network) {
	t.Helper()
	if net.UpdateChunk <= 0 || net.SGDChunk == nil || net.MomentumChunk == nil || net.NesterovChunk == nil || net.AdamChunk == nil || net.AdamWChunk == nil {
		t.Fatal("the descriptor lacks its chunk optimizers")
	}
	r := Case{Seed: 13}.Rand()
	n := net.Params
	chunks := (n + net.UpdateChunk - 1) / net.UpdateChunk
	p, grad, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	Fill(r, p, 1)
	Fill(r, grad, 1)
	Fill(r, m, 0.1)
	FillRange(r, v, 0, 0.01)
	const lr, decay, mu, beta1, beta2, eps, c1, c2 = 0.01, 0.001, 0.9, 0.9, 0.999, 1e-8, 1.5, 20
	rules := []struct {
		name  string
		whole func(p, m, v []float32)
		chunk func(i int, p, m, v []float32)
	}{
		{"SGD", func(p, _, _ []float32) { net.SGD(p, grad, lr, decay) },
			func(i int, p, _, _ []float32) { net.SGDChunk(i, p, grad, lr, decay) }},
		{"Momentum", func(p, _, v []float32) { net.Momentum(p, grad, v, lr, decay, mu) },
			func(i int, p, _, v []float32) { net.MomentumChunk(i, p, grad, v, lr, decay, mu) }},
		{"Nesterov", func(p, _, v []float32) { net.Nesterov(p, grad, v, lr, decay, mu) },
			func(i int, p, _, v []float32) { net.NesterovChunk(i, p, grad, v, lr, decay, mu) }},
		{"Adam", func(p, m, v []float32) { net.Adam(p, grad, m, v, lr, decay, beta1, beta2, eps, c1, c2) },
			func(i int, p, m, v []float32) { net.AdamChunk(i, p, grad, m, v, lr, decay, beta1, beta2, eps, c1, c2) }},
		{"AdamW", func(p, m, v []float32) { net.AdamW(p, grad, m, v, lr, decay, beta1, beta2, eps, c1, c2) },
			func(i int, p, m, v []float32) { net.AdamWChunk(i, p, grad, m, v, lr, decay, beta1, beta2, eps, c1, c2) }},
	}
	for _, rule := range rules {
		wantP, wantM, wantV := slices.Clone(p), slices.Clone(m), slices.Clone(v)
		rule.whole(wantP, wantM, wantV)
		// p aligned to a cache line and one float past it: the chunk
		// kernels stream p's stores only when it is aligned to a vector.
		for _, offset := range []int{0, 1} {
			gotP, gotM, gotV := placed(p, offset), slices.Clone(m), slices.Clone(v)
			for i := range chunks {
				rule.chunk(i, gotP, gotM, gotV)
			}
			name := fmt.Sprintf("%s (p %d floats past a 64-byte boundary)", rule.name, offset)
			Equal(t, name+" p", gotP, wantP)
			Equal(t, name+" m", gotM, wantM)
			Equal(t, name+" v", gotV, wantV)
		}
	}
}

// placed returns a copy of s that starts offset floats past a 64-byte
// boundary.
func placed(s []float32, offset int) []float32 {
	buf := make([]float32, len(s)+16+offset)
	skip := int((64-uintptr(unsafe.Pointer(&buf[0]))%64)%64) / 4
	out := buf[skip+offset : skip+offset+len(s) : skip+offset+len(s)]
	copy(out, s)
	return out
}
