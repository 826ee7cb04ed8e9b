package amd64

import (
	"math"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/internal/kerneldoc"
	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// elementwise runs body over n consecutive float32 of each pointer in ptrs,
// one vector at a time; the last n mod lanes elements run as a partial
// vector of that many lanes. body addresses the current vector of ptrs[i]
// as vec(i).
func (a *asmWriter) elementwise(n int, ptrs []reg.Register, body func(vec func(i int) operand.Mem, lanes int)) {
	cur := make([]reg.Register, len(ptrs))
	for i, p := range ptrs {
		cur[i] = a.c.GP64()
		a.c.MOVQ(p, cur[i])
	}
	vec := func(i int) operand.Mem { return at(cur[i], 0) }
	a.loop("elems", n/a.lanes(), func() {
		body(vec, a.lanes())
		for _, p := range cur {
			a.c.ADDQ(imm(4*a.lanes()), p)
		}
	})
	if rem := n % a.lanes(); rem > 0 {
		body(vec, rem)
	}
}

// forward emits a layer's forward pass: the product with the bias and a
// fused relu or leaky_relu, then a second pass over the output for the
// activations that need more registers than a tile leaves free.
func (a *asmWriter) forward(k *plan.Kernel, m *plan.Impl) {
	x, w, b, y := a.param("x"), a.param("w"), a.param("b"), a.param("y")
	z := y // the product's destination: y, or z for the layers that keep it
	if plan.PreActivation(k.Activation) {
		z = a.param("z")
	}
	a.gemm(k.Gemm, m, x, w, z, epilogue{bias: b, act: k.Activation}, kerneldoc.ProductOperands(k))
	a.activationPass(k.Activation, z, y, k.Gemm.Rows, k.Gemm.Cols)
}

// activationPass applies, in a pass over the rows×cols outputs, the
// activations a product's store does not fuse: sigmoid and tanh in place
// in y, gelu and silu from z into y, softmax over each row of y.
func (a *asmWriter) activationPass(act spec.Activation, z, y reg.Register, rows, cols int) {
	n := rows * cols
	switch act {
	case spec.Sigmoid, spec.Tanh:
		a.c.Comment(kerneldoc.ActivationPass(act))
		a.elementwise(n, []reg.Register{y}, func(vec func(int) operand.Mem, lanes int) {
			v := a.vec()
			a.load(vec(0), lanes, v)
			if act == spec.Sigmoid {
				a.sigmoid(v)
			} else {
				a.tanh(v)
			}
			a.store(v, lanes, vec(0))
		})
	case spec.GELU, spec.GELUErf, spec.SiLU:
		a.c.Comment(kerneldoc.ActivationPass(act))
		f := map[spec.Activation]func(reg.VecVirtual){spec.GELU: a.gelu, spec.GELUErf: a.geluErf, spec.SiLU: a.silu}[act]
		a.elementwise(n, []reg.Register{z, y}, func(vec func(int) operand.Mem, lanes int) {
			v := a.vec()
			a.load(vec(0), lanes, v)
			f(v)
			a.store(v, lanes, vec(1))
		})
	case spec.Softmax:
		a.softmaxRows(y, rows, cols)
	}
}

// combine emits the rows of a layer's forward pass from its two partial
// products over halves of the inputs: z = (p0 + p1) + b, stored with the
// fused relu or leaky_relu as the forward's product stores it, then the
// forward's second pass for the other activations. out is the layer's
// width, and each row's bias starts again at b.
func (a *asmWriter) combine(k *plan.Kernel, out int) {
	c := a.c
	rows := k.Elements / out
	p0, p1, b, y := a.param("p0"), a.param("p1"), a.param("b"), a.param("y")
	z := y
	if plan.PreActivation(k.Activation) {
		z = a.param("z")
	}
	zero, slope := a.fusedActivationOperands(k.Activation)
	row := []reg.Register{c.GP64(), c.GP64(), c.GP64()} // p0, p1 and z at the current row
	for i, r := range []reg.Register{p0, p1, z} {
		c.MOVQ(r, row[i])
	}
	c.Comment(kerneldoc.Combine)
	a.loop("rows", rows, func() {
		a.elementwise(out, []reg.Register{row[0], row[1], b, row[2]}, func(vec func(int) operand.Mem, lanes int) {
			s, t := a.vec(), a.vec()
			a.load(vec(0), lanes, s)
			a.load(vec(1), lanes, t)
			c.VADDPS(t, s, s)
			a.addBias(vec(2), lanes, s)
			a.fusedActivation(k.Activation, s, zero, slope)
			a.store(s, lanes, vec(3))
		})
		for _, r := range row {
			c.ADDQ(imm(4*out), r)
		}
	})
	a.activationPass(k.Activation, z, y, rows, out)
}

// columnSums writes s[c] = Σᵢ m[i,c] for the rows×cols matrix m.
func (a *asmWriter) columnSums(m, s reg.Register, rows, cols int) {
	a.c.Comment(kerneldoc.ColumnSums(rows, cols))
	a.columnSumsThen([]reg.Register{m, s}, rows, cols, func(sum reg.VecVirtual, lanes int, vec func(int) operand.Mem) {
		a.store(sum, lanes, vec(1))
	})
}

// columnSumsThen sums the rows of the rows×cols matrix at ptrs[0] a
// vector of columns at a time, and hands each vector of sums to done with
// the lanes it holds and the same columns' place in every array of ptrs.
func (a *asmWriter) columnSumsThen(ptrs []reg.Register, rows, cols int, done func(sum reg.VecVirtual, lanes int, vec func(int) operand.Mem)) {
	c := a.c
	a.elementwise(cols, ptrs, func(vec func(int) operand.Mem, lanes int) {
		sum, v, p := a.vec(), a.vec(), c.GP64()
		a.zero(sum)
		c.MOVQ(vec(0).Base, p)
		a.loop("rows", rows, func() {
			a.load(at(p, 0), lanes, v)
			c.VADDPS(v, sum, sum)
			c.ADDQ(imm(4*cols), p)
		})
		done(sum, lanes, vec)
	})
}

// activationGrad emits d ← d ⊙ act′, act′ computed from y or (gelu, silu)
// from z.
func (a *asmWriter) activationGrad(k *plan.Kernel) {
	c := a.c
	src := "y"
	if plan.PreActivation(k.Activation) {
		src = "z"
	}
	y, d := a.param(src), a.param("d")
	c.Comment(kerneldoc.ActivationGrad(k.Activation))
	a.elementwise(k.Elements, []reg.Register{y, d}, func(vec func(int) operand.Mem, lanes int) {
		yv, dv, t := a.vec(), a.vec(), a.vec()
		a.load(vec(0), lanes, yv)
		a.load(vec(1), lanes, dv)
		switch k.Activation {
		case spec.ReLU: // d ← d where y > 0, else 0
			a.zero(t)
			positive := a.compare(0x1e, yv, t, t) // GT_OQ: y > 0, false for NaN
			a.keep(positive, dv, dv)
		case spec.LeakyReLU: // d ← d where y > 0, else 0.01·d
			a.zero(t)
			positive := a.compare(0x1e, yv, t, t)
			ds := a.vec()
			c.VMULPS(a.f32("leakyslope", 0.01), dv, ds)
			a.choose(positive, dv, ds, dv)
		case spec.Sigmoid: // d ← d·y·(1−y)
			one := a.reg32("one", 1)
			c.VSUBPS(yv, one, t)
			c.VMULPS(yv, t, t)
			c.VMULPS(t, dv, dv)
		case spec.Tanh: // d ← d·(1−y²)
			c.VMOVUPS(a.f32("one", 1), t)
			c.VFNMADD231PS(yv, yv, t)
			c.VMULPS(t, dv, dv)
		case spec.GELU: // d ← d·gelu′(z)
			a.geluGrad(yv)
			c.VMULPS(yv, dv, dv)
		case spec.GELUErf: // d ← d·gelu_erf′(z)
			a.geluErfGrad(yv)
			c.VMULPS(yv, dv, dv)
		case spec.SiLU: // d ← d·silu′(z)
			a.siluGrad(yv)
			c.VMULPS(yv, dv, dv)
		}
		a.store(dv, lanes, vec(1))
	})
}

// softmaxRows replaces each of the rows of y (n wide) by its softmax:
// subtract the row maximum, exponentiate, divide by the sum. A row of up
// to the tier's SoftmaxRow vectors is loaded once and kept in registers; a
// longer one takes three passes over memory (max; exp and sum; scale).
func (a *asmWriter) softmaxRows(y reg.Register, rows, n int) {
	c := a.c
	start := c.GP64()
	c.MOVQ(y, start)
	vecs := (n + a.lanes() - 1) / a.lanes()
	lanes := n - a.lanes()*(vecs-1) // of the last vector
	c.Comment(kerneldoc.Softmax)
	a.loop("softmax", rows, func() {
		if vecs <= a.isa.SoftmaxRow {
			a.softmaxShortRow(start, vecs, lanes)
		} else {
			a.softmaxLongRow(start, n)
		}
		c.ADDQ(imm(4*n), start)
	})
}

// softmaxShortRow computes the softmax of the row at p (vecs vectors, the
// last holding lanes floats) in registers.
func (a *asmWriter) softmaxShortRow(p reg.Register, vecs, lanes int) {
	c := a.c
	width := func(i int) int { // floats of the row in vector i
		if i == vecs-1 {
			return lanes
		}
		return a.lanes()
	}
	v := make([]reg.VecVirtual, vecs)
	m := a.vec()
	for i := range v {
		v[i] = a.vec()
		n := width(i)
		a.load(at(p, 4*a.lanes()*i), n, v[i])
		if n < a.lanes() {
			a.fillPast(n, a.f32("neginf", float32(math.Inf(-1))), v[i]) // lanes past the row count as −Inf
		}
		if i == 0 {
			c.VMOVAPS(v[i], m)
		} else {
			c.VMAXPS(v[i], m, m) // a NaN v is kept: it is the second source
		}
	}
	a.hreduce(m, c.VMAXPS)
	sum := a.vec()
	for i := range v {
		a.expShifted(v[i], m, width(i))
		if i == 0 {
			c.VMOVAPS(v[i], sum)
		} else {
			c.VADDPS(v[i], sum, sum)
		}
	}
	a.hreduce(sum, c.VADDPS)
	inv := a.reg32("one", 1)
	c.VDIVPS(sum, inv, inv)
	for i := range v {
		c.VMULPS(inv, v[i], v[i])
		a.storeExact(v[i], width(i), at(p, 4*a.lanes()*i))
	}
}

// expShifted sets the first lanes floats of v to e^(v−m) and the rest to
// 0, so they add nothing to the row's sum. The rest become m before exp, so
// exp sees 0 there: an exp that underflows costs a microcode assist on
// Intel cores.
func (a *asmWriter) expShifted(v, m reg.VecVirtual, lanes int) {
	c := a.c
	if lanes < a.lanes() {
		a.fillPast(lanes, m, v)
	}
	c.VSUBPS(m, v, v)
	a.exp(v)
	if lanes < a.lanes() {
		a.fillPast(lanes, a.f32("zero", 0), v)
	}
}

// softmaxLongRow computes the softmax of the n floats at p in three passes.
func (a *asmWriter) softmaxLongRow(p reg.Register, n int) {
	c := a.c
	row := []reg.Register{p}
	neginf := a.f32("neginf", float32(math.Inf(-1)))
	m := a.reg32("neginf", float32(math.Inf(-1)))
	a.elementwise(n, row, func(vec func(int) operand.Mem, lanes int) {
		if lanes == a.lanes() {
			c.VMAXPS(vec(0), m, m)
			return
		}
		v := a.vec()
		a.load(vec(0), lanes, v)
		a.fillPast(lanes, neginf, v) // lanes past the row count as −Inf
		c.VMAXPS(v, m, m)
	})
	a.hreduce(m, c.VMAXPS)
	sum := a.vec()
	a.zero(sum)
	a.elementwise(n, row, func(vec func(int) operand.Mem, lanes int) {
		v := a.vec()
		a.load(vec(0), lanes, v)
		a.expShifted(v, m, lanes)
		c.VADDPS(v, sum, sum)
		a.storeExact(v, lanes, vec(0))
	})
	a.hreduce(sum, c.VADDPS)
	inv := a.reg32("one", 1)
	c.VDIVPS(sum, inv, inv)
	a.elementwise(n, row, func(vec func(int) operand.Mem, lanes int) {
		v := a.vec()
		a.load(vec(0), lanes, v)
		c.VMULPS(inv, v, v)
		a.storeExact(v, lanes, vec(0))
	})
}
