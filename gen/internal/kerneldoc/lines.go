package kerneldoc

import (
	"fmt"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// tierDoc names each tier in the kernels' doc comments, and flushModes
// the control bits that flush subnormals on each architecture.
var flushModes = map[string]string{"amd64": "MXCSR's DAZ and FTZ", "arm64": "FPCR's FZ"}

// tierDoc names each tier in the kernels' doc comments.
var tierDoc = map[string]string{"AVX2": "AVX2+FMA", "AVX512": "AVX-512", "NEON": "NEON"}

// Lines is the doc comment of a kernel's assembly and stub: its scalar meaning, shapes
// and register plan on tier m.ISA.
func Lines(p *plan.Plan, k *plan.Kernel, m *plan.Impl) []string {
	lanes := m.ISA.Lanes
	lines := []string{fmt.Sprintf("%s is the %s body of %s: %s", m.Asm, tierDoc[m.ISA.Name], k.Public, Meaning(p, k))}
	if g := k.Gemm; g != nil {
		lines = append(lines, fmt.Sprintf("Product: %d×%d · %d×%d in %d×%d tiles (%d accumulators), depth unrolled ×%d.",
			g.Rows, g.Depth, g.Depth, g.Cols, m.Tile.MR, m.Tile.NR, m.Tile.MR*m.Tile.NR/lanes, m.Unroll))
		if m.ISA == plan.NEON && m.Tile.MR > 1 {
			if g.DepthLanes() {
				lines = append(lines, "A is read along its depth, 4 steps to a register: FMLA by element multiplies step s's vectors of B by lane s.")
			} else {
				lines = append(lines, "A is read along its rows, 4 rows to a register: FMLA by element multiplies each vector of B by lane i for row 4q+i.")
			}
		}
		if m.DepthBlock > 0 {
			lines = append(lines, fmt.Sprintf("In panels of %d columns by %d steps of depth (%d KB of the right operand, kept in L2 while the rows stream past).",
				m.ColBlock, m.DepthBlock, 4*m.ColBlock*m.DepthBlock/1024))
		}
		if m.PackDepth > 0 {
			lines = append(lines, fmt.Sprintf("Both operands are packed, %d steps of depth at a time: the right %d columns at a time (%d KB, in L1 while every block of rows reads it), the left %d rows at a time.",
				m.PackDepth, m.Tile.NR, 4*m.Tile.NR*m.PackDepth/1024, m.PackRows))
		}
		if m.Tile.MR == 1 {
			lines = append(lines, "One row makes it a matrix-vector product: each element of the right operand is used once,",
				"so it is streamed once into the FMAs, across enough accumulators to hide their latency.")
			if rem := g.Cols % m.Tile.NR; rem > 0 {
				vecs := (rem + lanes - 1) / lanes
				if ch := m.Chains(vecs); ch > 1 {
					lines = append(lines, fmt.Sprintf("The last %d columns split the depth over %d sets of %d accumulators, summed at the end.", rem, ch, vecs))
				}
			}
		}
		if k.Op == plan.Forward && k.Activation == spec.Softmax {
			if (g.Cols+lanes-1)/lanes <= m.ISA.SoftmaxRow {
				lines = append(lines, "Softmax loads each row once and keeps it in registers.")
			} else {
				lines = append(lines, "Softmax takes three passes over each row: maximum, exp and sum, scale.")
			}
		}
		switch {
		case m.PanelTranspose:
			nr := min(m.Tile.NR, g.Cols)
			size := fmt.Sprintf("%d bytes", 4*g.Depth*nr)
			if 4*g.Depth*nr >= 1024 {
				size = fmt.Sprintf("%d KB", 4*g.Depth*nr/1024)
			}
			line := fmt.Sprintf("w is transposed %d rows at a time into a %d×%d panel (%s) at wt's start, and every row of dz meets it", nr, g.Depth, nr, size)
			if rem := g.Cols % nr; g.Cols > nr && rem > 0 {
				line += fmt.Sprintf(", then the next %d rows; the last %d rows make a narrower panel.", nr, rem)
			} else if g.Cols > nr {
				line += fmt.Sprintf(", then the next %d rows.", nr)
			} else {
				line += "."
			}
			lines = append(lines, line)
		case k.Op == plan.InputGrad:
			lines = append(lines, "w is transposed into wt first, in register blocks, so the product reads it along rows.")
		}
	}
	if k.StreamParams && m.ISA.StreamStores {
		lines = append(lines, fmt.Sprintf("p is written with non-temporal stores, past the caches, when it is aligned to %d bytes; with regular stores when not.", 4*lanes))
	}
	if p.Flush {
		lines = append(lines, "Subnormals are flushed: subnormal inputs read as 0 and subnormal results are written as 0 ("+flushModes[m.ISA.Arch]+", restored on return).")
	}
	return lines
}
