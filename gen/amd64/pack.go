package amd64

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/internal/kerneldoc"
	"github.com/vecgen/vecgen/gen/plan"
)

// packSource is where a packed product's micro-panels of B come from.
type packSource struct {
	// chunkBytes and panelBytes are how far the pointer to B's block
	// moves from one chunk of depth steps to the next and from one
	// micro-panel of Tile.NR columns to the next.
	chunkBytes func(depth int) int
	panelBytes int
	// walk is the order the lines of a micro-panel's chunk of depth steps
	// are read in, for the prefetches of the next micro-panel.
	walk func(depth int) prefetchWalk
	// pack copies the depth×cols block of B at src into dst, one step of
	// depth every stride floats (columns past cols are never read).
	pack func(src, dst reg.Register, depth, cols, stride int)
	doc  func(depth, cols int) string
}

// rowsOf is the packSource of a B that lies row by row, g.BDepth floats
// apart: each step of a micro-panel is a copy of cols floats.
func (a *asmWriter) rowsOf(g *plan.Gemm, nr int, names kerneldoc.Operands) packSource {
	return packSource{
		chunkBytes: func(depth int) int { return 4 * depth * g.BDepth },
		panelBytes: 4 * nr,
		walk: func(depth int) prefetchWalk {
			return prefetchWalk{lines: (4*nr + 63) / 64, step: 4 * g.BDepth, run: depth, jump: 4*nr - depth*4*g.BDepth}
		},
		pack: func(src, dst reg.Register, depth, cols, stride int) {
			a.packRows(src, dst, depth, cols, g.BDepth, stride)
		},
		doc: func(depth, cols int) string { return kerneldoc.PackRows(names, depth, cols) },
	}
}

// transposedOf is the packSource of B = wᵀ for a w of g.Cols rows by
// g.Depth columns (dX = dz·wᵀ): a micro-panel's block of B is a block of
// w's rows, transposed as it is copied, so wᵀ is never written whole.
func (a *asmWriter) transposedOf(g *plan.Gemm, nr int) packSource {
	return packSource{
		chunkBytes: func(depth int) int { return 4 * depth },
		panelBytes: 4 * nr * g.Depth,
		walk: func(depth int) prefetchWalk {
			run := (4*depth + 127) / 128
			return prefetchWalk{lines: 2, step: 128, run: run, jump: 4*g.Depth - 128*run}
		},
		pack: func(src, dst reg.Register, depth, cols, stride int) {
			a.transpose(src, dst, cols, depth, g.Depth, stride)
		},
		doc: func(depth, cols int) string { return kerneldoc.PackTransposed(depth, cols) },
	}
}

// packedGemm emits C = A·B, then the epilogue, on packed operands
// (plan.Impl.PackDepth and PackRows). For each panel of m.PackRows rows
// of A and each chunk of m.PackDepth steps of depth, A's chunk is copied
// into a buffer in the frame (plan.Gemm.PackedA); then for each
// micro-panel of m.Tile.NR columns of C, B's chunk is copied by src.pack
// into a second buffer, NR floats a step, and every block of rows
// computes its tile from the two. The chunks after the first add to C,
// and the last applies the epilogue. A and B read in place take one line
// from each of their rows, often a power of two of bytes apart, so that
// the rows share a few sets of L1 and evict each other; the buffers are
// contiguous, aligned to cache lines, and small enough for L1 (B) and L2
// (A). While a micro-panel's tiles run, their depth loops prefetch the
// next micro-panel's source (src.walk). The outer loops keep their
// pointers and counts in the frame.
func (a *asmWriter) packedGemm(g *plan.Gemm, m *plan.Impl, A, B, C reg.Register, e epilogue, src packSource, names kerneldoc.Operands) {
	c := a.c
	nr, kc, mc := m.Tile.NR, m.PackDepth, m.PackRows
	frame := c.AllocLocal(14 * 8)
	slot := func(i int) operand.Mem { return frame.Offset(8 * i) }
	f := packFrame{
		baseA: slot(0), baseB: slot(1), baseC: slot(2), bias: slot(3),
		chunkA: slot(4), chunkB: slot(5), panelB: slot(6), panelC: slot(7), panelBias: slot(8),
		rowPanelsLeft: slot(9), chunksLeft: slot(10), panelsLeft: slot(11),
		walk: prefetchWalk{at: slot(12), left: slot(13)},
	}
	_, floats := g.PackedA(kc, mc)
	f.abuf = c.AllocLocal(4*floats + 64)
	f.bbuf = c.AllocLocal(4*kc*nr + 64)
	for _, p := range []struct {
		r reg.Register
		m operand.Mem
	}{{A, f.baseA}, {B, f.baseB}, {C, f.baseC}, {e.bias, f.bias}} {
		if p.r != nil {
			c.MOVQ(p.r, p.m)
		}
	}
	rowPanel := func(rows int) {
		sub := *g
		sub.Rows = rows
		r := c.GP64()
		c.MOVQ(f.baseA, r)
		c.MOVQ(r, f.chunkA)
		c.MOVQ(f.baseB, r)
		c.MOVQ(r, f.chunkB)
		chunks := (g.Depth + kc - 1) / kc
		chunk := func(depth int, first, last bool) {
			a.packedChunk(&sub, m, f, e, src, depth, first, last, names)
		}
		if chunks == 1 {
			chunk(g.Depth, true, true)
			return
		}
		c.Comment(kerneldoc.Chunks(names, kc, chunks-1))
		chunk(kc, true, false)
		a.loopIn("chunks", chunks-2, f.chunksLeft, func() { chunk(kc, false, false) })
		chunk(g.Depth-kc*(chunks-1), false, true)
	}
	c.Comment(kerneldoc.MicroPanels(names, nr, kc))
	if mc < g.Rows {
		c.Comment(kerneldoc.RowPanels(names, mc))
	}
	a.loopIn("rowpanels", g.Rows/mc, f.rowPanelsLeft, func() {
		rowPanel(mc)
		c.ADDQ(imm(4*mc*g.ARow), f.baseA)
		c.ADDQ(imm(4*mc*g.CRow), f.baseC)
	})
	if rem := g.Rows % mc; rem > 0 {
		c.Comment(kerneldoc.LastRows(names, rem))
		rowPanel(rem)
	}
}

// packFrame is the frame slots of a packed product: the starts of the
// current panel of rows of A and C (baseA, baseC), of B and of the bias;
// the current chunk's A and B; the current micro-panel's B, C and bias;
// the counts of the outer loops; the prefetch walk's state; and the
// buffers.
type packFrame struct {
	baseA, baseB, baseC, bias             operand.Mem
	chunkA, chunkB                        operand.Mem
	panelB, panelC, panelBias             operand.Mem
	rowPanelsLeft, chunksLeft, panelsLeft operand.Mem
	walk                                  prefetchWalk
	abuf, bbuf                            operand.Mem // the buffers, 64 bytes longer than they need (aligned)
}

// aligned returns a register holding the first address in buf that is a
// multiple of 64.
func (a *asmWriter) aligned(buf operand.Mem) reg.Register {
	c := a.c
	p := c.GP64()
	c.LEAQ(buf, p)
	c.ADDQ(imm(63), p)
	c.ANDQ(operand.I8(-64), p)
	return p
}

// packedChunk emits one chunk of depth steps of a panel of g.Rows rows of
// a packed product (packedGemm): the copy of A's chunk into its buffer,
// then every micro-panel of C's columns, each copying B's chunk into its
// own. Its tiles start from zero when first is set and from
// C otherwise, and apply the epilogue when last is set. It moves the
// chunk's pointers on to the next chunk.
func (a *asmWriter) packedChunk(g *plan.Gemm, m *plan.Impl, f packFrame, e epilogue, src packSource, depth int, first, last bool, names kerneldoc.Operands) {
	c := a.c
	nr := m.Tile.NR
	packed := *g
	packed.BDepth = nr
	stride, _ := g.PackedA(depth, g.Rows)
	c.Comment(kerneldoc.PackA(names, depth, g.Rows))
	s := c.GP64()
	c.MOVQ(f.chunkA, s)
	if g.ADepth == 1 { // a line a row
		packed.ARow = stride
		a.packRows(s, a.aligned(f.abuf), g.Rows, depth, g.ARow, stride)
	} else { // a line a step
		packed.ADepth = stride
		a.packRows(s, a.aligned(f.abuf), depth, g.Rows, g.ADepth, stride)
	}
	r := c.GP64()
	c.MOVQ(f.chunkB, r)
	c.MOVQ(r, f.panelB)
	c.MOVQ(f.baseC, r)
	c.MOVQ(r, f.panelC)
	bias := last && e.bias != nil
	if bias {
		c.MOVQ(f.bias, r)
		c.MOVQ(r, f.panelBias)
	}
	microPanel := func(cols int) {
		c.Comment(src.doc(depth, cols))
		p, s := a.aligned(f.bbuf), c.GP64()
		c.MOVQ(f.panelB, s)
		src.pack(s, p, depth, cols, nr)
		w := src.walk(depth)
		w.at, w.left = f.walk.at, f.walk.left
		a.startWalk(&w, f.panelB, src.panelBytes)
		pa := a.aligned(f.abuf)
		pc := c.GP64()
		c.MOVQ(f.panelC, pc)
		ce := epilogue{}
		if last {
			ce.act, ce.sgd = e.act, e.sgd
			if e.bias != nil {
				ce.bias = c.GP64()
				c.MOVQ(f.panelBias, ce.bias)
			}
		}
		a.panelPrefetching(&packed, m, pa, p, pc, ce, cols, depth, !first, &w, names)
	}
	a.loopIn("panels", g.Cols/nr, f.panelsLeft, func() {
		microPanel(nr)
		r := c.GP64()
		c.MOVQ(f.panelB, r)
		c.ADDQ(imm(src.panelBytes), r)
		c.MOVQ(r, f.panelB)
		c.ADDQ(imm(4*nr), f.panelC)
		if bias {
			c.ADDQ(imm(4*nr), f.panelBias)
		}
	})
	if rem := g.Cols % nr; rem > 0 {
		c.Comment(kerneldoc.LastColumns(names, rem))
		microPanel(rem)
	}
	c.ADDQ(imm(4*depth*g.ADepth), f.chunkA)
	c.ADDQ(imm(src.chunkBytes(depth)), f.chunkB)
}

// packRows copies lines lines of cols floats from src (lines srcStride
// floats apart) to dst (dstStride apart); the last vector of a line is
// partial when cols is not a multiple of the lanes, and is stored whole
// with its lanes past cols zeroed (dstStride leaves room for it). Lines of
// up to 4 vectors are copied 4 lines an iteration; longer ones a line an
// iteration, 4 vectors at a time.
func (a *asmWriter) packRows(src, dst reg.Register, lines, cols, srcStride, dstStride int) {
	c := a.c
	lanes := a.lanes()
	vecs := (cols + lanes - 1) / lanes
	last := cols - lanes*(vecs-1)
	if a.wide() && last < lanes {
		a.firstLanes(last)
	}
	s, d := c.GP64(), c.GP64()
	c.MOVQ(src, s)
	c.MOVQ(dst, d)
	move := func(s, d reg.Register, from, to, lanes int) {
		t := a.vec()
		a.load(at(s, 4*from), lanes, t)
		c.VMOVUPS(t, at(d, 4*to))
	}
	const unroll = 4
	if vecs <= unroll {
		line := func(i int) {
			for v := range vecs {
				move(s, d, i*srcStride+v*lanes, i*dstStride+v*lanes, lanesOf(vecs, last, lanes, v))
			}
		}
		a.loop("pack", lines/unroll, func() {
			for i := range unroll {
				line(i)
			}
			c.ADDQ(imm(4*unroll*srcStride), s)
			c.ADDQ(imm(4*unroll*dstStride), d)
		})
		for i := range lines % unroll {
			line(i)
		}
		return
	}
	a.loop("packlines", lines, func() {
		ls, ld := c.GP64(), c.GP64()
		c.MOVQ(s, ls)
		c.MOVQ(d, ld)
		whole := cols / lanes
		a.loop("packvecs", whole/unroll, func() {
			for v := range unroll {
				move(ls, ld, v*lanes, v*lanes, lanes)
			}
			c.ADDQ(imm(4*unroll*lanes), ls)
			c.ADDQ(imm(4*unroll*lanes), ld)
		})
		for v := range whole % unroll {
			move(ls, ld, v*lanes, v*lanes, lanes)
		}
		if rem := cols % lanes; rem > 0 {
			move(ls, ld, whole%unroll*lanes, whole%unroll*lanes, rem)
		}
		c.ADDQ(imm(4*srcStride), s)
		c.ADDQ(imm(4*dstStride), d)
	})
}

// prefetchWalk walks the lines of the next micro-panel's source while the
// tiles of this one run, so that its pack finds them in cache: each step
// prefetches lines lines from the address at holds, then moves it step
// bytes, and every run steps jump bytes more. A pack that waits for each
// line of B from memory costs an eighth of a wide product; spread over the
// tiles' depth loops, a step every 4 steps of depth, the prefetches keep a
// few lines in flight at a time.
type prefetchWalk struct {
	at, left               operand.Mem // the address and the steps left in this run, in the frame
	lines, step, run, jump int
}

// startWalk points w at the source of the micro-panel after the one at
// panel (next bytes further).
func (a *asmWriter) startWalk(w *prefetchWalk, panel operand.Mem, next int) {
	c := a.c
	r := c.GP64()
	c.MOVQ(panel, r)
	c.ADDQ(imm(next), r)
	c.MOVQ(r, w.at)
	c.MOVQ(operand.U32(uint32(w.run)), w.left)
}

// prefetchStep emits one step of w.
func (a *asmWriter) prefetchStep(w *prefetchWalk) {
	c := a.c
	r := c.GP64()
	c.MOVQ(w.at, r)
	for l := range w.lines {
		c.PREFETCHT0(at(r, 64*l))
	}
	c.ADDQ(simm(w.step), w.at)
	a.labels++
	same := fmt.Sprintf("samerun%d", a.labels)
	c.DECQ(w.left)
	c.JNZ(operand.LabelRef(same))
	c.ADDQ(simm(w.jump), w.at)
	c.MOVQ(operand.U32(uint32(w.run)), w.left)
	c.Label(same)
}

// simm is a signed 32-bit immediate.
func simm(n int) operand.Constant { return operand.I32(int32(n)) }
