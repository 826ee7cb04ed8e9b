package amd64

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/plan"
)

// MathFiles renders each of plan.MathFunctions on its own for tier isa, as an
// in-place loop over n float32 (n a multiple of 16), so the exact
// instruction sequences the kernels use can be swept against float64
// math. The AVX2 functions keep the plain names, the others have the
// tier's name appended (ExpAVX512). It returns the assembly and its Go
// stubs, for package pkg.
func MathFiles(pkg string, n int, isa plan.ISA) (asm, stubs []byte, err error) {
	if n <= 0 || n%plan.AVX512.Lanes != 0 {
		return nil, nil, fmt.Errorf("gen: math kernels need a positive multiple of %d elements, not %d", plan.AVX512.Lanes, n)
	}
	c := build.NewContext()
	c.ConstraintExpr("gc,!purego")
	a := newAsmWriter(c, isa)
	apply := map[string]func(reg.VecVirtual){
		"Exp": a.exp, "Log": a.log, "Sigmoid": a.sigmoid, "Tanh": a.tanh, "GELU": a.gelu, "GELUErf": a.geluErf, "SiLU": a.silu,
	}
	suffix := isa.Name
	if isa == plan.AVX2 {
		suffix = ""
	}
	for _, name := range plan.MathFunctions {
		f := apply[name]
		c.Function(name + suffix)
		c.Attributes(attr.NOSPLIT)
		c.Pragma("noescape")
		c.SignatureExpr(fmt.Sprintf("func(x *[%d]float32)", n))
		c.Doc(name + suffix + " replaces each x[i] by " + name + "(x[i]), with the instructions the kernels inline.")
		a.begin()
		a.elementwise(n, []reg.Register{a.param("x")}, func(vec func(int) operand.Mem, _ int) {
			v := a.vec()
			c.VMOVUPS(vec(0), v)
			f(v)
			c.VMOVUPS(v, vec(0))
		})
		c.VZEROUPPER()
		c.RET()
	}
	return assemble(c, isa, printer.Config{Name: "vecgen from gen.MathFiles", Pkg: pkg})
}
