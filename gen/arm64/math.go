package arm64

import (
	"fmt"
	"math"

	"github.com/vecgen/vecgen/gen/internal/mathcoef"
)

// The vector elementary functions, the same algorithms as the x86 tiers'
// (gen/amd64/math.go) with the same coefficients (mathcoef), so the same
// ulp bounds hold. Each
// works in place on one register and allocates its temporaries in its own
// scope; its constants come from the table, hoisted before the loop that
// calls it where registers allow.
//
// exp follows the classic Cephes design: n = round(x·log₂e), r = x − n·ln2
// in two parts, e^r by a degree-6 polynomial on |r| ≤ ln2/2, then 2ⁿ
// applied as two factors 2^⌊n/2⌋·2^(n−⌊n/2⌋), each a normal float, so the
// whole range from the subnormals to overflow comes out right without
// special cases: x is clamped to [−104, 88.8], where e^−104 rounds to 0
// and e^88.8 overflows to +Inf. FMIN and FMAX return NaN when either
// operand is NaN, so the clamps keep NaN, and a NaN polynomial stays NaN
// through the scaling.

// exp sets x to eˣ.
func (w *writer) exp(x vreg) {
	end := w.scope()
	w.clamp(x, "exp", -104, 88.8)
	n, r, p, t, z := w.vec(), w.vec(), w.vec(), w.vec(), w.vec()
	w.fmul(n, x, w.constantF("log2e", math.Log2E))
	w.frintn(n, n)
	w.mov(r, x)
	w.op("VFMLS %s, %s, %s", w.constantF("ln2hi", mathcoef.Ln2Hi).s4(), n.s4(), r.s4()) // r = x − n·ln2, ln2 split so n·ln2hi is exact
	w.op("VFMLS %s, %s, %s", w.constantF("ln2lo", mathcoef.Ln2Lo).s4(), n.s4(), r.s4())

	poly := w.horner(p, t, r, "expc", mathcoef.ExpPoly)
	w.fmul(z, r, r)
	w.op("VFMLA %s, %s, %s", z.s4(), poly.s4(), r.s4()) // r = P·r² + r
	w.fadd(z, r, w.constantF("one", 1))                 // e^r

	e, e1 := n, t // n as integers; e1 = ⌊n/2⌋, e = n − e1
	w.fcvtzs(e, n)
	w.sshr(e1, e, 1)
	w.op("VSUB %s, %s, %s", e1.s4(), e.s4(), e.s4())
	bias := w.constant("expbias", 127)
	for _, q := range []vreg{e, e1} {
		w.op("VADD %s, %s, %s", bias.s4(), q.s4(), q.s4())
		w.op("VSHL $23, %s, %s", q.s4(), q.s4()) // 2^q as a float
		w.fmul(z, z, q)
	}
	w.mov(x, z)
	end()
}

// horner sets p or t to the polynomial with coefficients coef (highest
// degree first) at x and returns which: p = (…(c₀·x + c₁)·x + …) + cₙ, one
// FMLA per coefficient, each into a register loaded with the next
// coefficient, p and t taking turns. The coefficients become constants
// named prefix0, prefix1, ….
func (w *writer) horner(p, t, x vreg, prefix string, coef []float32) vreg {
	w.constantInto(prefix+"0", coef[0], p)
	for i, c := range coef[1:] {
		w.constantInto(fmt.Sprintf("%s%d", prefix, i+1), c, t)
		w.op("VFMLA %s, %s, %s", x.s4(), p.s4(), t.s4()) // t = c + p·x
		p, t = t, p
	}
	return p
}

// sigmoid sets x to 1/(1+e^−x), computed as n/(1+s) with s = e^−|x| and
// n = 1 for x ≥ 0, n = s for x < 0: e^−|x| never overflows, so results down
// to the subnormals keep their precision.
func (w *writer) sigmoid(x vreg) { w.sigmoidPair(x, 0, false) }

// sigmoidPair is sigmoid that also sets q (when withQ) to 1 − sigmoid(x)
// = sigmoid(−x), as m/(1+s) with m the other numerator (s for x ≥ 0, 1 for
// x < 0), so q keeps full precision where sigmoid(x) is close to 1.
func (w *writer) sigmoidPair(x, q vreg, withQ bool) {
	end := w.scope()
	s, neg, num := w.vec(), w.vec(), w.vec()
	w.fabs(s, x)
	w.fneg(s, s) // −|x|
	w.exp(s)
	one := w.constantF("one", 1)
	w.signMask(x, neg)
	if withQ {
		w.choose(neg, one, s, q) // 1 where x < 0, else s
	}
	w.choose(neg, s, one, num) // s where x < 0, else 1
	w.fadd(s, s, one)
	if withQ {
		w.fdiv(q, q, s)
	}
	w.fdiv(x, num, s)
	end()
}

// tanh sets x to tanh x: the odd polynomial below |x| = 0.625, and
// 1 − 2/(e^{2|x|}+1) with x's sign above, where no cancellation remains.
func (w *writer) tanh(x vreg) {
	end := w.scope()
	ax, big, z, p, t := w.vec(), w.vec(), w.vec(), w.vec(), w.vec()
	w.fabs(ax, x)
	w.fadd(big, ax, ax)
	w.exp(big)
	one := w.constantF("one", 1)
	w.fadd(big, big, one)
	w.fdiv(big, w.constantF("two", 2), big)
	w.fsub(big, one, big) // 1 − 2/(e^{2|x|}+1)

	w.fmul(z, ax, ax)
	poly := w.horner(p, t, z, "tanhc", mathcoef.TanhPoly)
	small := p // the register horner left free
	if poly == p {
		small = t
	}
	w.fmul(poly, poly, z)
	w.mov(small, ax)
	w.op("VFMLA %s, %s, %s", ax.s4(), poly.s4(), small.s4()) // |x| + |x|³·P

	w.fcmgt(z, w.constantF("tanhsmall", 0.625), ax) // |x| < 0.625; false for NaN
	w.choose(z, small, big, big)
	w.op("VBIT %s, %s, %s", w.constantLanes("signmask", [4]uint32{0x80000000, 0x80000000, 0x80000000, 0x80000000}).b16(), x.b16(), big.b16()) // x's sign
	w.mov(x, big)
	end()
}

// log sets x to ln x for positive normal x (callers floor x at 2⁻¹²⁶ first):
// x = 2ᵉ·m with m in [√½, √2), then ln x = e·ln2 + ln m by the Cephes
// polynomial in m−1.
func (w *writer) log(x vreg) {
	end := w.scope()
	e, m, t, lt, z, y, u := w.vec(), w.vec(), w.vec(), w.vec(), w.vec(), w.vec(), w.vec()
	w.op("VUSHR $23, %s, %s", x.s4(), e.s4())
	w.op("VSUB %s, %s, %s", w.constant("logbias", 126).s4(), e.s4(), e.s4()) // x = 2ᵉ·m with m in [0.5, 1)
	w.scvtf(e, e)
	w.op("VAND %s, %s, %s", w.constant("mantmask", 0x807fffff).b16(), x.b16(), m.b16())
	w.op("VORR %s, %s, %s", w.constantF("half", 0.5).b16(), m.b16(), m.b16())

	w.fcmgt(lt, w.constantF("sqrthalf", 0.70710678118654752), m) // m < √½: use 2m, e−1
	one := w.constantF("one", 1)
	w.keep(lt, one, t)
	w.fsub(e, e, t)
	w.keep(lt, m, t)
	w.fsub(m, m, one)
	w.fadd(m, m, t) // m − 1, or 2m − 1

	w.fmul(z, m, m)
	y = w.horner(y, u, m, "logc", mathcoef.LogPoly)
	w.fmul(y, y, m)
	w.fmul(y, y, z)
	w.op("VFMLA %s, %s, %s", w.constantF("ln2lo", mathcoef.Ln2Lo).s4(), e.s4(), y.s4())
	w.op("VFMLA %s, %s, %s", w.constantF("neghalf", -0.5).s4(), z.s4(), y.s4())
	w.fadd(x, m, y)
	w.op("VFMLA %s, %s, %s", w.constantF("ln2hi", mathcoef.Ln2Hi).s4(), e.s4(), x.s4())
	end()
}

// clamp sets x to min(max(x, lo), hi), keeping NaN. The bounds become
// constants named prefix+"lo" and prefix+"hi".
func (w *writer) clamp(x vreg, prefix string, lo, hi float32) {
	w.fmin(x, x, w.constantF(prefix+"hi", hi))
	w.fmax(x, x, w.constantF(prefix+"lo", lo))
}

// geluArg sets v to 2u = z·(GELUV1 + GELUV3·z²) (mathcoef's tanh-form GELU
// as a sigmoid) and z2 to z².
func (w *writer) geluArg(z, v, z2 vreg) {
	w.fmul(z2, z, z)
	w.constantInto("geluv1", mathcoef.GELUV1, v)
	w.op("VFMLA %s, %s, %s", w.constantF("geluv3", mathcoef.GELUV3).s4(), z2.s4(), v.s4()) // GELUV3·z² + GELUV1
	w.fmul(v, v, z)
}

// gelu sets x to z·sigmoid(v), the tanh-form GELU without the cancellation
// of 1 + tanh u for negative z.
func (w *writer) gelu(x vreg) {
	end := w.scope()
	s, z2 := w.vec(), w.vec()
	w.geluArg(x, s, z2)
	w.sigmoid(s)
	w.fmul(x, x, s)
	end()
}

// geluGrad sets x (holding z) to gelu′(z) = s + z·s(1−s)·v′ with s =
// sigmoid(v). z is first clamped to ±10⁴, past which s is exactly 0 or 1
// and gelu′ exactly 0 or 1, so z² cannot overflow into Inf·0; NaN is kept.
func (w *writer) geluGrad(x vreg) {
	end := w.scope()
	w.clamp(x, "gelu", -1e4, 1e4)
	s, z2, t, vp := w.vec(), w.vec(), w.vec(), w.vec()
	w.geluArg(x, s, z2)
	w.sigmoidPair(s, t, true) // t = 1 − s
	w.fmul(t, t, s)
	w.constantInto("geluv1", mathcoef.GELUV1, vp)
	w.op("VFMLA %s, %s, %s", w.constantF("geluv3x3", 3*mathcoef.GELUV3).s4(), z2.s4(), vp.s4()) // v′ = GELUV1 + 3·GELUV3·z²
	w.fmul(t, t, vp)
	w.op("VFMLA %s, %s, %s", x.s4(), t.s4(), s.s4()) // s(1−s)·v′·z + s
	w.mov(x, s)
	end()
}

// silu sets x to x·sigmoid(x).
func (w *writer) silu(x vreg) {
	end := w.scope()
	s := w.vec()
	w.mov(s, x)
	w.sigmoid(s)
	w.fmul(x, x, s)
	end()
}

// siluGrad sets x (holding z) to silu′(z) = s·(1 + z(1−s)) = s + s·z(1−s)
// with s = sigmoid(z).
func (w *writer) siluGrad(x vreg) {
	end := w.scope()
	s, t := w.vec(), w.vec()
	w.mov(s, x)
	w.sigmoidPair(s, t, true) // t = 1 − s
	w.fmul(t, t, x)
	w.op("VFMLA %s, %s, %s", t.s4(), s.s4(), s.s4()) // s·z(1−s) + s
	w.mov(x, s)
	end()
}

// The exact GELU, z·Φ(z), through the lower tail of the normal
// distribution (see mathcoef for the approximation), as on the x86 tiers:
// Φ(z) is the tail for z < 0 and 1 minus it otherwise; h = a·a rounded and
// l = h − a·a exactly (one FMLS), so e^(−a²/2) = e^(−h/2)·(1 + l/2), and
// e^Q(t) is a second exp.

// normalTail sets q to Φ(−|z|) and g to e^(−z²/2), for z in x (kept).
// |z| is capped at mathcoef.ErfcMax, past which both are 0; NaN is kept.
func (w *writer) normalTail(x, q, g vreg) {
	end := w.scope()
	ab, t, l, p := w.vec(), w.vec(), w.vec(), w.vec()
	w.fabs(ab, x)
	w.fmin(ab, ab, w.constantF("erfcmax", mathcoef.ErfcMax)) // FMIN keeps NaN
	one := w.constantF("one", 1)
	w.mov(t, one)
	w.op("VFMLA %s, %s, %s", w.constantF("erfcscale", mathcoef.ErfcScale).s4(), ab.s4(), t.s4()) // 1 + a/(2√2)
	w.fdiv(t, one, t)

	if poly := w.horner(q, p, t, "erfcc", mathcoef.ErfcPoly); poly != q {
		w.mov(q, poly)
	}
	w.exp(q) // e^Q(t)

	w.fmul(g, ab, ab) // h = a·a, rounded
	w.mov(l, g)
	w.op("VFMLS %s, %s, %s", ab.s4(), ab.s4(), l.s4()) // l = h − a·a, exactly
	half := w.constantF("half", 0.5)
	w.mov(p, one)
	w.op("VFMLA %s, %s, %s", half.s4(), l.s4(), p.s4()) // 1 + l/2
	w.fmul(g, g, w.constantF("neghalf", -0.5))          // −h/2, exactly
	w.exp(g)                                            // e^(−h/2)
	w.fmul(g, g, p)                                     // e^(−a²/2)
	w.fmul(q, q, t)                                     // t·e^Q
	w.fmul(q, q, half)                                  // ½·t·e^Q
	w.fmul(q, q, g)                                     // Φ(−a)
	end()
}

// normalCDF sets p to Φ(z) from q = Φ(−|z|): q for z < 0, 1 − q otherwise.
func (w *writer) normalCDF(x, q, p vreg) {
	end := w.scope()
	om, neg := w.vec(), w.vec()
	w.fsub(om, w.constantF("one", 1), q) // 1 − q
	w.signMask(x, neg)
	w.choose(neg, q, om, p)
	end()
}

// geluErf sets x to z·Φ(z), the exact GELU.
func (w *writer) geluErf(x vreg) {
	end := w.scope()
	q, g := w.vec(), w.vec()
	w.normalTail(x, q, g)
	w.normalCDF(x, q, g)
	w.fmul(x, x, g)
	end()
}

// geluErfGrad sets x (holding z) to gelu_erf′(z) = Φ(z) + z·φ(z). z is
// first clamped to ±10⁴, past which the derivative is exactly 0 or 1, so
// an infinite z cannot meet φ(z) = 0 in ∞·0; NaN is kept.
func (w *writer) geluErfGrad(x vreg) {
	end := w.scope()
	w.clamp(x, "gelu", -1e4, 1e4)
	q, g, p := w.vec(), w.vec(), w.vec()
	w.normalTail(x, q, g)
	w.normalCDF(x, q, p)
	w.fmul(g, g, w.constantF("invsqrt2pi", mathcoef.InvSqrt2Pi)) // φ(z)
	w.op("VFMLA %s, %s, %s", x.s4(), g.s4(), p.s4())             // Φ(z) + z·φ(z)
	w.mov(x, p)
	end()
}
