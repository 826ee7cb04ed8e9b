// Package kerneldoc states what each kernel of a plan computes, in the
// words every backend's doc comments and the Go API share.
package kerneldoc

import (
	"fmt"
	"strings"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// Meaning states a kernel's scalar meaning in one line.
func Meaning(p *plan.Plan, k *plan.Kernel) string {
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
	if k.FusedSGD {
		return fusedSGDMeaning(p, k)
	}
	if k.Rows > 0 {
		whole := strings.TrimSuffix(Meaning(p, p.Find(k.Op, k.Layer)), ".")
		return fmt.Sprintf("%s, on %d rows for serving, bit for bit the rows %s writes.", whole, k.Rows, p.Find(k.Op, k.Layer).Public)
	}
	if k.Half {
		switch k.Op {
		case plan.WeightGrad:
			return fmt.Sprintf("dw = xᵀ·dz over half of the inputs: rows k0 ≤ k < k0 + K/2 of dw (K/2×N), from column k0 of x on (%s).", shape)
		default:
			whole := strings.TrimSuffix(Meaning(p, p.Find(k.Op, k.Layer)), ".")
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

// fusedSGDMeaning states what a FusedSGD twin computes: its gradient, as
// its twin does, and SGD's step with it in place of writing it.
func fusedSGDMeaning(p *plan.Plan, k *plan.Kernel) string {
	twin := *k
	twin.FusedSGD = false
	grad := strings.TrimSuffix(Meaning(p, &twin), ".")
	_, step := SteppedParams(k)
	return fmt.Sprintf("%s, then SGD's step with it in place of writing it: %s.", grad, step)
}

// SteppedParams names the parameters a FusedSGD twin takes SGD's step on,
// and states the step.
func SteppedParams(k *plan.Kernel) (params, step string) {
	switch {
	case k.Op == plan.BiasGrad:
		return "b", "b ← b − lr·(db + decay·b)"
	case k.Half:
		return "those rows of w", "w ← w − lr·(dw + decay·w) on those rows"
	}
	return "w and b", "w ← w − lr·(dw + decay·w), b ← b − lr·(db + decay·b)"
}
