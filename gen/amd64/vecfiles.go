package amd64

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
// known only at run time, for package pkg: sumScaled<ISA>,
// firstNonFinite<ISA>, maxAbsBits<ISA> and gatherRows<ISA>.
func VecFiles(pkg string, isa plan.ISA) (asm, stubs []byte, err error) {
	c := build.NewContext()
	c.ConstraintExpr("gc,!purego")
	a := newAsmWriter(c, isa)
	a.sumScaled()
	a.firstNonFinite()
	a.maxAbsBits()
	a.gatherRows()
	return assemble(c, isa, printer.Config{Name: "vecgen from gen.VecFiles", Pkg: pkg})
}

// vecFunction starts the tier's function base<ISA>: a leaf that keeps no
// pointer it is given, with Go signature signature and a doc line, doc
// after its name.
func (a *asmWriter) vecFunction(base, signature, doc string) {
	c := a.c
	name := base + a.isa.Name
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.Pragma("noescape")
	c.SignatureExpr(signature)
	c.Doc(name + " " + doc)
	a.begin()
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
	a.vecFunction("sumScaled", "func(dst *float32, srcs *[]float32, nsrcs int, n int, scale float32)",
		"sets dst[i] = scale·(dst[i] + Σⱼ srcs[j][i]) for i < n, summing in order.")
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
	a.vecFunction("firstNonFinite", "func(v *float32, n int) int",
		"returns the start of the first block of v[:n] holding a NaN or an infinity, or n.")
	i := a.eachBlock(nil, func(vecs int, m func(j int) operand.Mem) {
		if vecs == 0 {
			x := c.XMM()
			c.VMOVSS(m(0), x)
			c.VSUBSS(x, x, x)
			c.VUCOMISS(x, x)
			c.JP(operand.LabelRef("found")) // unordered: x − x is NaN
			return
		}
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
	})
	c.Label("found")
	c.Store(i, c.ReturnIndex(0))
	c.VZEROUPPER()
	c.RET()
}

// eachBlock walks the float32 vector v[:n] of the function's arguments v
// and n in blocks of 4 vectors, then of one, then single floats: it loads
// the arguments, calls setup (when not nil), then calls body once for
// each kind of block (vecs 4, 1 and 0) with the address of the block's
// vector j; body's code runs for each block of its kind. It returns the
// register holding the index of the current block, which after the walk
// is n.
func (a *asmWriter) eachBlock(setup func(), body func(vecs int, m func(j int) operand.Mem)) reg.Register {
	c := a.c
	v, n := a.param("v"), a.param("n")
	if setup != nil {
		setup()
	}
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
		body(vecs, func(j int) operand.Mem { return operand.Mem{Base: v, Index: i, Scale: 4, Disp: 4 * a.lanes() * j} })
		c.ADDQ(operand.U8(floats), i)
		c.JMP(operand.LabelRef(label))
		c.Label(label + "done")
	}
	block("four", 4)
	block("one", 1)
	block("scalar", 0)
	return i
}

// maxAbsBits emits
//
//	maxAbsBits<ISA>(v *float32, n int) uint32
//
// which returns the largest bit pattern of |v[i]| over v[:n] (blocks of 4
// vectors, then of one, then single floats; 0 when n is 0). Read as
// unsigned integers, the patterns of magnitudes order as the magnitudes
// do, with +Inf's (0x7f800000) above every finite one and every NaN's
// above +Inf's: as a float, the result is the largest magnitude, +Inf
// when one is infinite, a NaN when one is.
func (a *asmWriter) maxAbsBits() {
	c := a.c
	a.vecFunction("maxAbsBits", "func(v *float32, n int) uint32",
		"returns the largest bit pattern of |v[i]| over v[:n]: as a float, the largest magnitude, +Inf or a NaN.")
	mask, acc, one := a.vec(), a.vec(), c.XMM()
	and := func(m operand.Op, mask, d reg.VecVirtual) { c.VPAND(m, mask, d) }
	if a.wide() {
		and = func(m operand.Op, mask, d reg.VecVirtual) { c.VPANDD(m, mask, d) }
	}
	setup := func() {
		c.VMOVUPS(a.splat("absmask", 0x7fffffff), mask)
		a.zero(acc)
		c.VXORPS(one, one, one) // the single floats', apart: a VEX write of acc's low lanes would clear the rest
	}
	a.eachBlock(setup, func(vecs int, m func(j int) operand.Mem) {
		if vecs == 0 {
			x := c.XMM()
			c.VMOVSS(m(0), x)
			c.VPAND(mask.AsX(), x, x)
			c.VPMAXUD(x, one, one)
		}
		for j := range vecs {
			d := a.vec()
			and(m(j), mask, d)
			c.VPMAXUD(d, acc, acc)
		}
	})
	y := acc
	if a.wide() { // the upper 256 bits onto the lower first
		y = c.YMM()
		c.VEXTRACTI64X4(imm(1), acc, y)
		c.VPMAXUD(y, acc.AsY(), y)
	}
	x, t := c.XMM(), c.XMM()
	c.VEXTRACTI128(imm(1), y, x)
	c.VPMAXUD(x, y.AsX(), x)
	c.VPSHUFD(imm(0x4e), x, t) // swap 64-bit halves
	c.VPMAXUD(t, x, x)
	c.VPSHUFD(imm(0xb1), x, t) // swap neighbours
	c.VPMAXUD(t, x, x)
	c.VPMAXUD(one, x, x)
	r := c.GP32()
	c.VMOVD(x, r)
	c.Store(r, c.ReturnIndex(0))
	c.VZEROUPPER()
	c.RET()
}

// gatherRowsGroup is how many rows gatherRows copies at once.
const gatherRowsGroup = 4

// gatherRows emits
//
//	gatherRows<ISA>(dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups int, n int)
//
// which copies groups·4 rows of n floats,
// dst[j·dstStride + i] = src[rows[j]·srcStride + i], four rows at a time:
// one vector of each row in turn, then single floats. The rows nn gathers
// for a step lie anywhere in the training data, so each row's lines miss
// in every cache; copied one row at a time, the misses of one row are in
// flight at once, and interleaved, those of four. The caller checks the
// bounds.
func (a *asmWriter) gatherRows() {
	c := a.c
	a.vecFunction("gatherRows", "func(dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups int, n int)",
		"copies groups·4 rows of n floats, dst[j·dstStride+i] = src[rows[j]·srcStride+i], four rows at a time.")
	first, rows, groups := a.param("dst"), a.param("rows"), a.param("groups")
	end, vectorsEnd := a.param("n"), c.GP64() // byte offsets in a row
	c.SHLQ(operand.U8(2), end)
	c.MOVQ(end, vectorsEnd)
	c.ANDQ(operand.I32(int32(-4*a.lanes())), vectorsEnd)
	c.TESTQ(groups, groups)
	c.JZ(operand.LabelRef("gathered"))

	c.Label("group")
	c.Comment("The group's rows: src + 4·rows[q]·srcStride and dst + 4·q·dstStride.")
	base, srcStride, dstStride := a.param("src"), a.param("srcStride"), a.param("dstStride")
	c.SHLQ(operand.U8(2), srcStride)
	c.SHLQ(operand.U8(2), dstStride)
	srcs := make([]reg.GPVirtual, gatherRowsGroup)
	dsts := make([]reg.GPVirtual, gatherRowsGroup)
	dsts[0] = first
	for q := range srcs {
		srcs[q] = c.GP64()
		c.MOVQ(operand.Mem{Base: rows, Disp: 8 * q}, srcs[q])
		c.IMULQ(srcStride, srcs[q])
		c.ADDQ(base, srcs[q])
		if q > 0 {
			dsts[q] = c.GP64()
			c.LEAQ(operand.Mem{Base: dsts[q-1], Index: dstStride, Scale: 1}, dsts[q])
		}
	}
	off := c.GP64()
	c.XORQ(off, off)
	row := func(base reg.Register) operand.Mem { return operand.Mem{Base: base, Index: off, Scale: 1} }

	c.Label("vectors")
	c.Comment("One vector of each row, loads first: four rows' misses in flight.")
	c.CMPQ(off, vectorsEnd)
	c.JAE(operand.LabelRef("floats"))
	v := make([]reg.VecVirtual, gatherRowsGroup)
	for q := range v {
		v[q] = a.vec()
		c.VMOVUPS(row(srcs[q]), v[q])
	}
	for q := range v {
		c.VMOVUPS(v[q], row(dsts[q]))
	}
	c.ADDQ(operand.U8(4*a.lanes()), off)
	c.JMP(operand.LabelRef("vectors"))

	c.Label("floats")
	c.Comment("The rows' last floats, fewer than a vector, one at a time.")
	c.CMPQ(off, end)
	c.JAE(operand.LabelRef("next"))
	for q := range srcs {
		x := c.XMM()
		c.VMOVSS(row(srcs[q]), x)
		c.VMOVSS(x, row(dsts[q]))
	}
	c.ADDQ(operand.U8(4), off)
	c.JMP(operand.LabelRef("floats"))

	c.Label("next")
	step := a.param("dstStride")
	c.SHLQ(operand.U8(2), step)
	c.ADDQ(step, dsts[gatherRowsGroup-1])
	c.MOVQ(dsts[gatherRowsGroup-1], first)
	c.ADDQ(operand.U8(8*gatherRowsGroup), rows)
	c.DECQ(groups)
	c.JNZ(operand.LabelRef("group"))

	c.Label("gathered")
	c.VZEROUPPER()
	c.RET()
}
