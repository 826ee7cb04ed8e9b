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
// capacity): the stride between the sources sumScaled reads.
const sliceHeader = 24

// VecFiles renders, for tier isa, the vector loops nn runs over lengths
// known only at run time, for package pkg: sumScaled<ISA> and
// firstNonFinite<ISA>.
func VecFiles(pkg string, isa plan.ISA) (asm, stubs []byte, err error) {
	c := build.NewContext()
	c.ConstraintExpr("gc,!purego")
	a := newAsmWriter(c, isa)
	a.sumScaled()
	a.firstNonFinite()
	return assemble(c, isa, printer.Config{Name: "vecgen from gen.VecFiles", Pkg: pkg})
}

// sumScaled emits the reduction nn uses to combine its workers' gradients:
//
//	sumScaled<ISA>(dst *float32, srcs *[]float32, nsrcs, n int, scale float32)
//
// sets dst[i] = scale·(((dst[i] + s₀[i]) + s₁[i]) + …) for i < n, where
// s_j is the data of srcs[j], in one pass over memory: 4 vectors at a time
// (each source added in turn), then one vector, then one float. The sums
// run in the order written, with no FMA, so the result is bit-identical to
// the same loop in Go on every tier. The caller checks that every source
// holds n floats.
func (a *asmWriter) sumScaled() {
	c := a.c
	name := "sumScaled" + a.isa.Name
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.Pragma("noescape")
	c.SignatureExpr("func(dst *float32, srcs *[]float32, nsrcs int, n int, scale float32)")
	c.Doc(name + " sets dst[i] = scale·(dst[i] + Σⱼ srcs[j][i]) for i < n, summing in order.")
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
}

// firstNonFinite emits
//
//	firstNonFinite<ISA>(v *float32, n int) int
//
// which returns the index of the first block of v[:n] holding a NaN or an
// infinity (blocks of 4 vectors, then of one, then single floats), or n
// when every float is finite: x − x is 0 for every finite x and NaN for
// the others, the sum of a block's differences is NaN when one is, and a
// compare of the sum with itself finds it. The caller finds the element
// within the block. Subtraction, not a multiply by 0, so a subnormal costs
// no microcode assist.
func (a *asmWriter) firstNonFinite() {
	c := a.c
	name := "firstNonFinite" + a.isa.Name
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.Pragma("noescape")
	c.SignatureExpr("func(v *float32, n int) int")
	c.Doc(name + " returns the start of the first block of v[:n] holding a NaN or an infinity, or n.")
	a.begin()
	v, n := a.param("v"), a.param("n")
	i := c.GP64() // index of the current block
	c.XORQ(i, i)
	block := func(label string, vecs int) {
		floats := vecs * a.lanes()
		if vecs == 0 {
			floats = 1
		}
		left := c.GP64()
		c.Label(label)
		c.MOVQ(n, left)
		c.SUBQ(i, left)
		c.CMPQ(left, operand.U8(floats))
		c.JB(operand.LabelRef(label + "done"))
		m := func(j int) operand.Mem { return operand.Mem{Base: v, Index: i, Scale: 4, Disp: 4 * a.lanes() * j} }
		if vecs == 0 {
			x := c.XMM()
			c.VMOVSS(m(0), x)
			c.VSUBSS(x, x, x)
			c.VUCOMISS(x, x)
			c.JP(operand.LabelRef("found")) // unordered: x − x is NaN
		} else {
			sum := a.vec()
			for j := range vecs {
				d := a.vec()
				c.VMOVUPS(m(j), d)
				c.VSUBPS(d, d, d)
				if j == 0 {
					c.VMOVAPS(d, sum)
				} else {
					c.VADDPS(d, sum, sum)
				}
			}
			a.jumpIfNaN(sum, "found")
		}
		c.ADDQ(operand.U8(floats), i)
		c.JMP(operand.LabelRef(label))
		c.Label(label + "done")
	}
	block("four", 4)
	block("one", 1)
	block("scalar", 0)
	c.Label("found")
	c.Store(i, c.ReturnIndex(0))
	c.VZEROUPPER()
	c.RET()
}
