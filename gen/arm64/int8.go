package arm64

import (
	"fmt"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/scalar"
	"github.com/vecgen/vecgen/spec"
)

// The int8 forward pass on NEON with ARMv8.2's dot product
// (scalar.DenseInt8Packed is its reference). SDOT multiplies signed bytes
// by signed bytes, so each quantized input qx (0..255) is stored as
// qx − 128 (its top bit flipped): the sums are then Σ qx·w − 128·colsum,
// and the correction (128 − zero)·colsum makes them the reference's
// Σ qx·w − zero·colsum exactly. For each tile of rows: each row's range,
// scale and zero point, and the row quantized into the caller's buffer;
// then for each block of outputs, one SDOT by element a group of four
// inputs, vector of weights and row; then the epilogue.

// int8Args are an int8 kernel's arguments, as gen declares them: the
// rows, pointers to the first element of x and y, and the buffer.
func int8Args(k *plan.Int8Kernel, m *plan.Int8Impl) []arg {
	return []arg{
		{"rows", "int"}, {"x", "*float32"},
		{"qw", fmt.Sprintf("*[%d]int8", k.Packed())},
		{"scale", fmt.Sprintf("*[%d]float32", k.Out)},
		{"colsum", fmt.Sprintf("*[%d]int32", k.Out)},
		{"b", fmt.Sprintf("*[%d]float32", k.Out)},
		{"y", "*float32"},
		{"scratch", fmt.Sprintf("*[%d]byte", m.Scratch)},
	}
}

// int8Doc is the comment above an int8 kernel's assembly and stub.
func int8Doc(k *plan.Int8Kernel, m *plan.Int8Impl) []string {
	return []string{
		fmt.Sprintf("%s is layer %d's int8 forward pass (%d → %d, %s) over rows rows:", m.Asm, k.Layer, k.In, k.Out, k.Activation),
		"y[i,j] = act(float32(Σₖ qx[i,k]·qw[k,j] − zx[i]·colsum[j])·(sx[i]·scale[j]) + b[j]),",
		fmt.Sprintf("in tiles of %d rows by %d vectors of outputs, then one row at a time by %d;", m.Tile.Rows, m.Tile.Vecs, m.Tile.OneRowVecs),
		"scratch holds a tile's quantized rows, scales and corrections.",
	}
}

// forwardInt8 emits the kernel: tiles of Tile.Rows rows while that many
// are left, then the rest one row at a time.
func (k *kernelWriter) forwardInt8(kn *plan.Int8Kernel, m *plan.Int8Impl) {
	t := m.Tile
	rows, x, y, scratch := k.param("rows"), k.param("x"), k.param("y"), k.param("scratch")
	whole, rest, done := k.newLabel("int8tiles"), k.newLabel("int8rows"), k.newLabel("int8done")
	k.comment("Tiles of %d rows while that many are left.", t.Rows)
	k.label(whole)
	k.op("CMP $%d, %s", t.Rows, rows)
	k.op("BLT %s", rest)
	k.int8Tile(kn, m, x, y, scratch, t.Rows, t.Vecs)
	k.addImm(x, 4*t.Rows*kn.In)
	k.addImm(y, 4*t.Rows*kn.Out)
	k.addImm(rows, -t.Rows)
	k.op("B %s", whole)
	k.comment("The rows left, one at a time.")
	k.label(rest)
	k.op("CBZ %s, %s", rows, done)
	k.int8Tile(kn, m, x, y, scratch, 1, t.OneRowVecs)
	k.addImm(x, 4*kn.In)
	k.addImm(y, 4*kn.Out)
	k.addImm(rows, -1)
	k.op("B %s", rest)
	k.label(done)
}

// int8Tile computes rows rows of y from as many of x: quantizes them into
// the buffer, computes the outputs in blocks of vecs vectors, then
// applies the activations a store does not fuse.
func (k *kernelWriter) int8Tile(kn *plan.Int8Kernel, m *plan.Int8Impl, x, y, scratch greg, rows, vecs int) {
	end := k.scope()
	for r := range rows {
		k.quantizeRow(kn, m, r, x, scratch)
	}
	width := (kn.Out + lanes - 1) / lanes // vectors of outputs
	last := kn.Out - lanes*(width-1)
	tail := width % vecs
	if tail == 0 && last < lanes {
		tail = vecs // the partial vector's block is emitted apart
	}
	col := k.gp() // the block's first output, in bytes of y (and of a group of qw)
	k.op("MOVD $0, %s", col)
	k.comment("Σ over groups of %d inputs: SDOT adds 4 s8 × s8 products into each int32 lane.", scalar.Int8Group)
	k.loop("int8block", (width-tail)/vecs, func() {
		k.int8Block(kn, m, col, y, scratch, rows, vecs, lanes)
		k.addImm(col, 16*vecs)
	})
	if tail > 0 {
		k.int8Block(kn, m, col, y, scratch, rows, tail, last)
	}
	if act := kn.Activation; act != spec.Identity && act != spec.ReLU && act != spec.LeakyReLU {
		for r := range rows {
			e := k.scope()
			row := k.pointer(y, 4*r*kn.Out)
			k.activationPass(act, row, row, 1, kn.Out)
			e()
		}
	}
	end()
}

// int8Info is where the buffer keeps row r's scale, and its correction
// 128 − zero: after the tile's rows, the scales, then the corrections.
func int8Info(m *plan.Int8Impl, r int) (scale, correction int) {
	base := m.Tile.Rows * m.ScratchRow
	return base + 4*r, base + 4*m.Tile.Rows + 4*r
}

// quantizeRow quantizes row r of the tile into the buffer, as
// scalar.QuantizeRow does (its range widened to hold 0, the scale and
// zero point from it, each value rounded to nearest even), each byte
// stored less 128.
func (k *kernelWriter) quantizeRow(kn *plan.Int8Kernel, m *plan.Int8Impl, r int, x, scratch greg) {
	end := k.scope()
	k.comment("Row %d: lo = min(0, x), hi = max(0, x); inv = 255/(hi−lo), scale = (hi−lo)/255 (0 and 1 when hi−lo < 2⁻¹²⁰); zero = round(−lo·inv).", r)
	xr := k.pointer(x, 4*r*kn.In)
	lo, hi, zero := k.vec(), k.vec(), k.vec()
	k.zero(lo)
	k.zero(hi)
	k.zero(zero)
	k.elementwise(kn.In, []greg{xr}, func(vec func(int) mem, n int) {
		v := k.vec()
		k.load(vec(0), n, v) // lanes past the row are 0, inside the range already
		k.fmin(lo, lo, v)
		k.fmax(hi, hi, v)
	})
	k.hreduce(lo, k.fminp)
	k.hreduce(hi, k.fmaxp)
	width, inv, scale, mask := k.vec(), k.vec(), k.vec(), k.vec()
	top := k.constantF("int8top", 255)
	k.fsub(width, hi, lo)
	k.fdiv(inv, top, width)
	k.fdiv(scale, width, top)
	k.fcmge(mask, width, k.constantF("int8minrange", scalar.Int8MinRange)) // a narrower row quantizes as zeros
	k.keep(mask, inv, inv)
	k.choose(mask, scale, k.constantF("one", 1), scale)
	zp, correction := k.vec(), k.vec()
	topInt := k.constant("int8topint", 255)
	k.fneg(zp, lo)
	k.fmul(zp, zp, inv)
	k.fcvtns(zp, zp) // to nearest, ties to even
	k.smax(zp, zp, zero)
	k.smin(zp, zp, topInt)
	k.op("VSUB %s, %s, %s", zp.s4(), k.constant("int8half", 128).s4(), correction.s4())
	sAt, cAt := int8Info(m, r)
	k.store(scale, 1, at(scratch, sAt))
	k.store(correction, 1, at(scratch, cAt))

	k.comment("qx − 128 = (clamp(round(x·inv) + zero, 0, 255) as a byte) with its top bit flipped, 4 bytes a step.")
	q := k.pointer(scratch, r*m.ScratchRow)
	flip := k.constant("int8flip", 0x80808080)
	quantize := func(n int) {
		e := k.scope()
		v := k.vec()
		k.load(at(xr, 0), n, v)
		k.fmul(v, v, inv)
		k.fcvtns(v, v)
		k.op("VADD %s, %s, %s", zp.s4(), v.s4(), v.s4())
		k.smax(v, v, zero)
		k.smin(v, v, topInt)
		k.xtnh(v, v)
		k.xtnb(v, v)
		k.op("VEOR %s, %s, %s", flip.b16(), v.b16(), v.b16())
		k.store(v, 1, at(q, 0))
		e()
	}
	k.loop("quantize", kn.In/lanes, func() {
		quantize(lanes)
		k.addImm(xr, 4*lanes)
		k.addImm(q, lanes)
	})
	if rem := kn.In % lanes; rem > 0 { // the last group: its weights past the row are 0
		quantize(rem)
	}
	end()
}

// int8Block computes a block of vecs vectors of outputs, from byte col of
// a group of the packed weights and of y's rows, for the tile's rows: the
// sums over every group of inputs, then the epilogue. The block's last
// vector holds lastLanes outputs.
func (k *kernelWriter) int8Block(kn *plan.Int8Kernel, m *plan.Int8Impl, col, y, scratch greg, rows, vecs, lastLanes int) {
	end := k.scope()
	acc := make([][]vreg, rows)
	for r := range acc {
		acc[r] = k.vecs(vecs)
		for _, a := range acc[r] {
			k.zero(a)
		}
	}
	w := k.param("qw")
	k.op("ADD %s, %s, %s", col, w, w)
	q := make([]greg, rows)
	for r := range q {
		q[r] = k.pointer(scratch, r*m.ScratchRow)
	}
	group := scalar.Int8Group * kn.Width() // bytes of one group of the packed weights
	step := func(groups int) {             // groups (1 to 4) of 4 inputs: 16 bytes of each row
		e := k.scope()
		xs := k.vecs(rows)
		for r, xv := range xs {
			k.op("FMOVQ (%s), %s", q[r], xv.f())
		}
		for i := range groups {
			k.int8Group(w, acc, xs, vecs, i, rows > 1)
			k.addImm(w, group)
		}
		for r := range q {
			k.addImm(q[r], 16)
		}
		e()
	}
	k.loop("int8depth", kn.Depth()/16, func() { step(4) })
	if g := kn.Depth() / scalar.Int8Group % 4; g > 0 {
		step(g)
	}

	k.comment("y = act(float32(Σ + (128 − zero)·colsum)·(sx·scale) + b)")
	scale, colsum, b := k.param("scale"), k.param("colsum"), k.param("b")
	for _, p := range []greg{scale, colsum, b} {
		k.op("ADD %s, %s, %s", col, p, p)
	}
	zeroReg, slope := k.fusedActivationOperands(kn.Activation)
	lanesOf := func(v int) int {
		if v == vecs-1 {
			return lastLanes
		}
		return lanes
	}
	for r := range rows {
		e := k.scope()
		sx, correction := k.vec(), k.vec()
		sAt, cAt := int8Info(m, r)
		for _, l := range []struct {
			off int
			v   vreg
		}{{sAt, sx}, {cAt, correction}} {
			p := k.pointer(scratch, l.off)
			k.op("VLD1R (%s), [%s]", p, l.v.s4())
		}
		yr := k.pointer(y, 4*r*kn.Out)
		k.op("ADD %s, %s, %s", col, yr, yr)
		for v := range vecs {
			ev := k.scope()
			n := lanesOf(v)
			cs, sc, bias := k.vec(), k.vec(), k.vec()
			k.load(at(colsum, 16*v), n, cs)
			k.load(at(scale, 16*v), n, sc)
			k.load(at(b, 16*v), n, bias)
			s := acc[r][v]
			k.mla(s, cs, correction)
			k.scvtf(s, s)
			k.fmul(sc, sx, sc)
			k.fmul(s, s, sc)
			k.fadd(s, s, bias)
			k.fusedActivation(kn.Activation, s, zeroReg, slope)
			k.store(s, n, at(yr, 16*v))
			ev()
		}
		e()
	}
	end()
}

// int8Group adds group i (0 to 3) of the rows' 16 quantized inputs in xs
// times the group's weights at w to the accumulators acc[row][vector]:
// the vecs vectors of weights loaded into registers once for all the rows
// when held, else each pair just before its two products.
func (k *kernelWriter) int8Group(w greg, acc [][]vreg, xs []vreg, vecs, i int, held bool) {
	e := k.scope()
	load := func(v int) []vreg { // vectors v and, if there is one, v+1
		if v+1 < vecs {
			pair := k.vecs(2)
			k.loadPair(at(w, 16*v), pair[0], pair[1])
			return pair
		}
		one := k.vec()
		k.op("FMOVQ %s, %s", at(w, 16*v), one.f())
		return []vreg{one}
	}
	if held {
		var ws []vreg
		for v := 0; v < vecs; v += 2 {
			ws = append(ws, load(v)...)
		}
		for r, xv := range xs {
			for v, wv := range ws {
				k.sdotLane(acc[r][v], wv, xv, i)
			}
		}
		e()
		return
	}
	for v := 0; v < vecs; v += 2 {
		ep := k.scope()
		for j, wv := range load(v) {
			k.sdotLane(acc[0][v+j], wv, xs[0], i)
		}
		ep()
	}
	e()
}
