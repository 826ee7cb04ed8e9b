package arm64

import (
	"fmt"

	"github.com/vecgen/vecgen/gen/plan"
)

// MathFiles renders each of the vector elementary functions the kernels
// inline (exp, log, sigmoid, tanh, gelu, gelu_erf, silu) on its own for tier isa
// (NEON), as an in-place loop over n float32 (n a multiple of 16), so the
// exact instruction sequences the kernels use can be swept against float64
// math: ExpNEON, LogNEON, …, for package pkg.
func MathFiles(pkg string, n int, isa plan.ISA) (asm, stubs []byte, err error) {
	if isa != plan.NEON {
		return nil, nil, fmt.Errorf("arm64: no %s tier", isa.Name)
	}
	if n <= 0 || n%16 != 0 {
		return nil, nil, fmt.Errorf("arm64: math kernels need a positive multiple of 16 elements, not %d", n)
	}
	f := newFile("gen.MathFiles", pkg)
	w := f.w
	apply := map[string]func(vreg){
		"Exp": w.exp, "Log": w.log, "Sigmoid": w.sigmoid, "Tanh": w.tanh, "GELU": w.gelu, "GELUErf": w.geluErf, "SiLU": w.silu,
	}
	err = render(func() {
		for _, name := range plan.MathFunctions {
			fn := apply[name]
			args := []arg{{"x", fmt.Sprintf("*[%d]float32", n)}}
			doc := []string{name + "NEON replaces each x[i] by " + name + "(x[i]), with the instructions the kernels inline."}
			f.function(name+"NEON", args, nil, doc, func(frame *frameLayout) {
				x := w.gp()
				w.op("MOVD %s, %s", frame.at("x"), x)
				w.elementwise(n, []greg{x}, func(vec func(int) mem, lanes int) {
					v := w.vec()
					w.load(vec(0), lanes, v)
					fn(v)
					w.store(v, lanes, vec(0))
				})
			})
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return f.finish()
}
