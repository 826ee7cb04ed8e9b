package arm64

import (
	"github.com/vecgen/vecgen/gen/internal/kerneldoc"
	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// optimizer emits one update rule over the kernel's parameters (see
// scalar.SGD, scalar.Momentum and scalar.Adam for the math), with the same
// operations in the same order as the x86 tiers. The scalar
// hyperparameters are broadcast once, before the loop. The optimizer's
// state (velocity, moments) is stored with subnormals flushed to zero, as
// the reference's flushSubnormal says why. NEON writes p with regular
// stores (plan.NEON.StreamStores).
func (k *kernelWriter) optimizer(kn *plan.Kernel) {
	k.note(kerneldoc.Optimizer(kn))
	switch kn.Op {
	case plan.SGD:
		lr, decay := k.scalar("lr"), k.scalar("decay")
		k.elementwise(kn.Elements, []greg{k.param("p"), k.param("grad")}, func(vec func(int) mem, n int) {
			pv, gv := k.vec(), k.vec()
			k.load(vec(0), n, pv)
			k.load(vec(1), n, gv)
			k.sgdUpdate(pv, gv, lr, decay)
			k.store(pv, n, vec(0))
		})
	case plan.Momentum, plan.Nesterov:
		lr, decay, mu := k.scalar("lr"), k.scalar("decay"), k.scalar("mu")
		ptrs := []greg{k.param("p"), k.param("grad"), k.param("v")}
		k.elementwise(kn.Elements, ptrs, func(vec func(int) mem, n int) {
			pv, gv, vv, t := k.vec(), k.vec(), k.vec(), k.vec()
			k.load(vec(0), n, pv)
			k.load(vec(1), n, gv)
			k.load(vec(2), n, vv)
			k.op("VFMLA %s, %s, %s", decay.s4(), pv.s4(), gv.s4()) // g′ = grad + decay·p
			k.mov(t, gv)
			k.op("VFMLA %s, %s, %s", mu.s4(), vv.s4(), t.s4()) // v ← mu·v + g′
			k.flushSubnormal(t)
			k.store(t, n, vec(2))
			step := t
			if kn.Op == plan.Nesterov {
				k.op("VFMLA %s, %s, %s", mu.s4(), t.s4(), gv.s4()) // g′ + mu·v
				step = gv
			}
			k.op("VFMLS %s, %s, %s", lr.s4(), step.s4(), pv.s4()) // p ← p − lr·step
			k.store(pv, n, vec(0))
		})
	default: // Adam, AdamW
		lr, decay := k.scalar("lr"), k.scalar("decay")
		b1, b2, eps := k.scalar("beta1"), k.scalar("beta2"), k.scalar("eps")
		c1, c2 := k.scalar("c1"), k.scalar("c2")
		one := k.constantF("one", 1)
		ob1, ob2 := k.vec(), k.vec()
		k.fsub(ob1, one, b1) // 1 − β₁
		k.fsub(ob2, one, b2) // 1 − β₂
		k.fmul(c1, c1, lr)   // lr·c₁
		if kn.Op == plan.AdamW {
			t := k.vec()
			k.mov(t, one)
			k.op("VFMLS %s, %s, %s", decay.s4(), lr.s4(), t.s4()) // 1 − lr·decay, the factor on p
			decay = t
		}
		ptrs := []greg{k.param("p"), k.param("grad"), k.param("m"), k.param("v")}
		k.elementwise(kn.Elements, ptrs, func(vec func(int) mem, n int) {
			pv, gv, mv, vv := k.vec(), k.vec(), k.vec(), k.vec()
			k.load(vec(0), n, pv)
			k.load(vec(1), n, gv)
			k.load(vec(2), n, mv)
			k.load(vec(3), n, vv)
			if kn.Op == plan.AdamW {
				k.fmul(pv, pv, decay) // p ← p·(1 − lr·decay)
			} else {
				k.op("VFMLA %s, %s, %s", decay.s4(), pv.s4(), gv.s4()) // g′ = grad + decay·p
			}
			k.fmul(mv, mv, b1)
			k.op("VFMLA %s, %s, %s", ob1.s4(), gv.s4(), mv.s4()) // m ← β₁m + (1−β₁)g′
			k.fmul(gv, gv, gv)
			k.fmul(vv, vv, b2)
			k.op("VFMLA %s, %s, %s", ob2.s4(), gv.s4(), vv.s4()) // v ← β₂v + (1−β₂)g′²
			k.flushSubnormal(mv)
			k.flushSubnormal(vv)
			k.store(mv, n, vec(2))
			k.store(vv, n, vec(3))
			den := gv
			k.fmul(den, vv, c2)
			k.fsqrt(den, den)
			k.fadd(den, den, eps) // √(v·c₂) + ε
			num := vv
			k.fmul(num, mv, c1) // lr·c₁·m
			k.fdiv(num, num, den)
			k.fsub(pv, pv, num)
			k.store(pv, n, vec(0))
		})
	}
}

// loss emits the model's loss: the gradient is stored elementwise and the
// loss terms are accumulated in one vector, summed across lanes at the end.
func (k *kernelWriter) loss(kn *plan.Kernel) {
	p := k.plan
	n := kn.Elements
	scale := 1 / float64(n) // mean over all elements (mse, binary cross-entropy)
	if p.Model.Loss == spec.CrossEntropy {
		scale = 1 / float64(p.Model.Batch) // mean over samples
	}
	acc := k.vec()
	k.zero(acc)
	y, t, d := k.param("y"), k.param("target"), k.param("d")
	k.note(kerneldoc.Loss)
	k.elementwise(n, []greg{y, t, d}, func(vec func(int) mem, lanes int) {
		yv, tv, g := k.vec(), k.vec(), k.vec()
		k.load(vec(0), lanes, yv)
		k.load(vec(1), lanes, tv)
		k.fsub(g, yv, tv) // y − target
		switch p.Model.Loss {
		case spec.MSE:
			k.op("VFMLA %s, %s, %s", g.s4(), g.s4(), acc.s4())
			k.fmul(g, g, k.constantF("twoscale", float32(2*scale)))
		case spec.CrossEntropy:
			k.fmul(g, g, k.constantF("scale", float32(scale)))
			l := k.safeLog(yv)
			k.op("VFMLA %s, %s, %s", l.s4(), tv.s4(), acc.s4()) // acc += t·ln y
		case spec.BinaryCrossEntropy:
			k.fmul(g, g, k.constantF("scale", float32(scale)))
			l := k.safeLog(yv)
			k.op("VFMLA %s, %s, %s", l.s4(), tv.s4(), acc.s4()) // acc += t·ln y
			one := k.constantF("one", 1)
			q, u := k.vec(), k.vec()
			k.fsub(q, one, yv) // 1 − y
			k.fsub(u, one, tv) // 1 − t
			l = k.safeLog(q)
			k.op("VFMLA %s, %s, %s", l.s4(), u.s4(), acc.s4())
		}
		k.store(g, lanes, vec(2))
	})
	k.hreduce(acc, k.faddp)
	sign := float32(-scale)
	if p.Model.Loss == spec.MSE {
		sign = float32(scale)
	}
	k.fmul(acc, acc, k.constantF("lossscale", sign))
	k.op("FMOVS %s, %s", acc.f(), k.frame.at("ret"))
}

// safeLog returns ln max(v, 2⁻¹²⁶) in a new register, NaN for NaN.
func (k *kernelWriter) safeLog(v vreg) vreg {
	l, nan := k.vec(), k.vec()
	k.fmax(l, v, k.constantF("minprob", 0x1p-126)) // NaN v is kept
	k.log(l)
	k.fsub(nan, v, v) // 0, or NaN when v is NaN
	k.fadd(l, l, nan)
	return l
}

// sgdUpdate is SGD's step on the parameters p with gradient g: g ← g +
// decay·p, then p ← p − lr·g. The SGD kernel and the FusedSGD kernels
// (plan.Kernel.FusedSGD) take it with these two FMAs alike, so their
// results are equal bit for bit.
func (k *kernelWriter) sgdUpdate(p, g, lr, decay vreg) {
	k.op("VFMLA %s, %s, %s", decay.s4(), p.s4(), g.s4()) // g′ = grad + decay·p
	k.op("VFMLS %s, %s, %s", lr.s4(), g.s4(), p.s4())    // p ← p − lr·g′
}
