package gen

import (
	"fmt"
	"strings"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// tierDoc names each tier in the kernels' doc comments.
var tierDoc = map[string]string{"AVX2": "AVX2+FMA", "AVX512": "AVX-512"}

// asmDoc is the doc comment of a kernel's stub: its scalar meaning, shapes
// and register plan on tier m.ISA.
func asmDoc(p *plan.Plan, k *plan.Kernel, m *plan.Impl) []string {
	lanes := m.ISA.Lanes
	lines := []string{fmt.Sprintf("%s is the %s body of %s: %s", m.Asm, tierDoc[m.ISA.Name], k.Public, meaning(p, k))}
	if g := k.Gemm; g != nil {
		lines = append(lines, fmt.Sprintf("Product: %d×%d · %d×%d in %d×%d tiles (%d accumulators), depth unrolled ×%d.",
			g.Rows, g.Depth, g.Depth, g.Cols, m.Tile.MR, m.Tile.NR, m.Tile.MR*m.Tile.NR/lanes, m.Unroll))
		if m.DepthBlock > 0 {
			lines = append(lines, fmt.Sprintf("In panels of %d columns by %d steps of depth (%d KB of the right operand, kept in L2 while the rows stream past).",
				m.ColBlock, m.DepthBlock, 4*m.ColBlock*m.DepthBlock/1024))
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
			if (g.Cols+lanes-1)/lanes <= shortRow {
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
	if k.StreamParams {
		lines = append(lines, fmt.Sprintf("p is written with non-temporal stores, past the caches, when it is aligned to %d bytes; with regular stores when not.", 4*lanes))
	}
	if p.Flush {
		lines = append(lines, "Subnormals are flushed: subnormal inputs read as 0 and subnormal results are written as 0 (MXCSR's DAZ and FTZ, restored on return).")
	}
	return lines
}

// meaning states a kernel's scalar meaning in one line.
func meaning(p *plan.Plan, k *plan.Kernel) string {
	params := fmt.Sprintf(" (all %d parameters)", k.Elements)
	if k.Chunk {
		params = fmt.Sprintf(" (a chunk of %d parameters)", k.Elements)
	}
	switch k.Op {
	case plan.Loss:
		switch p.Model.Loss {
		case spec.CrossEntropy:
			return "L = −(1/B)·Σ target·ln max(y, 2⁻¹²⁶), d = (y − target)/B, with y the softmax output."
		case spec.BinaryCrossEntropy:
			return "L = −(1/(B·N))·Σ target·ln y + (1−target)·ln(1−y) (logs floored at 2⁻¹²⁶), d = (y − target)/(B·N)."
		default:
			return "L = (1/(B·N))·Σ (y − target)², d = 2(y − target)/(B·N)."
		}
	case plan.SGD:
		return "p ← p − lr·(grad + decay·p)" + params + "."
	case plan.Momentum:
		return "g′ = grad + decay·p, v ← mu·v + g′, p ← p − lr·v" + params + "."
	case plan.Nesterov:
		return "g′ = grad + decay·p, v ← mu·v + g′, p ← p − lr·(g′ + mu·v)" + params + "."
	case plan.Adam:
		return "g′ = grad + decay·p, m ← β₁m + (1−β₁)g′, v ← β₂v + (1−β₂)g′², p ← p − lr·c₁m/(√(c₂v) + eps)" + params + "."
	case plan.AdamW:
		return "p ← p·(1 − lr·decay), m ← β₁m + (1−β₁)grad, v ← β₂v + (1−β₂)grad², p ← p − lr·c₁m/(√(c₂v) + eps)" + params + "."
	}
	l := p.Layers[k.Layer-1]
	shape := fmt.Sprintf("B=%d, K=%d, N=%d", p.Model.Batch, l.In, l.Out)
	if k.Half {
		switch k.Op {
		case plan.WeightGrad:
			return fmt.Sprintf("dw = xᵀ·dz over half of the inputs: rows k0 ≤ k < k0 + K/2 of dw (K/2×N), from column k0 of x on (%s).", shape)
		default:
			whole := strings.TrimSuffix(meaning(p, p.Find(k.Op, k.Layer)), ".")
			return fmt.Sprintf("%s, on half of the batch: B/2 = %d rows.", whole, p.Model.Batch/2)
		}
	}
	switch k.Op {
	case plan.PartialForward:
		return fmt.Sprintf("p = x[:, k0:k0+K/2]·w[k0:k0+K/2, :] over half of the inputs, from column k0 of x and row k0 of w on, p B×N (%s).", shape)
	case plan.Combine:
		if plan.PreActivation(l.Activation) {
			return fmt.Sprintf("z = (p0 + p1) + b, y = %s(z), on half of the batch: B/2 = %d rows (%s).", l.Activation, p.Model.Batch/2, shape)
		}
		return fmt.Sprintf("y = %s((p0 + p1) + b), on half of the batch: B/2 = %d rows (%s).", l.Activation, p.Model.Batch/2, shape)
	case plan.BiasGrad:
		return fmt.Sprintf("db = Σ rows of dz (%s).", shape)
	case plan.Forward:
		if plan.PreActivation(l.Activation) {
			return fmt.Sprintf("z = x·w + b, y = %s(z), x B×K, w K×N, z and y B×N (%s).", l.Activation, shape)
		}
		return fmt.Sprintf("y = %s(x·w + b), x B×K, w K×N, y B×N (%s).", l.Activation, shape)
	case plan.ActivationGrad:
		if plan.PreActivation(l.Activation) {
			return fmt.Sprintf("d ← d ⊙ %s′(z), elementwise over B×N (%s).", l.Activation, shape)
		}
		return fmt.Sprintf("d ← d ⊙ %s′(y), elementwise over B×N (%s).", l.Activation, shape)
	case plan.WeightGrad:
		return fmt.Sprintf("dw = xᵀ·dz (K×N), db = Σ rows of dz (%s).", shape)
	case plan.InputGrad:
		return fmt.Sprintf("dx = dz·wᵀ (B×K), with wᵀ packed into wt (%s).", shape)
	}
	return ""
}
