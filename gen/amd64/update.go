package amd64

import (
	"fmt"
	"maps"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/internal/kerneldoc"
	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// optimizer emits one update rule over the whole parameter vector (see
// scalar.SGD, scalar.Momentum and scalar.Adam for the math). The scalar
// hyperparameters are broadcast once, before the loop. The optimizer's
// state (velocity, moments) is stored with subnormals flushed to zero, as
// the reference's flushSubnormal says why.
func (a *asmWriter) optimizer(k *plan.Kernel) {
	c := a.c
	c.Comment(kerneldoc.Optimizer(k))
	scalar := func(name string) reg.VecVirtual {
		x, v := c.XMM(), a.vec()
		c.Load(c.Param(name), x)
		c.VBROADCASTSS(x, v)
		return v
	}
	switch k.Op {
	case plan.SGD:
		lr, decay := scalar("lr"), scalar("decay")
		a.paramsPass(k, func(storeP storeFunc) {
			a.elementwise(k.Elements, []reg.Register{a.param("p"), a.param("grad")}, func(vec func(int) operand.Mem, lanes int) {
				pv, gv := a.vec(), a.vec()
				a.load(vec(0), lanes, pv)
				a.load(vec(1), lanes, gv)
				a.sgdUpdate(pv, gv, lr, decay)
				storeP(pv, lanes, vec(0))
			})
		})
	case plan.Momentum, plan.Nesterov:
		lr, decay, mu := scalar("lr"), scalar("decay"), scalar("mu")
		a.paramsPass(k, func(storeP storeFunc) {
			ptrs := []reg.Register{a.param("p"), a.param("grad"), a.param("v")}
			a.elementwise(k.Elements, ptrs, func(vec func(int) operand.Mem, lanes int) {
				pv, gv, vv := a.vec(), a.vec(), a.vec()
				a.load(vec(0), lanes, pv)
				a.load(vec(1), lanes, gv)
				a.load(vec(2), lanes, vv)
				c.VFMADD231PS(pv, decay, gv) // g′ = grad + decay·p
				c.VFMADD213PS(gv, mu, vv)    // v ← mu·v + g′
				a.flushSubnormal(vv)
				a.store(vv, lanes, vec(2))
				step := vv
				if k.Op == plan.Nesterov {
					c.VFMADD231PS(vv, mu, gv) // g′ + mu·v
					step = gv
				}
				c.VFNMADD231PS(step, lr, pv) // p ← p − lr·step
				storeP(pv, lanes, vec(0))
			})
		})
	default: // Adam, AdamW
		lr, decay := scalar("lr"), scalar("decay")
		b1, b2, eps := scalar("beta1"), scalar("beta2"), scalar("eps")
		c1, c2 := scalar("c1"), scalar("c2")
		one := a.reg32("one", 1)
		ob1, ob2 := a.vec(), a.vec()
		c.VSUBPS(b1, one, ob1) // 1 − β₁
		c.VSUBPS(b2, one, ob2) // 1 − β₂
		c.VMULPS(c1, lr, c1)   // lr·c₁
		if k.Op == plan.AdamW {
			c.VFNMADD213PS(one, lr, decay) // decay ← 1 − lr·decay, the factor on p
		}
		a.paramsPass(k, func(storeP storeFunc) {
			ptrs := []reg.Register{a.param("p"), a.param("grad"), a.param("m"), a.param("v")}
			a.elementwise(k.Elements, ptrs, func(vec func(int) operand.Mem, lanes int) {
				pv, gv, mv, vv := a.vec(), a.vec(), a.vec(), a.vec()
				a.load(vec(0), lanes, pv)
				a.load(vec(1), lanes, gv)
				a.load(vec(2), lanes, mv)
				a.load(vec(3), lanes, vv)
				if k.Op == plan.AdamW {
					c.VMULPS(decay, pv, pv) // p ← p·(1 − lr·decay)
				} else {
					c.VFMADD231PS(pv, decay, gv) // g′ = grad + decay·p
				}
				c.VMULPS(b1, mv, mv)
				c.VFMADD231PS(gv, ob1, mv) // m ← β₁m + (1−β₁)g′
				c.VMULPS(gv, gv, gv)
				c.VMULPS(b2, vv, vv)
				c.VFMADD231PS(gv, ob2, vv) // v ← β₂v + (1−β₂)g′²
				a.flushSubnormal(mv)
				a.flushSubnormal(vv)
				a.store(mv, lanes, vec(2))
				a.store(vv, lanes, vec(3))
				den := gv
				c.VMULPS(c2, vv, den)
				c.VSQRTPS(den, den)
				c.VADDPS(eps, den, den) // √(v·c₂) + ε
				num := vv
				c.VMULPS(c1, mv, num) // lr·c₁·m
				c.VDIVPS(den, num, num)
				c.VSUBPS(num, pv, pv)
				storeP(pv, lanes, vec(0))
			})
		})
	}
}

// storeFunc writes the first lanes lanes of src to m.
type storeFunc func(src reg.VecVirtual, lanes int, m operand.Mem)

// paramsPass emits pass, an optimizer's loop over the parameters, with
// the store it writes p with: a.store, or for a kernel that streams p
// (plan.Kernel.StreamParams) the loop twice, behind a test of p's
// alignment: non-temporal stores when p is aligned to a vector, then a
// fence that orders them before the stores of whatever the caller does
// next (the other workers read p after the step), and a.store when not.
func (a *asmWriter) paramsPass(k *plan.Kernel, pass func(storeP storeFunc)) {
	if !k.StreamParams {
		pass(a.store)
		return
	}
	c := a.c
	a.labels++
	cached, done := fmt.Sprintf("cachedstores%d", a.labels), fmt.Sprintf("updated%d", a.labels)
	// An opmask a.mask sets up inside one path is not set on the other:
	// each path starts from the masks set before the branch, and after
	// the join only those are known.
	before := a.masks
	c.Comment("p aligned to a vector: its stores stream past the caches")
	c.TESTQ(operand.U32(uint32(4*a.lanes()-1)), a.param("p"))
	c.JNZ(operand.LabelRef(cached))
	a.masks = maps.Clone(before)
	pass(a.streamStore)
	c.SFENCE()
	c.JMP(operand.LabelRef(done))
	c.Label(cached)
	c.Comment("p not aligned to a vector: regular stores")
	a.masks = maps.Clone(before)
	pass(a.store)
	c.Label(done)
	a.masks = before
}

// streamStore is store with a non-temporal store for a whole vector, whose
// memory must be aligned to one; fewer lanes take a.store.
func (a *asmWriter) streamStore(src reg.VecVirtual, lanes int, m operand.Mem) {
	if lanes < a.lanes() {
		a.store(src, lanes, m)
		return
	}
	a.c.VMOVNTPS(src, m)
}

// loss emits the model's loss: the gradient is stored elementwise and the
// loss terms are accumulated in one vector, summed across lanes at the end.
func (a *asmWriter) loss(p *plan.Plan, k *plan.Kernel) {
	c := a.c
	n := k.Elements
	scale := 1 / float64(n) // mean over all elements (mse, binary cross-entropy)
	if p.Model.Loss == spec.CrossEntropy {
		scale = 1 / float64(p.Model.Batch) // mean over samples
	}
	acc := a.vec()
	a.zero(acc)
	y, t, d := a.param("y"), a.param("target"), a.param("d")
	c.Comment(kerneldoc.Loss)
	a.elementwise(n, []reg.Register{y, t, d}, func(vec func(int) operand.Mem, lanes int) {
		yv, tv, g := a.vec(), a.vec(), a.vec()
		a.load(vec(0), lanes, yv)
		a.load(vec(1), lanes, tv)
		c.VSUBPS(tv, yv, g) // y − target
		switch p.Model.Loss {
		case spec.MSE:
			c.VFMADD231PS(g, g, acc)
			c.VMULPS(a.f32("twoscale", float32(2*scale)), g, g)
		case spec.CrossEntropy:
			c.VMULPS(a.f32("scale", float32(scale)), g, g)
			c.VFMADD231PS(a.safeLog(yv), tv, acc) // acc += t·ln y
		case spec.BinaryCrossEntropy:
			c.VMULPS(a.f32("scale", float32(scale)), g, g)
			c.VFMADD231PS(a.safeLog(yv), tv, acc) // acc += t·ln y
			one := a.reg32("one", 1)
			q, u := a.vec(), a.vec()
			c.VSUBPS(yv, one, q) // 1 − y
			c.VSUBPS(tv, one, u) // 1 − t
			c.VFMADD231PS(a.safeLog(q), u, acc)
		}
		a.store(g, lanes, vec(2))
	})
	a.hreduce(acc, c.VADDPS)
	sign := float32(-scale)
	if p.Model.Loss == spec.MSE {
		sign = float32(scale)
	}
	c.VMULPS(a.f32("lossscale", sign), acc, acc)
	c.Store(acc.AsX(), c.ReturnIndex(0))
}

// safeLog returns ln max(v, MinProbability) in a new register, NaN for NaN.
func (a *asmWriter) safeLog(v reg.VecVirtual) reg.VecVirtual {
	c := a.c
	floor := a.reg32("minprob", 0x1p-126)
	l := a.vec()
	c.VMAXPS(v, floor, l) // NaN v is kept: it is the second source
	a.log(l)
	nan := a.vec()
	c.VSUBPS(v, v, nan) // 0, or NaN when v is NaN
	c.VADDPS(nan, l, l)
	return l
}

// sgdUpdate is SGD's step on the parameters p with gradient g, both in
// registers: g ← g + decay·p, then p ← p − lr·g. lr and decay are
// registers or vectors in memory. The SGD kernel and the FusedSGD
// kernels take it with these two FMAs alike, so their results are equal
// bit for bit.
func (a *asmWriter) sgdUpdate(p, g reg.VecVirtual, lr, decay operand.Op) {
	a.c.VFMADD231PS(decay, p, g) // g′ = grad + decay·p
	a.c.VFNMADD231PS(lr, g, p)   // p ← p − lr·g′
}
