package arm64

import (
	"math"

	"github.com/vecgen/vecgen/gen/internal/kerneldoc"
	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// elementUnroll is the vectors an elementwise loop handles per iteration:
// one vector of 4 floats would spend as many instructions on the pointers
// and the count as on the math of a cheap body.
const elementUnroll = 4

// elementwise runs body over n consecutive float32 of each pointer in
// ptrs: elementUnroll vectors an iteration, then the whole vectors left
// one at a time, then the last n mod 4 floats as a partial vector. body
// addresses the current vector of ptrs[i] as vec(i); constants it asks for
// are loaded once, before the loop, where registers allow.
func (w *writer) elementwise(n int, ptrs []greg, body func(vec func(i int) mem, lanes int)) {
	end := w.scope()
	cur := make([]greg, len(ptrs))
	for i, p := range ptrs {
		cur[i] = w.copyGP(p)
	}
	w.hoisted(func() {
		vector := func(off int) {
			endBody := w.scope()
			body(func(i int) mem { return at(cur[i], off) }, lanes)
			endBody()
		}
		advance := func(bytes int) {
			for _, p := range cur {
				w.addImm(p, bytes)
			}
		}
		w.loop("elems", n/(lanes*elementUnroll), func() {
			for u := range elementUnroll {
				vector(16 * u)
			}
			advance(16 * elementUnroll)
		})
		if whole := n % (lanes * elementUnroll) / lanes; whole > 0 {
			for u := range whole {
				vector(16 * u)
			}
			advance(16 * whole)
		}
		if rem := n % lanes; rem > 0 {
			endBody := w.scope()
			body(func(i int) mem { return at(cur[i], 0) }, rem)
			endBody()
		}
	})
	end()
}

// forward emits a layer's forward pass: the product with the bias and a
// fused relu or leaky_relu, then a second pass over the output for the
// activations that need more registers than a tile leaves free.
func (k *kernelWriter) forward(kn *plan.Kernel, m *plan.Impl) {
	x, w, b, y := k.param("x"), k.param("w"), k.param("b"), k.param("y")
	z := y // the product's destination: y, or z for the layers that keep it
	if plan.PreActivation(kn.Activation) {
		z = k.param("z")
	}
	k.gemm(kn.Gemm, m, x, w, z, epilogue{bias: b, hasBias: true, act: kn.Activation}, kerneldoc.ProductOperands(kn))
	k.activationPass(kn.Activation, z, y, kn.Gemm.Rows, kn.Gemm.Cols)
}

// activationPass applies, in a pass over the rows×cols outputs, the
// activations a product's store does not fuse: sigmoid and tanh in place
// in y, gelu and silu from z into y, softmax over each row of y.
func (k *kernelWriter) activationPass(act spec.Activation, z, y greg, rows, cols int) {
	n := rows * cols
	switch act {
	case spec.Sigmoid, spec.Tanh:
		k.note(kerneldoc.ActivationPass(act))
		k.elementwise(n, []greg{y}, func(vec func(int) mem, lanes int) {
			v := k.vec()
			k.load(vec(0), lanes, v)
			if act == spec.Sigmoid {
				k.sigmoid(v)
			} else {
				k.tanh(v)
			}
			k.store(v, lanes, vec(0))
		})
	case spec.GELU, spec.GELUErf, spec.SiLU:
		k.note(kerneldoc.ActivationPass(act))
		f := map[spec.Activation]func(vreg){spec.GELU: k.gelu, spec.GELUErf: k.geluErf, spec.SiLU: k.silu}[act]
		k.elementwise(n, []greg{z, y}, func(vec func(int) mem, lanes int) {
			v := k.vec()
			k.load(vec(0), lanes, v)
			f(v)
			k.store(v, lanes, vec(1))
		})
	case spec.Softmax:
		k.softmaxRows(y, rows, cols)
	}
}

// combine emits the rows of a layer's forward pass from its two partial
// products over halves of the inputs: z = (p0 + p1) + b, stored with the
// fused relu or leaky_relu as the forward's product stores it, then the
// forward's second pass for the other activations. out is the layer's
// width, and each row's bias starts again at b.
func (k *kernelWriter) combine(kn *plan.Kernel, out int) {
	rows := kn.Elements / out
	p0, p1, b, y := k.param("p0"), k.param("p1"), k.param("b"), k.param("y")
	z := y
	if plan.PreActivation(kn.Activation) {
		z = k.param("z")
	}
	end := k.scope()
	row := []greg{k.copyGP(p0), k.copyGP(p1), k.copyGP(z)} // p0, p1 and z at the current row
	k.note(kerneldoc.Combine)
	k.loop("rows", rows, func() {
		k.elementwise(out, []greg{row[0], row[1], b, row[2]}, func(vec func(int) mem, lanes int) {
			zero, slope := k.fusedActivationOperands(kn.Activation)
			s, t := k.vec(), k.vec()
			k.load(vec(0), lanes, s)
			k.load(vec(1), lanes, t)
			k.fadd(s, s, t)
			k.load(vec(2), lanes, t)
			k.fadd(s, s, t)
			k.fusedActivation(kn.Activation, s, zero, slope)
			k.store(s, lanes, vec(3))
		})
		for _, r := range row {
			k.addImm(r, 4*out)
		}
	})
	end()
	k.activationPass(kn.Activation, z, y, rows, out)
}

// columnSums writes s[c] = Σᵢ m[i,c] for the rows×cols matrix m, adding
// the rows in order.
func (k *kernelWriter) columnSums(m, s greg, rows, cols int) {
	k.note(kerneldoc.ColumnSums(rows, cols))
	k.columnSumsThen([]greg{m, s}, rows, cols, func(sum vreg, lanes int, vec func(int) mem) {
		k.store(sum, lanes, vec(1))
	})
}

// columnSumsThen sums the rows of the rows×cols matrix at ptrs[0] a
// vector of columns at a time, and hands each vector of sums to done with
// the lanes it holds and the same columns' place in every array of ptrs.
func (k *kernelWriter) columnSumsThen(ptrs []greg, rows, cols int, done func(sum vreg, lanes int, vec func(int) mem)) {
	k.elementwise(cols, ptrs, func(vec func(int) mem, lanes int) {
		sum, v := k.vec(), k.vec()
		k.zero(sum)
		p := k.pointer(vec(0).base, vec(0).off)
		k.loop("rows", rows, func() {
			k.load(at(p, 0), lanes, v)
			k.fadd(sum, sum, v)
			k.addImm(p, 4*cols)
		})
		done(sum, lanes, vec)
	})
}

// activationGrad emits d ← d ⊙ act′, act′ computed from y or (gelu, silu)
// from z.
func (k *kernelWriter) activationGrad(kn *plan.Kernel) {
	src := "y"
	if plan.PreActivation(kn.Activation) {
		src = "z"
	}
	y, d := k.param(src), k.param("d")
	k.note(kerneldoc.ActivationGrad(kn.Activation))
	k.elementwise(kn.Elements, []greg{y, d}, func(vec func(int) mem, lanes int) {
		yv, dv, t := k.vec(), k.vec(), k.vec()
		k.load(vec(0), lanes, yv)
		k.load(vec(1), lanes, dv)
		switch kn.Activation {
		case spec.ReLU: // d ← d where y > 0, else 0 (the compare is false for NaN)
			k.zero(t)
			k.fcmgt(t, yv, t)
			k.keep(t, dv, dv)
		case spec.LeakyReLU: // d ← d where y > 0, else 0.01·d
			ds := k.vec()
			k.zero(t)
			k.fcmgt(t, yv, t)
			k.fmul(ds, dv, k.constantF("leakyslope", 0.01))
			k.choose(t, dv, ds, dv)
		case spec.Sigmoid: // d ← d·y·(1−y)
			k.fsub(t, k.constantF("one", 1), yv)
			k.fmul(t, t, yv)
			k.fmul(dv, dv, t)
		case spec.Tanh: // d ← d·(1−y²)
			k.constantInto("one", 1, t)
			k.op("VFMLS %s, %s, %s", yv.s4(), yv.s4(), t.s4())
			k.fmul(dv, dv, t)
		case spec.GELU: // d ← d·gelu′(z)
			k.geluGrad(yv)
			k.fmul(dv, dv, yv)
		case spec.GELUErf: // d ← d·gelu_erf′(z)
			k.geluErfGrad(yv)
			k.fmul(dv, dv, yv)
		case spec.SiLU: // d ← d·silu′(z)
			k.siluGrad(yv)
			k.fmul(dv, dv, yv)
		}
		k.store(dv, lanes, vec(1))
	})
}

// softmaxRows replaces each of the rows of y (n wide) by its softmax:
// subtract the row maximum, exponentiate, divide by the sum. A row of up
// to the tier's SoftmaxRow vectors is loaded once and kept in registers; a
// longer one takes three passes over memory (max; exp and sum; scale).
func (k *kernelWriter) softmaxRows(y greg, rows, n int) {
	end := k.scope()
	start := k.copyGP(y)
	vecs := (n + lanes - 1) / lanes
	last := n - lanes*(vecs-1) // floats in the last vector
	k.note(kerneldoc.Softmax)
	k.hoisted(func() {
		k.loop("softmax", rows, func() {
			if vecs <= plan.NEON.SoftmaxRow {
				k.softmaxShortRow(start, vecs, last)
			} else {
				k.softmaxLongRow(start, n)
			}
			k.addImm(start, 4*n)
		})
	})
	end()
}

// softmaxShortRow computes the softmax of the row at p (vecs vectors, the
// last holding last floats) in registers.
func (k *kernelWriter) softmaxShortRow(p greg, vecs, last int) {
	end := k.scope()
	width := func(i int) int {
		if i == vecs-1 {
			return last
		}
		return lanes
	}
	v := k.vecs(vecs)
	m := k.vec()
	for i := range v {
		k.load(at(p, 16*i), width(i), v[i])
		if n := width(i); n < lanes {
			k.fillPast(n, k.constantF("neginf", float32(math.Inf(-1))), v[i]) // lanes past the row count as −Inf
		}
		if i == 0 {
			k.mov(m, v[i])
		} else {
			k.fmax(m, m, v[i]) // NaN if either is
		}
	}
	k.hreduce(m, k.fmaxp)
	sum := k.vec()
	for i := range v {
		k.expShifted(v[i], m, width(i))
		if i == 0 {
			k.mov(sum, v[i])
		} else {
			k.fadd(sum, sum, v[i])
		}
	}
	k.hreduce(sum, k.faddp)
	k.fdiv(sum, k.constantF("one", 1), sum)
	for i := range v {
		k.fmul(v[i], v[i], sum)
		k.store(v[i], width(i), at(p, 16*i))
	}
	end()
}

// expShifted sets the first n floats of v to e^(v−m) and the rest to 0, so
// they add nothing to the row's sum. The rest become m before exp, so exp
// sees 0 there.
func (k *kernelWriter) expShifted(v, m vreg, n int) {
	if n < lanes {
		k.fillPast(n, m, v)
	}
	k.fsub(v, v, m)
	k.exp(v)
	if n < lanes {
		end := k.scope()
		z := k.vec()
		k.zero(z)
		k.fillPast(n, z, v)
		end()
	}
}

// softmaxLongRow computes the softmax of the n floats at p in three passes.
func (k *kernelWriter) softmaxLongRow(p greg, n int) {
	end := k.scope()
	row := []greg{p}
	m := k.vec()
	k.constantInto("neginf", float32(math.Inf(-1)), m)
	k.elementwise(n, row, func(vec func(int) mem, lanes4 int) {
		v := k.vec()
		k.load(vec(0), lanes4, v)
		if lanes4 < lanes {
			k.fillPast(lanes4, k.constantF("neginf", float32(math.Inf(-1))), v) // lanes past the row count as −Inf
		}
		k.fmax(m, m, v)
	})
	k.hreduce(m, k.fmaxp)
	sum := k.vec()
	k.zero(sum)
	k.elementwise(n, row, func(vec func(int) mem, lanes4 int) {
		v := k.vec()
		k.load(vec(0), lanes4, v)
		k.expShifted(v, m, lanes4)
		k.fadd(sum, sum, v)
		k.store(v, lanes4, vec(0))
	})
	k.hreduce(sum, k.faddp)
	k.fdiv(sum, k.constantF("one", 1), sum)
	k.elementwise(n, row, func(vec func(int) mem, lanes4 int) {
		v := k.vec()
		k.load(vec(0), lanes4, v)
		k.fmul(v, v, sum)
		k.store(v, lanes4, vec(0))
	})
	end()
}
