package gen

import (
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/plan"
)

// sliceHeader is the size in bytes of a []float32 header (pointer, length,
// capacity): the stride between the sources SumFiles reads.
const sliceHeader = 24

// SumFiles renders, for tier isa, the reduction nn uses to combine its
// workers' gradients, for package pkg:
//
//	sumScaled<ISA>(dst *float32, srcs *[]float32, nsrcs, n int, scale float32)
//
// sets dst[i] = scale·(((dst[i] + s₀[i]) + s₁[i]) + …) for i < n, where
// s_j is the data of srcs[j], in one pass over memory: 4 vectors at a time
// (each source added in turn), then one vector, then one float. The sums
// run in the order written, with no FMA, so the result is bit-identical to
// the same loop in Go on every tier. The caller checks that every source
// holds n floats.
func SumFiles(pkg string, isa plan.ISA) (asm, stubs []byte, err error) {
	c := build.NewContext()
	c.ConstraintExpr("gc,!purego")
	name := "sumScaled" + isa.Name
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.Pragma("noescape")
	c.SignatureExpr("func(dst *float32, srcs *[]float32, nsrcs int, n int, scale float32)")
	c.Doc(name + " sets dst[i] = scale·(dst[i] + Σⱼ srcs[j][i]) for i < n, summing in order.")
	a := newAsmWriter(c, isa)
	a.begin()
	dst, srcs, nsrcs, n := a.param("dst"), a.param("srcs"), a.param("nsrcs"), a.param("n")
	s := c.XMM()
	c.Load(c.Param("scale"), s)
	scale := a.vec()
	c.VBROADCASTSS(s, scale)
	off := c.GP64() // byte offset of the current block
	c.XORQ(off, off)

	// block sums the next vecs vectors while at least vecs·lanes floats remain.
	block := func(name string, vecs int) {
		floats := vecs * a.lanes()
		if vecs == 0 { // one float at a time
			floats = 1
		}
		c.Label(name)
		c.CMPQ(n, operand.U8(floats))
		c.JB(operand.LabelRef(name + "done"))
		at := func(base reg.Register, i int) operand.Mem {
			return operand.Mem{Base: base, Index: off, Scale: 1, Disp: 4 * a.lanes() * i}
		}
		acc := make([]reg.VecVirtual, max(vecs, 1))
		for i := range acc {
			if vecs == 0 {
				acc[i] = c.XMM()
				c.VMOVSS(at(dst, i), acc[i])
			} else {
				acc[i] = a.vec()
				c.VMOVUPS(at(dst, i), acc[i])
			}
		}
		p, j := c.GP64(), c.GP64()
		c.MOVQ(srcs, p)
		c.MOVQ(nsrcs, j)
		c.TESTQ(j, j)
		c.JZ(operand.LabelRef(name + "scale"))
		c.Label(name + "src")
		q := c.GP64()
		c.MOVQ(operand.Mem{Base: p}, q) // srcs[j]'s data pointer
		for i := range acc {
			if vecs == 0 {
				c.VADDSS(at(q, i), acc[i], acc[i])
			} else {
				c.VADDPS(at(q, i), acc[i], acc[i])
			}
		}
		c.ADDQ(operand.U8(sliceHeader), p)
		c.DECQ(j)
		c.JNZ(operand.LabelRef(name + "src"))
		c.Label(name + "scale")
		for i := range acc {
			if vecs == 0 {
				c.VMULSS(scale.AsX(), acc[i], acc[i])
				c.VMOVSS(acc[i], at(dst, i))
			} else {
				c.VMULPS(scale, acc[i], acc[i])
				c.VMOVUPS(acc[i], at(dst, i))
			}
		}
		c.ADDQ(operand.U32(uint32(4*floats)), off)
		c.SUBQ(operand.U8(floats), n)
		c.JMP(operand.LabelRef(name))
		c.Label(name + "done")
	}
	block("four", 4)
	block("one", 1)
	block("scalar", 0)
	c.VZEROUPPER()
	c.RET()

	return assemble(c, isa, printer.Config{Name: "vecgen's gen.SumFiles", Pkg: pkg})
}
