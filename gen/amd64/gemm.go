package amd64

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/internal/kerneldoc"
	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// epilogue is what a product does to each tile of C in registers before
// storing it: add the bias (when not nil), then apply act (identity, relu
// or leaky_relu; the other activations take a second pass over C); or,
// for a FusedSGD kernel (sgd not nil), take SGD's step with the tile.
type epilogue struct {
	bias reg.Register
	act  spec.Activation
	sgd  *sgdStep
}

// gemm emits C = A·B, then the epilogue, over the whole product: in
// place, or on packed operands when the plan packs it (the x86 tiers pack
// every product the NEON tier would compute in panels, so m.DepthBlock is
// never set here). It walks copies of the pointers, so A, B, C and the
// bias still point at the arrays' starts afterwards.
func (a *asmWriter) gemm(g *plan.Gemm, m *plan.Impl, A, B, C reg.Register, e epilogue, names kerneldoc.Operands) {
	a.c.Comment(kerneldoc.Product(names, g, m.Tile))
	if m.PackDepth > 0 {
		a.packedGemm(g, m, A, B, C, e, a.rowsOf(g, m.Tile.NR, names), names)
		return
	}
	a.panel(g, m, A, B, C, e, g.Cols, g.Depth, false, names)
}

// panel emits C = A·B (C += A·B when accumulate is set), then the
// epilogue, over cols columns and depth steps of the product, in tiles of
// m.Tile: rows of C in blocks of MR, columns in blocks of NR, and the
// remainders as smaller tiles whose last vector is partial. B is reread
// for every row block.
func (a *asmWriter) panel(g *plan.Gemm, m *plan.Impl, A, B, C reg.Register, e epilogue, cols, depth int, accumulate bool, names kerneldoc.Operands) {
	a.panelPrefetching(g, m, A, B, C, e, cols, depth, accumulate, nil, names)
}

// panelPrefetching is panel with every iteration of its tiles' depth loops
// taking a step of walk, when not nil.
func (a *asmWriter) panelPrefetching(g *plan.Gemm, m *plan.Impl, A, B, C reg.Register, e epilogue, cols, depth int, accumulate bool, walk *prefetchWalk, names kerneldoc.Operands) {
	c := a.c
	rowA, rowC := c.GP64(), c.GP64()
	c.MOVQ(A, rowA)
	c.MOVQ(C, rowC)
	A, C = rowA, rowC
	mr, nr, lanes := m.Tile.MR, m.Tile.NR, a.lanes()
	t := tileShape{depth: depth, accumulate: accumulate, prefetch: walk}
	rowBlock := func(rows int) {
		colB, colC := c.GP64(), c.GP64()
		c.MOVQ(B, colB)
		c.MOVQ(C, colC)
		col := epilogue{act: e.act, sgd: e.sgd}
		if e.bias != nil {
			col.bias = c.GP64()
			c.MOVQ(e.bias, col.bias)
		}
		t.rows = rows
		if cols/nr > 0 {
			c.Comment(kerneldoc.RowBlock(names, rows, nr))
		}
		a.loop("cols", cols/nr, func() {
			t.vecs, t.lastLanes = nr/lanes, lanes
			a.tile(g, m, t, A, colB, colC, col, names)
			c.ADDQ(imm(4*nr), colB)
			c.ADDQ(imm(4*nr), colC)
			if col.bias != nil {
				c.ADDQ(imm(4*nr), col.bias)
			}
		})
		if rem := cols % nr; rem > 0 {
			t.vecs = (rem + lanes - 1) / lanes
			t.lastLanes = rem - lanes*(t.vecs-1)
			c.Comment(kerneldoc.RowBlockTail(names, rows, rem))
			a.tile(g, m, t, A, colB, colC, col, names)
		}
	}
	a.loop("rows", g.Rows/mr, func() {
		rowBlock(mr)
		c.ADDQ(imm(4*mr*g.ARow), A)
		c.ADDQ(imm(4*mr*g.CRow), C)
	})
	if rem := g.Rows % mr; rem > 0 {
		rowBlock(rem)
	}
}

// tileShape is one call of the micro-kernel: rows×vecs accumulator
// vectors, the last holding lastLanes columns, over depth steps, starting
// from C's values when accumulate is set (a later chunk of depth) and
// from zero otherwise; each iteration of its depth loop takes a step of
// prefetch, when not nil.
type tileShape struct {
	rows, vecs, lastLanes, depth int
	accumulate                   bool
	prefetch                     *prefetchWalk
}

// tile is the micro-kernel: t.rows×t.vecs accumulator vectors over
// t.depth, then the epilogue in registers and the store.
func (a *asmWriter) tile(g *plan.Gemm, m *plan.Impl, t tileShape, A, B, C reg.Register, e epilogue, names kerneldoc.Operands) {
	c := a.c
	lanes := a.lanes()
	rows, vecs, lastLanes := t.rows, t.vecs, t.lastLanes
	chains := m.Chains(vecs)
	accs := make([][][]reg.VecVirtual, chains) // [chain][row][vector]
	if t.accumulate {
		c.Comment(kerneldoc.Accumulate(names))
	}
	for ch := range accs {
		accs[ch] = make([][]reg.VecVirtual, rows)
		for r := range rows {
			accs[ch][r] = make([]reg.VecVirtual, vecs)
			for v := range vecs {
				accs[ch][r][v] = a.vec()
				if t.accumulate && ch == 0 {
					a.load(at(C, 4*(r*g.CRow+lanes*v)), lanesOf(vecs, lastLanes, lanes, v), accs[ch][r][v])
				} else {
					a.zero(accs[ch][r][v])
				}
			}
		}
	}
	acc := accs[0]
	lanesOf := func(v int) int { return lanesOf(vecs, lastLanes, lanes, v) }
	ap, bp := c.GP64(), c.GP64()
	c.MOVQ(A, ap)
	c.MOVQ(B, bp)
	if a.wide() && lastLanes < lanes {
		a.firstLanes(lastLanes) // set before the depth loop, not in it
	}
	step := func(u int) {
		if rows == 1 { // one row: each B vector is used once, straight from memory
			chain := accs[u%chains][0]
			x := a.vec()
			c.VBROADCASTSS(at(ap, 4*u*g.ADepth), x)
			for v := range vecs {
				b := at(bp, 4*(u*g.BDepth+lanes*v))
				if n := lanesOf(v); n < lanes { // a partial vector cannot fold into the FMA
					w := a.vec()
					a.load(b, n, w)
					c.VFMADD231PS(w, x, chain[v])
				} else {
					c.VFMADD231PS(b, x, chain[v])
				}
			}
			return
		}
		w := make([]reg.VecVirtual, vecs)
		for v := range w {
			w[v] = a.vec()
			a.load(at(bp, 4*(u*g.BDepth+lanes*v)), lanesOf(v), w[v])
		}
		for r := range rows {
			a.broadcastFMA(at(ap, 4*(r*g.ARow+u*g.ADepth)), w, acc[r])
		}
	}
	if e.sgd != nil {
		a.prefetchTile(C, g.CRow, rows, 4*((vecs-1)*lanes+lastLanes))
	}
	u := m.Unroll
	if t.depth/u > 0 {
		c.Comment(fmt.Sprintf("Depth, %d steps an iteration: %s's element broadcast for each of %d rows, times a row of %s.", u, names.A, rows, names.B))
	}
	a.loop("depth", t.depth/u, func() {
		for i := range u {
			step(i)
		}
		if t.prefetch != nil {
			a.prefetchStep(t.prefetch)
		}
		c.ADDQ(imm(4*u*g.ADepth), ap)
		c.ADDQ(imm(4*u*g.BDepth), bp)
	})
	if rem := t.depth % u; rem > 0 {
		c.Comment(kerneldoc.DepthTail(rem))
	}
	for i := range t.depth % u {
		step(i)
	}
	if chains > 1 {
		c.Comment(kerneldoc.SumChains(chains))
	}
	for n := chains; n > 1; n = (n + 1) / 2 { // sum the chains pairwise into the first
		half := (n + 1) / 2
		for ch := half; ch < n; ch++ {
			for r := range rows {
				for v := range vecs {
					c.VADDPS(accs[ch][r][v], accs[ch-half][r][v], accs[ch-half][r][v])
				}
			}
		}
	}
	if e.sgd != nil {
		if t.accumulate {
			panic("amd64: a FusedSGD product in chunks of depth would add into its parameters")
		}
		c.Comment(kerneldoc.StepSGD(names.C, "w"))
		a.stepTile(acc, lanesOf, C, g.CRow, e.sgd)
		return
	}
	c.Comment(kerneldoc.Store(names, e.bias != nil, e.act))
	a.storeTile(acc, lanesOf, C, g.CRow, e)
}

// lanesOf is the number of columns vector v of a tile of vecs vectors
// holds: all lanes but in the last, which holds lastLanes.
func lanesOf(vecs, lastLanes, lanes, v int) int {
	if v == vecs-1 {
		return lastLanes
	}
	return lanes
}

// broadcastFMA adds x·w[v] to acc[v] for every v, x the float at m. x is
// the FMA's second source and w[v] its third, as in the one-row tiles
// (where w comes from memory): an FMA of two NaNs keeps the first
// source's payload, so every tile must give x and w the same places for
// its rows to equal another tile's bit for bit. (The embedded broadcast
// of AVX-512, one micro-op fewer, puts x third.)
func (a *asmWriter) broadcastFMA(m operand.Mem, w, acc []reg.VecVirtual) {
	x := a.vec()
	a.c.VBROADCASTSS(m, x)
	for v := range w {
		a.c.VFMADD231PS(w[v], x, acc[v])
	}
}

// storeTile applies the epilogue to the accumulators acc[row][vector] and
// stores them at C (rows cRow floats apart), vector v holding lanesOf(v)
// columns.
func (a *asmWriter) storeTile(acc [][]reg.VecVirtual, lanesOf func(int) int, C reg.Register, cRow int, e epilogue) {
	zero, slope := a.fusedActivationOperands(e.act)
	for r := range acc {
		for v, z := range acc[r] {
			if e.bias != nil {
				a.addBias(at(e.bias, 4*a.lanes()*v), lanesOf(v), z)
			}
			a.fusedActivation(e.act, z, zero, slope)
			a.store(z, lanesOf(v), at(C, 4*(r*cRow+a.lanes()*v)))
		}
	}
}

// addBias adds the lanes of the bias at m to z.
func (a *asmWriter) addBias(m operand.Mem, lanes int, z reg.VecVirtual) {
	bv := a.vec()
	a.load(m, lanes, bv)
	a.c.VADDPS(bv, z, z)
}

// fusedActivationOperands returns what fusedActivation needs for act: a
// zeroed register for relu, the slope constant for leaky_relu.
func (a *asmWriter) fusedActivationOperands(act spec.Activation) (zero reg.VecVirtual, slope operand.Mem) {
	switch act {
	case spec.ReLU:
		zero = a.vec()
		a.zero(zero)
	case spec.LeakyReLU:
		slope = a.f32("leakyslope", 0.01)
	}
	return zero, slope
}

// fusedActivation applies relu or leaky_relu to z in place (the
// activations a product's store fuses; the others leave z alone), given a
// zeroed register for relu and the slope constant for leaky_relu.
func (a *asmWriter) fusedActivation(act spec.Activation, z, zero reg.VecVirtual, slope operand.Mem) {
	c := a.c
	switch act {
	case spec.ReLU:
		c.VMAXPS(z, zero, z) // max(0, z); a NaN z is kept (it is the second source)
	case spec.LeakyReLU:
		t := a.vec()
		c.VMULPS(slope, z, t)
		c.VMAXPS(z, t, z) // max(0.01·z, z); a NaN z is kept
	}
}

// transpose writes the cols×rows matrix t = mᵀ of the rows×cols matrix m,
// whose rows are srcStride floats apart (t's rows dstStride apart): square
// blocks in registers, the largest first (16×16 in ZMM, whose rows of t
// are whole cache lines; then 8×8 in YMM over what they leave), then the
// rows and columns past the last whole block one element at a time.
func (a *asmWriter) transpose(m, t reg.Register, rows, cols, srcStride, dstStride int) {
	sizes := []int{8}
	if a.wide() {
		sizes = []int{16, 8}
	}
	s := strides{src: srcStride, dst: dstStride}
	doneRows, doneCols := 0, 0 // the corner [0, doneRows)×[0, doneCols) of m is done
	for _, v := range sizes {
		blockRows, blockCols := rows/v*v, cols/v*v
		a.transposeBlocks(m, t, s, v, 0, doneRows, doneCols, blockCols)  // right of the corner
		a.transposeBlocks(m, t, s, v, doneRows, blockRows, 0, blockCols) // below it
		doneRows, doneCols = blockRows, blockCols
	}
	// The scalar remainder: columns past the blocks for the block rows,
	// then every column of the rows past them.
	a.transposeScalar(m, t, s, cols, 0, doneRows, doneCols)
	a.transposeScalar(m, t, s, cols, doneRows, rows, 0)
}

// strides are the distances in floats between the rows of a transpose's
// source and between those of its destination.
type strides struct{ src, dst int }

// transposeBlocks transposes the rows [rowLo, rowHi) and columns [colLo,
// colHi) of m (both spans multiples of v) in v×v blocks.
func (a *asmWriter) transposeBlocks(m, t reg.Register, s strides, v, rowLo, rowHi, colLo, colHi int) {
	if rowLo >= rowHi || colLo >= colHi {
		return
	}
	c := a.c
	block := a.transposeBlock
	if v == 16 {
		block = a.transposeBlock16
	}
	src, dst := c.GP64(), c.GP64()
	for _, p := range []struct {
		base, to reg.Register
		offset   int
	}{{m, src, rowLo*s.src + colLo}, {t, dst, colLo*s.dst + rowLo}} {
		if p.offset == 0 {
			c.MOVQ(p.base, p.to)
		} else {
			c.LEAQ(at(p.base, 4*p.offset), p.to)
		}
	}
	a.loop("tblockrows", (rowHi-rowLo)/v, func() {
		sp, d := c.GP64(), c.GP64()
		c.MOVQ(src, sp)
		c.MOVQ(dst, d)
		a.loop("tblocks", (colHi-colLo)/v, func() {
			block(sp, d, s.src, s.dst)
			c.ADDQ(imm(4*v), sp)
			c.ADDQ(imm(4*v*s.dst), d)
		})
		c.ADDQ(imm(4*v*s.src), src)
		c.ADDQ(imm(4*v), dst)
	})
}

// transposeBlock transposes the 8×8 block at s (row stride srcStride
// floats) into d (row stride dstStride): unpack pairs of rows, shuffle
// pairs of pairs, swap 128-bit halves, 24 shuffles for 64 elements.
func (a *asmWriter) transposeBlock(s, d reg.Register, srcStride, dstStride int) {
	c := a.c
	r := make([]reg.VecVirtual, 8)
	for i := range r {
		r[i] = c.YMM()
		c.VMOVUPS(at(s, 4*i*srcStride), r[i])
	}
	u := make([]reg.VecVirtual, 8) // u[2i], u[2i+1]: rows 2i and 2i+1 interleaved
	for i := 0; i < 8; i += 2 {
		u[i], u[i+1] = c.YMM(), c.YMM()
		c.VUNPCKLPS(r[i+1], r[i], u[i])
		c.VUNPCKHPS(r[i+1], r[i], u[i+1])
	}
	q := r // q[4h+j]: column j (mod 4) of rows 4h..4h+3, in both 128-bit halves
	for h := range 2 {
		lo, hi := u[4*h], u[4*h+2]
		lo2, hi2 := u[4*h+1], u[4*h+3]
		c.VSHUFPS(imm(0x44), hi, lo, q[4*h])
		c.VSHUFPS(imm(0xee), hi, lo, q[4*h+1])
		c.VSHUFPS(imm(0x44), hi2, lo2, q[4*h+2])
		c.VSHUFPS(imm(0xee), hi2, lo2, q[4*h+3])
	}
	for j := range 4 {
		o := c.YMM()
		c.VPERM2F128(imm(0x20), q[4+j], q[j], o) // low halves: column j
		c.VMOVUPS(o, at(d, 4*j*dstStride))
		c.VPERM2F128(imm(0x31), q[4+j], q[j], o) // high halves: column j+4
		c.VMOVUPS(o, at(d, 4*(j+4)*dstStride))
	}
}

// transposeBlock16 transposes the 16×16 block at s (row stride srcStride
// floats) into d (row stride dstStride) in ZMM registers, 64 shuffles for
// 256 elements. Within each 128-bit lane (4 columns), unpacking pairs of
// rows as floats, then pairs of pairs as doubles, leaves u[g][j] holding
// column 4L+j of rows 4g..4g+3 in lane L; two rounds of 128-bit lane
// shuffles then gather lane L of u[0..3][j] into row 4L+j of the result.
func (a *asmWriter) transposeBlock16(s, d reg.Register, srcStride, dstStride int) {
	c := a.c
	r := make([]reg.VecVirtual, 16)
	for i := range r {
		r[i] = c.ZMM()
		c.VMOVUPS(at(s, 4*i*srcStride), r[i])
	}
	var u [4][4]reg.VecVirtual // [row group][column within the lane]
	for g := range 4 {
		lo01, hi01, lo23, hi23 := c.ZMM(), c.ZMM(), c.ZMM(), c.ZMM()
		c.VUNPCKLPS(r[4*g+1], r[4*g], lo01) // a0 b0 a1 b1
		c.VUNPCKHPS(r[4*g+1], r[4*g], hi01) // a2 b2 a3 b3
		c.VUNPCKLPS(r[4*g+3], r[4*g+2], lo23)
		c.VUNPCKHPS(r[4*g+3], r[4*g+2], hi23)
		for j := range u[g] {
			u[g][j] = c.ZMM()
		}
		c.VUNPCKLPD(lo23, lo01, u[g][0]) // a0 b0 c0 d0
		c.VUNPCKHPD(lo23, lo01, u[g][1]) // a1 b1 c1 d1
		c.VUNPCKLPD(hi23, hi01, u[g][2])
		c.VUNPCKHPD(hi23, hi01, u[g][3])
	}
	for j := range 4 {
		lo01, hi01, lo23, hi23 := c.ZMM(), c.ZMM(), c.ZMM(), c.ZMM()
		c.VSHUFF32X4(imm(0x44), u[1][j], u[0][j], lo01) // lanes 0, 1 of u[0][j], then of u[1][j]
		c.VSHUFF32X4(imm(0xee), u[1][j], u[0][j], hi01) // lanes 2, 3
		c.VSHUFF32X4(imm(0x44), u[3][j], u[2][j], lo23)
		c.VSHUFF32X4(imm(0xee), u[3][j], u[2][j], hi23)
		for lane, pair := range [4][2]reg.VecVirtual{{lo01, lo23}, {lo01, lo23}, {hi01, hi23}, {hi01, hi23}} {
			o := c.ZMM()
			c.VSHUFF32X4(imm([2]int{0x88, 0xdd}[lane%2]), pair[1], pair[0], o) // even or odd lanes of each
			c.VMOVUPS(o, at(d, 4*(4*lane+j)*dstStride))
		}
	}
}

// transposeScalar copies m[i][j] to t[j][i] for rows i in [fromRow, toRow)
// and columns j in [fromCol, cols), one element at a time.
func (a *asmWriter) transposeScalar(m, t reg.Register, s strides, cols, fromRow, toRow, fromCol int) {
	if fromRow >= toRow || fromCol >= cols {
		return
	}
	c := a.c
	src, dstRow := c.GP64(), c.GP64()
	c.LEAQ(at(m, 4*(fromRow*s.src+fromCol)), src)
	c.LEAQ(at(t, 4*(fromCol*s.dst+fromRow)), dstRow)
	a.loop("trows", toRow-fromRow, func() {
		sp, dst, x := c.GP64(), c.GP64(), c.GP32()
		c.MOVQ(src, sp)
		c.MOVQ(dstRow, dst)
		a.loop("tcols", cols-fromCol, func() {
			c.MOVL(at(sp, 0), x)
			c.MOVL(x, at(dst, 0))
			c.ADDQ(imm(4), sp)
			c.ADDQ(imm(4*s.dst), dst)
		})
		c.ADDQ(imm(4*s.src), src)
		c.ADDQ(imm(4), dstRow)
	})
}

// panelInputGrad emits dX = dZ·Wᵀ one panel of m.Tile.NR columns of dX
// at a time (plan.Impl.PanelTranspose): rows [p·NR, (p+1)·NR) of W,
// transposed into a Depth×NR panel at wt's start (in L1 while it is used,
// when it fits), then the product of all of dZ's rows with that panel. The
// outer loop keeps its pointers and count in the frame: the panel's own
// loops need the registers.
func (a *asmWriter) panelInputGrad(g *plan.Gemm, m *plan.Impl, dz, w, wt, dx reg.Register) {
	c := a.c
	nr := min(m.Tile.NR, g.Cols)
	frame := c.AllocLocal(3 * 8)
	wp, dxp, count := frame.Offset(0), frame.Offset(8), frame.Offset(16)
	c.MOVQ(w, wp)
	c.MOVQ(dx, dxp)
	panel := func(cols int) {
		c.Comment(kerneldoc.InputGradPanel(g, cols))
		src, out := c.GP64(), c.GP64()
		c.MOVQ(wp, src)
		a.transpose(src, wt, cols, g.Depth, g.Depth, cols)
		packed := *g
		packed.BDepth = cols
		c.MOVQ(dxp, out)
		a.panel(&packed, m, dz, wt, out, epilogue{}, cols, g.Depth, false, kerneldoc.Operands{A: "dz", B: "wᵀ", C: "dx"})
	}
	c.Comment(kerneldoc.PanelInputGrad(g, nr))
	a.loopIn("dxpanels", g.Cols/nr, count, func() {
		panel(nr)
		r := c.GP64()
		c.MOVQ(wp, r)
		c.ADDQ(imm(4*nr*g.Depth), r)
		c.MOVQ(r, wp)
		c.MOVQ(dxp, r)
		c.ADDQ(imm(4*nr), r)
		c.MOVQ(r, dxp)
	})
	if rem := g.Cols % nr; rem > 0 {
		panel(rem)
	}
}
