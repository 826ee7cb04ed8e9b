package gen

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// epilogue is what a product does to each tile of C in registers before
// storing it: add the bias (when not nil), then apply act (identity, relu
// or leaky_relu; the other activations take a second pass over C).
type epilogue struct {
	bias reg.Register
	act  spec.Activation
}

// gemm emits C = A·B, then the epilogue, over the whole product, in tiles
// of m.Tile: rows of C in blocks of MR, columns in blocks of NR, and the
// remainders as smaller tiles whose last vector is partial. It walks copies
// of the pointers, so A, B, C and the bias still point at the arrays'
// starts afterwards; B is reread for every row block.
func (a *asmWriter) gemm(g *plan.Gemm, m *plan.Impl, A, B, C reg.Register, e epilogue) {
	c := a.c
	rowA, rowC := c.GP64(), c.GP64()
	c.MOVQ(A, rowA)
	c.MOVQ(C, rowC)
	A, C = rowA, rowC
	mr, nr, lanes := m.Tile.MR, m.Tile.NR, a.lanes()
	rowBlock := func(rows int) {
		colB, colC := c.GP64(), c.GP64()
		c.MOVQ(B, colB)
		c.MOVQ(C, colC)
		col := epilogue{act: e.act}
		if e.bias != nil {
			col.bias = c.GP64()
			c.MOVQ(e.bias, col.bias)
		}
		a.loop("cols", g.Cols/nr, func() {
			a.tile(g, m, rows, nr/lanes, lanes, A, colB, colC, col)
			c.ADDQ(imm(4*nr), colB)
			c.ADDQ(imm(4*nr), colC)
			if col.bias != nil {
				c.ADDQ(imm(4*nr), col.bias)
			}
		})
		if rem := g.Cols % nr; rem > 0 {
			vecs := (rem + lanes - 1) / lanes
			a.tile(g, m, rows, vecs, rem-lanes*(vecs-1), A, colB, colC, col)
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

// tile is the micro-kernel: rows×vecs accumulator vectors over the whole
// depth, the last vector holding lastLanes columns, then the epilogue in
// registers and the store.
func (a *asmWriter) tile(g *plan.Gemm, m *plan.Impl, rows, vecs, lastLanes int, A, B, C reg.Register, e epilogue) {
	c := a.c
	lanes := a.lanes()
	chains := m.Chains(vecs)
	accs := make([][][]reg.VecVirtual, chains) // [chain][row][vector]
	for ch := range accs {
		accs[ch] = make([][]reg.VecVirtual, rows)
		for r := range rows {
			accs[ch][r] = make([]reg.VecVirtual, vecs)
			for v := range vecs {
				accs[ch][r][v] = a.vec()
				a.zero(accs[ch][r][v])
			}
		}
	}
	acc := accs[0]
	lanesOf := func(v int) int { // the last vector holds lastLanes columns
		if v == vecs-1 {
			return lastLanes
		}
		return lanes
	}
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
	u := m.Unroll
	a.loop("depth", g.Depth/u, func() {
		for i := range u {
			step(i)
		}
		c.ADDQ(imm(4*u*g.ADepth), ap)
		c.ADDQ(imm(4*u*g.BDepth), bp)
	})
	for i := range g.Depth % u {
		step(i)
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
	a.storeTile(acc, lanesOf, C, g.CRow, e)
}

// broadcastFMA adds x·w[v] to acc[v] for every v, x the float at m.
func (a *asmWriter) broadcastFMA(m operand.Mem, w, acc []reg.VecVirtual) {
	if a.wide() && len(w) == 1 { // one use: broadcast inside the FMA, one micro-op fewer
		a.c.VFMADD231PS_BCST(m, w[0], acc[0])
		return
	}
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
	c := a.c
	var zero reg.VecVirtual
	if e.act == spec.ReLU {
		zero = a.vec()
		a.zero(zero)
	}
	var slope operand.Mem
	if e.act == spec.LeakyReLU {
		slope = a.f32("leakyslope", 0.01)
	}
	for r := range acc {
		for v, z := range acc[r] {
			if e.bias != nil {
				bv := a.vec()
				a.load(at(e.bias, 4*a.lanes()*v), lanesOf(v), bv)
				c.VADDPS(bv, z, z)
			}
			switch e.act {
			case spec.ReLU:
				c.VMAXPS(z, zero, z) // max(0, z); a NaN z is kept (it is the second source)
			case spec.LeakyReLU:
				t := a.vec()
				c.VMULPS(slope, z, t)
				c.VMAXPS(z, t, z) // max(0.01·z, z); a NaN z is kept
			}
			a.store(z, lanesOf(v), at(C, 4*(r*cRow+a.lanes()*v)))
		}
	}
}

// transpose writes the cols×rows matrix t = mᵀ of the rows×cols matrix m:
// 8×8 blocks in YMM registers (unpack pairs of rows, shuffle pairs of
// pairs, swap 128-bit halves: 24 shuffles for 64 elements), then the rows
// and columns past the last whole block one element at a time.
func (a *asmWriter) transpose(m, t reg.Register, rows, cols int) {
	c := a.c
	const v = 8
	blockRows, blockCols := rows/v, cols/v
	if blockRows > 0 && blockCols > 0 {
		src, dst := c.GP64(), c.GP64()
		c.MOVQ(m, src)
		c.MOVQ(t, dst)
		a.loop("tblockrows", blockRows, func() {
			s, d := c.GP64(), c.GP64()
			c.MOVQ(src, s)
			c.MOVQ(dst, d)
			a.loop("tblocks", blockCols, func() {
				a.transposeBlock(s, d, cols, rows)
				c.ADDQ(imm(4*v), s)
				c.ADDQ(imm(4*v*rows), d)
			})
			c.ADDQ(imm(4*v*cols), src)
			c.ADDQ(imm(4*v), dst)
		})
	}
	// The scalar remainder: columns past the blocks for the block rows,
	// then every column of the rows past them.
	a.transposeScalar(m, t, rows, cols, 0, blockRows*v, blockCols*v)
	a.transposeScalar(m, t, rows, cols, blockRows*v, rows, 0)
}

// transposeBlock transposes the 8×8 block at s (row stride srcStride
// floats) into d (row stride dstStride).
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

// transposeScalar copies m[i][j] to t[j][i] for rows i in [fromRow, toRow)
// and columns j in [fromCol, cols), one element at a time.
func (a *asmWriter) transposeScalar(m, t reg.Register, rows, cols, fromRow, toRow, fromCol int) {
	if fromRow >= toRow || fromCol >= cols {
		return
	}
	c := a.c
	src, dstRow := c.GP64(), c.GP64()
	c.LEAQ(at(m, 4*(fromRow*cols+fromCol)), src)
	c.LEAQ(at(t, 4*(fromCol*rows+fromRow)), dstRow)
	a.loop("trows", toRow-fromRow, func() {
		s, dst, x := c.GP64(), c.GP64(), c.GP32()
		c.MOVQ(src, s)
		c.MOVQ(dstRow, dst)
		a.loop("tcols", cols-fromCol, func() {
			c.MOVL(at(s, 0), x)
			c.MOVL(x, at(dst, 0))
			c.ADDQ(imm(4), s)
			c.ADDQ(imm(4*rows), dst)
		})
		c.ADDQ(imm(4*cols), src)
		c.ADDQ(imm(4), dstRow)
	})
}
