package arm64

import (
	"github.com/vecgen/vecgen/gen/internal/kerneldoc"
	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// epilogue is what a product does to each tile of C in registers before
// storing it: add the bias (when hasBias), then apply act (identity, relu
// or leaky_relu; the other activations take a second pass over C).
type epilogue struct {
	bias    greg
	hasBias bool
	act     spec.Activation
	sgd     bool // for a FusedSGD kernel: SGD's step with the tile instead
}

// gemm emits C = A·B, then the epilogue, over the whole product. A
// product whose B exceeds its tier's block budget is computed in panels
// (m.ColBlock columns by m.DepthBlock steps of depth, which stay in L2
// while every block of rows streams past them), each panel's sums added
// to C and the epilogue applied with the last chunk of depth. A, B, C and
// the bias still point at the arrays' starts afterwards.
func (k *kernelWriter) gemm(g *plan.Gemm, m *plan.Impl, A, B, C greg, e epilogue, names kerneldoc.Operands) {
	k.note(kerneldoc.Product(names, g, m.Tile))
	if m.DepthBlock == 0 {
		k.panel(g, m, A, B, C, e, g.Cols, g.Depth, false, names)
		return
	}
	kc, nc := m.DepthBlock, m.ColBlock
	chunks := (g.Depth + kc - 1) / kc
	end := k.scope()
	colB, colC := k.copyGP(B), k.copyGP(C)
	var colBias greg
	if e.hasBias {
		colBias = k.copyGP(e.bias)
	}
	columns := func(cols int) {
		endColumns := k.scope()
		chunkA, chunkB := k.copyGP(A), k.copyGP(colB)
		chunk := func(depth int, first, last bool) {
			ce := epilogue{}
			if last {
				ce = epilogue{bias: colBias, hasBias: e.hasBias, act: e.act, sgd: e.sgd}
			}
			k.panel(g, m, chunkA, chunkB, colC, ce, cols, depth, !first, names)
			k.addImm(chunkA, 4*depth*g.ADepth)
			k.addImm(chunkB, 4*depth*g.BDepth)
		}
		if chunks == 1 {
			chunk(g.Depth, true, true)
		} else {
			k.note(kerneldoc.Chunks(names, kc, chunks-1))
			chunk(kc, true, false)
			k.loop("chunks", chunks-2, func() { chunk(kc, false, false) })
			chunk(g.Depth-kc*(chunks-1), false, true)
		}
		endColumns()
	}
	k.note(kerneldoc.Panels(names, nc, kc))
	k.loop("panels", g.Cols/nc, func() {
		columns(nc)
		k.addImm(colB, 4*nc)
		k.addImm(colC, 4*nc)
		if e.hasBias {
			k.addImm(colBias, 4*nc)
		}
	})
	if rem := g.Cols % nc; rem > 0 {
		k.note(kerneldoc.LastColumns(names, rem))
		columns(rem)
	}
	end()
}

// panel emits C = A·B (C += A·B when accumulate is set), then the
// epilogue, over cols columns and depth steps of the product, in tiles of
// m.Tile: rows of C in blocks of MR, columns in blocks of NR, and the
// remainders as smaller tiles, the last vector of a row partial.
func (k *kernelWriter) panel(g *plan.Gemm, m *plan.Impl, A, B, C greg, e epilogue, cols, depth int, accumulate bool, names kerneldoc.Operands) {
	end := k.scope()
	rowA, rowC := k.copyGP(A), k.copyGP(C)
	mr, nr := m.Tile.MR, m.Tile.NR
	t := tileShape{depth: depth, accumulate: accumulate}
	rowBlock := func(rows int) {
		endBlock := k.scope()
		colB, colC := k.copyGP(B), k.copyGP(rowC)
		col := epilogue{act: e.act, hasBias: e.hasBias, sgd: e.sgd}
		if e.hasBias {
			col.bias = k.copyGP(e.bias)
		}
		t.rows = rows
		if cols/nr > 0 {
			k.note(kerneldoc.RowBlock(names, rows, nr))
		}
		k.loop("cols", cols/nr, func() {
			t.vecs, t.lastLanes = nr/lanes, lanes
			k.tile(g, m, t, rowA, colB, colC, col, names)
			k.addImm(colB, 4*nr)
			k.addImm(colC, 4*nr)
			if col.hasBias {
				k.addImm(col.bias, 4*nr)
			}
		})
		if rem := cols % nr; rem > 0 {
			t.vecs = (rem + lanes - 1) / lanes
			t.lastLanes = rem - lanes*(t.vecs-1)
			k.note(kerneldoc.RowBlockTail(names, rows, rem))
			k.tile(g, m, t, rowA, colB, colC, col, names)
		}
		endBlock()
	}
	k.loop("rows", g.Rows/mr, func() {
		rowBlock(mr)
		k.addImm(rowA, 4*mr*g.ARow)
		k.addImm(rowC, 4*mr*g.CRow)
	})
	if rem := g.Rows % mr; rem > 0 {
		rowBlock(rem)
	}
	end()
}

// tileShape is one call of the micro-kernel: rows×vecs accumulator
// vectors, the last holding lastLanes columns, over depth steps, starting
// from C's values when accumulate is set (a later chunk of depth) and
// from zero otherwise.
type tileShape struct {
	rows, vecs, lastLanes, depth int
	accumulate                   bool
}

// lanesOf is the number of columns vector v of the tile holds.
func (t tileShape) lanesOf(v int) int {
	if v == t.vecs-1 {
		return t.lastLanes
	}
	return lanes
}

// tile is the micro-kernel: t.rows×t.vecs accumulators over t.depth, then
// the epilogue in registers and the store. Each depth step loads a row of
// B's columns in pairs and adds it, times a lane of A, into every row's
// accumulators with FMLA by element.
func (k *kernelWriter) tile(g *plan.Gemm, m *plan.Impl, t tileShape, A, B, C greg, e epilogue, names kerneldoc.Operands) {
	end := k.scope()
	chains := m.Chains(t.vecs)
	accs := make([][][]vreg, chains) // [chain][row][vector]
	for ch := range accs {
		accs[ch] = make([][]vreg, t.rows)
		for r := range accs[ch] {
			accs[ch][r] = k.vecs(t.vecs)
		}
	}
	k.startAccumulators(accs, t, C, g.CRow, names)
	ap, bp := k.copyGP(A), k.copyGP(B)
	bStride := k.gp()
	k.op("MOVD $%d, %s", 4*g.BDepth, bStride)
	if g.DepthLanes() {
		k.depthLaneSteps(g, t, accs, ap, bp, bStride, names)
	} else {
		k.rowLaneSteps(g, t, accs[0], ap, bp, bStride, names)
	}
	if chains > 1 {
		k.note(kerneldoc.SumChains(chains))
	}
	for n := chains; n > 1; n = (n + 1) / 2 {
		half := (n + 1) / 2
		for ch := half; ch < n; ch++ {
			for r := range t.rows {
				for v := range t.vecs {
					k.fadd(accs[ch-half][r][v], accs[ch-half][r][v], accs[ch][r][v])
				}
			}
		}
	}
	if e.sgd {
		if t.accumulate {
			panic("arm64: a FusedSGD product in chunks of depth would add into its parameters")
		}
		k.note(kerneldoc.StepSGD(names.C, "w"))
		k.stepTile(accs[0], t, C, g.CRow)
	} else {
		k.storeTile(accs[0], t, C, g.CRow, e, names)
	}
	end()
}

// startAccumulators zeroes the accumulators, or for a later chunk of
// depth loads the first set from C.
func (k *kernelWriter) startAccumulators(accs [][][]vreg, t tileShape, C greg, cRow int, names kerneldoc.Operands) {
	if !t.accumulate {
		for _, set := range accs {
			for _, row := range set {
				for _, a := range row {
					k.zero(a)
				}
			}
		}
		return
	}
	k.note(kerneldoc.Accumulate(names))
	for r, row := range accs[0] {
		end := k.scope()
		p := k.pointer(C, 4*r*cRow)
		for v, a := range row {
			k.load(at(p, 16*v), t.lanesOf(v), a)
		}
		end()
	}
	for _, set := range accs[1:] {
		for _, row := range set {
			for _, a := range row {
				k.zero(a)
			}
		}
	}
}

// loadRowOfB loads the t.vecs vectors of B's row at bp into b (two
// registers, reused vector by vector) and calls use(v, reg) for each: in
// pairs with LDP, the last one partial.
func (k *kernelWriter) loadRowOfB(t tileShape, bp greg, b []vreg, use func(v int, r vreg)) {
	for v := 0; v < t.vecs; v += 2 {
		if v+1 < t.vecs && t.lanesOf(v+1) == lanes {
			k.loadPair(at(bp, 16*v), b[0], b[1])
			use(v, b[0])
			use(v+1, b[1])
			continue
		}
		k.load(at(bp, 16*v), t.lanesOf(v), b[0])
		use(v, b[0])
		if v+1 < t.vecs {
			k.load(at(bp, 16*(v+1)), t.lanesOf(v+1), b[1])
			use(v+1, b[1])
		}
	}
}

// depthLaneSteps emits the depth loop of a tile whose A runs along the
// depth (g.ADepth 1): for every 4 steps, one vector of each row of A,
// whose lane s is that row's factor at step s. Step s adds into
// accumulator set s mod chains.
func (k *kernelWriter) depthLaneSteps(g *plan.Gemm, t tileShape, accs [][][]vreg, ap, bp, bStride greg, names kerneldoc.Operands) {
	end := k.scope()
	a, b := k.vecs(t.rows), k.vecs(2)
	group := func(steps int) {
		for r := range t.rows {
			k.load(at(ap, 4*r*g.ARow), steps, a[r])
		}
		for s := range steps {
			set := accs[s%len(accs)]
			k.loadRowOfB(t, bp, b, func(v int, bv vreg) {
				for r := range t.rows {
					k.fmlaLane(set[r][v], bv, a[r], s)
				}
			})
			k.op("ADD %s, %s, %s", bStride, bp, bp)
		}
	}
	if n := t.depth / lanes; n > 0 {
		k.comment("Depth in steps of 4: a vector of each of %d rows of %s, times 4 rows of %s.", t.rows, names.A, names.B)
		k.loop("depth", n, func() {
			group(lanes)
			k.addImm(ap, 16)
		})
	}
	if rem := t.depth % lanes; rem > 0 {
		k.note(kerneldoc.DepthTail(rem))
		group(rem)
	}
	end()
}

// rowLaneSteps emits the depth loop of a tile whose A runs along its rows
// (g.ARow 1): every step loads the rows' factors 4 rows to a vector, lane
// i of vector q being row 4q+i.
func (k *kernelWriter) rowLaneSteps(g *plan.Gemm, t tileShape, acc [][]vreg, ap, bp, bStride greg, names kerneldoc.Operands) {
	end := k.scope()
	groups := (t.rows + lanes - 1) / lanes
	a, b := k.vecs(groups), k.vecs(2)
	aStride := k.gp()
	k.op("MOVD $%d, %s", 4*g.ADepth, aStride)
	step := func() {
		for q := 0; q < groups; q++ {
			n := min(lanes, t.rows-lanes*q)
			if n == lanes && q+1 < groups && t.rows-lanes*(q+1) >= lanes {
				k.loadPair(at(ap, 16*q), a[q], a[q+1])
				q++
				continue
			}
			k.load(at(ap, 16*q), n, a[q])
		}
		k.loadRowOfB(t, bp, b, func(v int, bv vreg) {
			for r := range t.rows {
				k.fmlaLane(acc[r][v], bv, a[r/lanes], r%lanes)
			}
		})
		k.op("ADD %s, %s, %s", aStride, ap, ap)
		k.op("ADD %s, %s, %s", bStride, bp, bp)
	}
	const unroll = 4
	if n := t.depth / unroll; n > 0 {
		k.comment("Depth, 4 steps an iteration: %d rows of %s 4 to a vector, times a row of %s.", t.rows, names.A, names.B)
		k.loop("depth", n, func() {
			for range unroll {
				step()
			}
		})
	}
	if rem := t.depth % unroll; rem > 0 {
		k.note(kerneldoc.DepthTail(rem))
		for range rem {
			step()
		}
	}
	end()
}

// storeTile applies the epilogue to the accumulators acc[row][vector] and
// stores them at C (rows cRow floats apart).
func (k *kernelWriter) storeTile(acc [][]vreg, t tileShape, C greg, cRow int, e epilogue, names kerneldoc.Operands) {
	end := k.scope()
	zero, slope := k.fusedActivationOperands(e.act)
	k.note(kerneldoc.Store(names, e.hasBias, e.act))
	bv := k.vec()
	for r, row := range acc {
		endRow := k.scope()
		p := k.pointer(C, 4*r*cRow)
		for v, z := range row {
			if e.hasBias {
				k.load(at(e.bias, 16*v), t.lanesOf(v), bv)
				k.fadd(z, z, bv)
			}
			k.fusedActivation(e.act, z, zero, slope)
		}
		k.storeRow(row, t, p)
		endRow()
	}
	end()
}

// storeRow stores a row of accumulators at p: in pairs with STP, the last
// vector partial.
func (k *kernelWriter) storeRow(row []vreg, t tileShape, p greg) {
	for v := 0; v < len(row); v += 2 {
		if v+1 < len(row) && t.lanesOf(v+1) == lanes {
			k.storePair(row[v], row[v+1], at(p, 16*v))
			continue
		}
		k.store(row[v], t.lanesOf(v), at(p, 16*v))
		if v+1 < len(row) {
			k.store(row[v+1], t.lanesOf(v+1), at(p, 16*(v+1)))
		}
	}
}

// fusedActivationOperands returns what fusedActivation needs for act: 0
// for relu, the slope for leaky_relu.
func (k *kernelWriter) fusedActivationOperands(act spec.Activation) (zero, slope vreg) {
	switch act {
	case spec.ReLU:
		return k.constantF("zero", 0), 0
	case spec.LeakyReLU:
		return 0, k.constantF("leakyslope", 0.01)
	}
	return 0, 0
}

// fusedActivation applies relu or leaky_relu to z in place (the
// activations a product's store fuses; the others leave z alone). FMAX
// returns NaN when either operand is NaN, so a NaN z is kept.
func (k *kernelWriter) fusedActivation(act spec.Activation, z, zero, slope vreg) {
	switch act {
	case spec.ReLU:
		k.fmax(z, z, zero)
	case spec.LeakyReLU:
		end := k.scope()
		s := k.vec()
		k.fmul(s, z, slope)
		k.fmax(z, z, s) // max(z, 0.01·z)
		end()
	}
}

// transpose writes the cols×rows matrix t = mᵀ of the rows×cols matrix m:
// 4×4 blocks in registers, then the rows and columns past the last whole
// block one element at a time.
func (k *kernelWriter) transpose(m, t greg, rows, cols int) {
	blockRows, blockCols := rows/lanes*lanes, cols/lanes*lanes
	k.transposeBlocks(m, t, rows, cols, blockRows, blockCols)
	k.transposeScalar(m, t, rows, cols, 0, blockRows, blockCols)
	k.transposeScalar(m, t, rows, cols, blockRows, rows, 0)
}

// transposeBlocks transposes rows [0, blockRows) and columns [0,
// blockCols) of m (multiples of 4) in 4×4 blocks: TRN1 and TRN2 of pairs of
// rows interleave their floats, then of pairs of pairs (as 64-bit lanes)
// their pairs, 8 permutes for 16 elements.
func (k *kernelWriter) transposeBlocks(m, t greg, rows, cols, blockRows, blockCols int) {
	if blockRows == 0 || blockCols == 0 {
		return
	}
	end := k.scope()
	src, dst := k.copyGP(m), k.copyGP(t)
	k.loop("tblockrows", blockRows/lanes, func() {
		endRow := k.scope()
		s, d := k.copyGP(src), k.copyGP(dst)
		k.loop("tblocks", blockCols/lanes, func() {
			k.transposeBlock(s, d, cols, rows)
			k.addImm(s, 16)
			k.addImm(d, 16*rows)
		})
		k.addImm(src, 16*cols)
		k.addImm(dst, 16)
		endRow()
	})
	end()
}

// transposeBlock transposes the 4×4 block at s (row stride srcStride
// floats) into d (row stride dstStride).
func (k *kernelWriter) transposeBlock(s, d greg, srcStride, dstStride int) {
	end := k.scope()
	r, u := k.vecs(4), k.vecs(4)
	for i := range r {
		k.load(at(s, 4*i*srcStride), lanes, r[i])
	}
	k.op("VTRN1 %s, %s, %s", r[1].s4(), r[0].s4(), u[0].s4()) // a0 b0 a2 b2
	k.op("VTRN2 %s, %s, %s", r[1].s4(), r[0].s4(), u[1].s4()) // a1 b1 a3 b3
	k.op("VTRN1 %s, %s, %s", r[3].s4(), r[2].s4(), u[2].s4()) // c0 d0 c2 d2
	k.op("VTRN2 %s, %s, %s", r[3].s4(), r[2].s4(), u[3].s4()) // c1 d1 c3 d3
	k.op("VTRN1 V%d.D2, V%d.D2, V%d.D2", u[2], u[0], r[0])    // a0 b0 c0 d0
	k.op("VTRN1 V%d.D2, V%d.D2, V%d.D2", u[3], u[1], r[1])    // a1 b1 c1 d1
	k.op("VTRN2 V%d.D2, V%d.D2, V%d.D2", u[2], u[0], r[2])    // a2 b2 c2 d2
	k.op("VTRN2 V%d.D2, V%d.D2, V%d.D2", u[3], u[1], r[3])    // a3 b3 c3 d3
	for j := range r {
		k.store(r[j], lanes, at(d, 4*j*dstStride))
	}
	end()
}

// transposeScalar copies m[i][j] to t[j][i] for rows i in [fromRow, toRow)
// and columns j in [fromCol, cols), one element at a time.
func (k *kernelWriter) transposeScalar(m, t greg, rows, cols, fromRow, toRow, fromCol int) {
	if fromRow >= toRow || fromCol >= cols {
		return
	}
	end := k.scope()
	src, dstRow := k.pointer(m, 4*(fromRow*cols+fromCol)), k.pointer(t, 4*(fromCol*rows+fromRow))
	k.loop("trows", toRow-fromRow, func() {
		endRow := k.scope()
		s, dst, x := k.copyGP(src), k.copyGP(dstRow), k.gp()
		k.loop("tcols", cols-fromCol, func() {
			k.op("MOVWU (%s), %s", s, x)
			k.op("MOVW %s, (%s)", x, dst)
			k.addImm(s, 4)
			k.addImm(dst, 4*rows)
		})
		k.addImm(src, 4*cols)
		k.addImm(dstRow, 4)
		endRow()
	})
	end()
}

// panelInputGrad emits dX = dZ·Wᵀ one panel of m.Tile.NR columns of dX at
// a time (plan.Impl.PanelTranspose): rows [p·NR, (p+1)·NR) of W,
// transposed into a Depth×NR panel at wt's start (in L1 while it is used,
// when it fits), then the product of all of dZ's rows with that panel.
func (k *kernelWriter) panelInputGrad(g *plan.Gemm, m *plan.Impl, dz, w, wt, dx greg) {
	nr := min(m.Tile.NR, g.Cols)
	end := k.scope()
	wp, dxp := k.copyGP(w), k.copyGP(dx)
	names := kerneldoc.Operands{A: "dz", B: "wᵀ", C: "dx"}
	panel := func(cols int) {
		k.note(kerneldoc.InputGradPanel(g, cols))
		k.transpose(wp, wt, cols, g.Depth)
		packed := *g
		packed.BDepth = cols
		k.panel(&packed, m, dz, wt, dxp, epilogue{}, cols, g.Depth, false, names)
	}
	k.note(kerneldoc.PanelInputGrad(g, nr))
	k.loop("dxpanels", g.Cols/nr, func() {
		panel(nr)
		k.addImm(wp, 4*nr*g.Depth)
		k.addImm(dxp, 4*nr)
	})
	if rem := g.Cols % nr; rem > 0 {
		panel(rem)
	}
	end()
}
