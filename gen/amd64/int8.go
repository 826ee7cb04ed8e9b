package amd64

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/scalar"
	"github.com/vecgen/vecgen/spec"
)

// The int8 forward pass on AVX-512 with VNNI (scalar.DenseInt8Packed is
// its reference). For each tile of rows: each row's range, scale and
// zero point, and the row quantized to bytes in the frame; then for each
// block of outputs, VPDPBUSD sums four u8 × s8 products into each int32
// lane, a group of four inputs a step; then the epilogue turns each sum
// into float32 and applies the scales, the bias and the activation.

// int8Signature is the Go signature of an int8 kernel's assembly.
func int8Signature(k *plan.Int8Kernel) string {
	return fmt.Sprintf("func(rows int, x *float32, qw *[%d]int8, scale *[%d]float32, colsum *[%d]int32, b *[%d]float32, y *float32)",
		k.Packed(), k.Out, k.Out, k.Out)
}

// int8Doc is the comment above an int8 kernel's assembly.
func int8Doc(k *plan.Int8Kernel, m *plan.Int8Impl) []string {
	return []string{
		fmt.Sprintf("%s is layer %d's int8 forward pass (%d → %d, %s) over rows rows:", m.Asm, k.Layer, k.In, k.Out, k.Activation),
		"y[i,j] = act(float32(Σₖ qx[i,k]·qw[k,j] − zx[i]·colsum[j])·(sx[i]·scale[j]) + b[j]),",
		fmt.Sprintf("in tiles of %d rows by %d vectors of outputs, then one row at a time by %d.", m.Tile.Rows, m.Tile.Vecs, m.Tile.OneRowVecs),
	}
}

// int8Frame is an int8 kernel's frame: a tile's rows quantized, each
// Depth bytes, and their scales and zero points.
type int8Frame struct {
	q, sx, zx operand.Mem
	depth     int
}

// row is where the quantized row r of the tile starts.
func (f int8Frame) row(r int) operand.Mem { return f.q.Offset(r * f.depth) }

// forwardInt8 emits the kernel: tiles of Tile.Rows rows while that many
// are left, then the rest one row at a time.
func (a *asmWriter) forwardInt8(k *plan.Int8Kernel, m *plan.Int8Impl) {
	c := a.c
	t := m.Tile
	rows := a.c.GP64()
	c.Load(c.Param("rows"), rows)
	x, y := a.param("x"), a.param("y")
	f := int8Frame{q: c.AllocLocal(t.Rows * k.Depth()), sx: c.AllocLocal(4 * t.Rows), zx: c.AllocLocal(4 * t.Rows), depth: k.Depth()}
	a.labels++
	whole, rest, done := fmt.Sprintf("int8tiles%d", a.labels), fmt.Sprintf("int8rows%d", a.labels), fmt.Sprintf("int8done%d", a.labels)
	c.Comment(fmt.Sprintf("Tiles of %d rows while that many are left.", t.Rows))
	c.Label(whole)
	c.CMPQ(rows, imm(t.Rows))
	c.JB(operand.LabelRef(rest))
	a.begin() // each path sets its own opmasks: the other may not have run
	a.int8Tile(k, f, x, y, t.Rows, t.Vecs, false)
	c.ADDQ(imm(4*t.Rows*k.In), x)
	c.ADDQ(imm(4*t.Rows*k.Out), y)
	c.SUBQ(imm(t.Rows), rows)
	c.JMP(operand.LabelRef(whole))
	c.Comment("The rows left, one at a time.")
	c.Label(rest)
	c.TESTQ(rows, rows)
	c.JZ(operand.LabelRef(done))
	a.begin()
	a.int8Tile(k, f, x, y, 1, t.OneRowVecs, true)
	c.ADDQ(imm(4*k.In), x)
	c.ADDQ(imm(4*k.Out), y)
	c.DECQ(rows)
	c.JMP(operand.LabelRef(rest))
	c.Label(done)
}

// int8Tile computes rows rows of y from as many of x: quantizes them into
// the frame, computes the outputs in blocks of vecs vectors (the weights
// read from memory by each product when fromMemory, else loaded once for
// all the rows), then applies the activations a store does not fuse.
func (a *asmWriter) int8Tile(k *plan.Int8Kernel, f int8Frame, x, y reg.Register, rows, vecs int, fromMemory bool) {
	c := a.c
	for r := range rows {
		a.quantizeRow(k, f, r, x, 4*r*k.In)
	}
	width := k.Width() / scalar.Int8Lanes // vectors of outputs in the packed layout
	last := k.Out - scalar.Int8Lanes*(width-1)
	tail := width % vecs
	if tail == 0 && last < scalar.Int8Lanes {
		tail = vecs // the partial vector's block is emitted apart
	}
	col := c.GP64() // the block's first output, in bytes of y (and of qw's groups)
	c.XORQ(col, col)
	c.Comment(fmt.Sprintf("Σ over groups of %d inputs: VPDPBUSD adds 4 u8 × s8 products into each int32 lane.", scalar.Int8Group))
	a.loop("int8block", (width-tail)/vecs, func() {
		a.int8Block(k, f, col, y, rows, vecs, scalar.Int8Lanes, fromMemory)
		c.ADDQ(imm(64*vecs), col)
	})
	if tail > 0 {
		a.int8Block(k, f, col, y, rows, tail, last, fromMemory)
	}
	if act := k.Activation; act != spec.Identity && act != spec.ReLU && act != spec.LeakyReLU {
		for r := range rows {
			row := c.GP64()
			c.LEAQ(at(y, 4*r*k.Out), row)
			a.activationPass(act, row, row, 1, k.Out)
		}
	}
}

// quantizeRow quantizes row r of the tile, at x plus off bytes, into the
// frame, as scalar.QuantizeRow does: its range widened to hold 0, the
// scale and zero point from it, each value rounded to nearest even.
func (a *asmWriter) quantizeRow(k *plan.Int8Kernel, f int8Frame, r int, x reg.Register, off int) {
	c := a.c
	c.Comment(fmt.Sprintf("Row %d: lo = min(0, x), hi = max(0, x); inv = 255/(hi−lo), scale = (hi−lo)/255 (0 and 1 when hi−lo < 2⁻¹²⁰); zero = round(−lo·inv).", r))
	lo, hi, zero := a.vec(), a.vec(), a.vec()
	a.zero(zero)
	a.zero(lo)
	a.zero(hi)
	src := c.GP64()
	c.LEAQ(at(x, off), src)
	a.elementwise(k.In, []reg.Register{src}, func(vec func(int) operand.Mem, lanes int) {
		v := a.vec()
		a.load(vec(0), lanes, v) // lanes past the row are 0, inside the range already
		c.VMINPS(v, lo, lo)
		c.VMAXPS(v, hi, hi)
	})
	a.hreduce(lo, c.VMINPS)
	a.hreduce(hi, c.VMAXPS)
	width, inv, scale, c255 := a.vec(), a.vec(), a.vec(), a.reg32("int8top", 255)
	c.VSUBPS(lo, hi, width)
	nonzero := a.compare(0x1d, width, a.f32("int8minrange", scalar.Int8MinRange), a.vec()) // GE_OQ: a narrower row quantizes as zeros
	c.VDIVPS(width, c255, inv)
	c.VDIVPS(c255, width, scale)
	a.choose(nonzero, inv, zero, inv)
	a.choose(nonzero, scale, a.reg32("one", 1), scale)
	zp := a.vec()
	c.VSUBPS(lo, zero, zp) // −lo
	c.VMULPS(inv, zp, zp)
	c.VCVTPS2DQ(zp, zp) // to nearest, ties to even
	c.VPMAXSD(zero, zp, zp)
	c.VPMINSD(a.splat("int8topint", 255), zp, zp)
	c.VMOVSS(scale.AsX(), f.sx.Offset(4*r))
	c.VMOVSS(zp.AsX(), f.zx.Offset(4*r))

	c.Comment(fmt.Sprintf("qx = clamp(round(x·inv) + zero, 0, 255), %d bytes a step.", a.lanes()))
	dst := f.row(r)
	if k.Depth() > k.In { // the last group's bytes past the row: 0, not a previous row's (their weights are 0 too)
		c.MOVL(operand.U32(0), dst.Offset(k.Depth()-scalar.Int8Group))
	}
	c.LEAQ(at(x, off), src)
	q := c.GP64()
	c.LEAQ(dst, q)
	quantize := func(lanes int) {
		v := a.vec()
		a.load(at(src, 0), lanes, v)
		c.VMULPS(inv, v, v)
		c.VCVTPS2DQ(v, v)
		c.VPADDD(zp, v, v)
		c.VPMAXSD(zero, v, v)
		if lanes == a.lanes() {
			c.VPMOVUSDB(v, at(q, 0)) // unsigned saturation: 255 at most
			return
		}
		c.VPMOVUSDB(v, a.firstLanes(lanes), at(q, 0))
	}
	a.loop("quantize", k.In/a.lanes(), func() {
		quantize(a.lanes())
		c.ADDQ(imm(4*a.lanes()), src)
		c.ADDQ(imm(a.lanes()), q)
	})
	if rem := k.In % a.lanes(); rem > 0 {
		quantize(rem)
	}
}

// int8Block computes a block of vecs vectors of outputs, from byte col of
// the packed weights' groups and of y's rows, for the tile's rows: the
// sums over every group of inputs, then the epilogue. The block's last
// vector holds lastLanes outputs.
func (a *asmWriter) int8Block(k *plan.Int8Kernel, f int8Frame, col, y reg.Register, rows, vecs, lastLanes int, fromMemory bool) {
	c := a.c
	acc := make([][]reg.VecVirtual, rows)
	for r := range acc {
		acc[r] = make([]reg.VecVirtual, vecs)
		for v := range acc[r] {
			acc[r][v] = a.vec()
			a.zero(acc[r][v])
		}
	}
	w, g := c.GP64(), c.GP64()
	c.Load(c.Param("qw"), w)
	c.ADDQ(col, w)
	c.XORQ(g, g)
	a.loop("int8depth", k.Depth()/scalar.Int8Group, func() {
		weights := make([]operand.Op, vecs)
		for v := range weights {
			m := at(w, 64*v)
			if fromMemory {
				weights[v] = m
				continue
			}
			wv := a.vec()
			c.VMOVDQU32(m, wv)
			weights[v] = wv
		}
		for r := range rows {
			xb := a.vec()
			q := f.row(r)
			q.Index, q.Scale = g, 1
			c.VPBROADCASTD(q, xb)
			for v := range weights {
				c.VPDPBUSD(weights[v], xb, acc[r][v])
			}
		}
		c.ADDQ(imm(scalar.Int8Group*k.Width()), w)
		c.ADDQ(imm(scalar.Int8Group), g)
	})
	c.Comment("y = act(float32(Σ − zero·colsum)·(sx·scale) + b)")
	scale, colsum, b := a.param("scale"), a.param("colsum"), a.param("b")
	for _, r := range []reg.Register{scale, colsum, b} {
		c.ADDQ(col, r)
	}
	zeroReg, slope := a.fusedActivationOperands(k.Activation)
	lanesOf := func(v int) int { return lanesOf(vecs, lastLanes, a.lanes(), v) }
	for r := range rows {
		sx, zx := a.vec(), a.vec()
		c.VBROADCASTSS(f.sx.Offset(4*r), sx)
		c.VPBROADCASTD(f.zx.Offset(4*r), zx)
		for v := range vecs {
			cs, m, bias := a.vec(), a.vec(), a.vec()
			a.load(at(colsum, 64*v), lanesOf(v), cs)
			a.load(at(scale, 64*v), lanesOf(v), m)
			a.load(at(b, 64*v), lanesOf(v), bias)
			s := acc[r][v]
			c.VPMULLD(zx, cs, cs)
			c.VPSUBD(cs, s, s)
			c.VCVTDQ2PS(s, s)
			c.VMULPS(sx, m, m)
			c.VMULPS(m, s, s)
			c.VADDPS(bias, s, s)
			a.fusedActivation(k.Activation, s, zeroReg, slope)
			out := operand.Mem{Base: y, Index: col, Scale: 1, Disp: 4*r*k.Out + 64*v}
			a.store(s, lanesOf(v), out)
		}
	}
}
