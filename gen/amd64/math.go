package amd64

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/internal/mathcoef"
)

// The vector elementary functions. Each works in place on one YMM register
// and allocates its own temporaries, so callers must have about six
// registers to spare: the elementwise loops and the passes after a GEMM do.
//
// exp follows the classic Cephes design: n = round(x·log₂e), r = x − n·ln2
// in two parts, e^r by a degree-6 polynomial on |r| ≤ ln2/2, then 2ⁿ
// applied as two factors 2^⌊n/2⌋·2^(n−⌊n/2⌋), each a normal float, so the
// whole range from the subnormals to overflow comes out right without
// special cases: x is clamped to [−104, 88.8], where e^−104 rounds to 0
// and e^88.8 overflows to +Inf. The clamps keep NaN (it is the second
// source of VMINPS/VMAXPS), and a NaN polynomial stays NaN through the
// scaling.

// exp sets x to eˣ.
func (a *asmWriter) exp(x reg.VecVirtual) {
	c := a.c
	a.clamp(x, "exp", -104, 88.8)

	n, r, p := a.vec(), a.vec(), a.vec()
	c.VMULPS(a.f32("log2e", math.Log2E), x, n)
	a.roundEven(n)
	c.VMOVAPS(x, r)
	c.VFNMADD231PS(a.f32("ln2hi", mathcoef.Ln2Hi), n, r) // r = x − n·ln2, ln2 split so n·ln2hi is exact
	c.VFNMADD231PS(a.f32("ln2lo", mathcoef.Ln2Lo), n, r)

	a.horner(p, r, "expc", mathcoef.ExpPoly)
	z := a.vec()
	c.VMULPS(r, r, z)
	c.VFMADD213PS(r, z, p) // p = p·r² + r
	c.VADDPS(a.f32("one", 1), p, p)

	e, e1 := n, a.vec() // n as integers; e1 = ⌊n/2⌋, e = n − e1
	c.VCVTPS2DQ(n, e)
	c.VPSRAD(imm(1), e, e1)
	c.VPSUBD(e1, e, e)
	bias := a.splat("expbias", 127)
	for _, q := range []reg.VecVirtual{e, e1} {
		c.VPADDD(bias, q, q)
		c.VPSLLD(imm(23), q, q) // 2^q as a float
		c.VMULPS(q, p, p)
	}
	c.VMOVAPS(p, x)
}

// sigmoid sets x to 1/(1+e^−x), computed as n/(1+s) with s = e^−|x| and
// n = 1 for x ≥ 0, n = s for x < 0: e^−|x| never overflows, so results down
// to the subnormals keep their precision.
func (a *asmWriter) sigmoid(x reg.VecVirtual) {
	a.sigmoidPair(x, nil)
}

// sigmoidPair is sigmoid that also sets q (when not nil) to 1 − sigmoid(x)
// = sigmoid(−x), as m/(1+s) with m the other numerator (s for x ≥ 0, 1 for
// x < 0), so q keeps full precision where sigmoid(x) is close to 1.
func (a *asmWriter) sigmoidPair(x, q reg.VecVirtual) {
	c := a.c
	s := a.vec()
	c.VANDPS(a.splat("absmask", 0x7fffffff), x, s)
	c.VXORPS(a.splat("signmask", 0x80000000), s, s) // −|x|
	a.exp(s)
	one := a.reg32("one", 1)
	num := a.vec()
	if q != nil {
		a.chooseBySign(x, one, s, q) // 1 where x < 0, else s
	}
	a.chooseBySign(x, s, one, num) // s where x < 0, else 1
	c.VADDPS(one, s, s)
	if q != nil {
		c.VDIVPS(s, q, q)
	}
	c.VDIVPS(s, num, x)
}

// tanh sets x to tanh x: the odd polynomial below |x| = 0.625, and
// 1 − 2/(e^{2|x|}+1) with x's sign above, where no cancellation remains.
func (a *asmWriter) tanh(x reg.VecVirtual) {
	c := a.c
	ax, sign := a.vec(), a.vec()
	c.VANDPS(a.splat("absmask", 0x7fffffff), x, ax)
	c.VANDPS(a.splat("signmask", 0x80000000), x, sign)

	big := a.vec()
	c.VADDPS(ax, ax, big)
	a.exp(big)
	one := a.reg32("one", 1)
	c.VADDPS(one, big, big)
	two := a.reg32("two", 2)
	c.VDIVPS(big, two, big)
	c.VSUBPS(big, one, big) // 1 − 2/(e^{2|x|}+1)

	z, p := a.vec(), a.vec()
	c.VMULPS(ax, ax, z)
	a.horner(p, z, "tanhc", mathcoef.TanhPoly)
	c.VMULPS(z, p, p)
	c.VFMADD213PS(ax, ax, p) // |x| + |x|³·P

	small := a.compare(1, ax, a.f32("tanhsmall", 0.625), z) // |x| < 0.625; false for NaN
	a.choose(small, p, big, big)
	c.VORPS(sign, big, x)
}

// log sets x to ln x for positive normal x (callers floor x at 2⁻¹²⁶ first):
// x = 2ᵉ·m with m in [√½, √2), then ln x = e·ln2 + ln m by the Cephes
// polynomial in m−1.
func (a *asmWriter) log(x reg.VecVirtual) {
	c := a.c
	e, m, t := a.vec(), a.vec(), a.vec()
	c.VPSRLD(imm(23), x, e)
	c.VPSUBD(a.splat("logbias", 126), e, e) // x = 2ᵉ·m with m in [0.5, 1)
	c.VCVTDQ2PS(e, e)
	c.VANDPS(a.splat("mantmask", 0x807fffff), x, m)
	c.VORPS(a.splat("half", math.Float32bits(0.5)), m, m)

	lt := a.compare(1, m, a.f32("sqrthalf", 0.70710678118654752), a.vec()) // m < √½: use 2m, e−1
	one := a.reg32("one", 1)
	a.keep(lt, one, t)
	c.VSUBPS(t, e, e)
	a.keep(lt, m, t)
	c.VSUBPS(one, m, m)
	c.VADDPS(t, m, m) // m − 1, or 2m − 1

	z, y := a.vec(), a.vec()
	c.VMULPS(m, m, z)
	a.horner(y, m, "logc", mathcoef.LogPoly)
	c.VMULPS(m, y, y)
	c.VMULPS(z, y, y)
	c.VFMADD231PS(a.f32("ln2lo", mathcoef.Ln2Lo), e, y)
	c.VFMADD231PS(a.f32("neghalf", -0.5), z, y)
	c.VADDPS(m, y, x)
	c.VFMADD231PS(a.f32("ln2hi", mathcoef.Ln2Hi), e, x)
}

// clamp sets x to min(max(x, lo), hi), keeping NaN (x is the second
// source of VMINPS and VMAXPS, which return it when either is NaN). The
// bounds become constants named prefix+"lo" and prefix+"hi".
func (a *asmWriter) clamp(x reg.VecVirtual, prefix string, lo, hi float32) {
	c := a.c
	bound := a.reg32(prefix+"hi", hi)
	c.VMINPS(x, bound, x)
	c.VMOVUPS(a.f32(prefix+"lo", lo), bound)
	c.VMAXPS(x, bound, x)
}

// horner sets p to the polynomial with coefficients coef (highest degree
// first) at x: p = (…(c₀·x + c₁)·x + …) + cₙ, one FMA per coefficient. The
// coefficients become constants named prefix0, prefix1, ….
func (a *asmWriter) horner(p, x reg.VecVirtual, prefix string, coef []float32) {
	a.c.VMOVUPS(a.f32(prefix+"0", coef[0]), p)
	for i, k := range coef[1:] {
		a.c.VFMADD213PS(a.f32(fmt.Sprintf("%s%d", prefix, i+1), k), x, p) // p = p·x + k
	}
}

// geluArg sets v to 2u = z·(GELUV1 + GELUV3·z²) (mathcoef's tanh-form GELU
// as a sigmoid) and z2 to z².
func (a *asmWriter) geluArg(z, v, z2 reg.VecVirtual) {
	c := a.c
	c.VMULPS(z, z, z2)
	c.VMOVUPS(a.f32("geluv3", mathcoef.GELUV3), v)
	c.VFMADD213PS(a.f32("geluv1", mathcoef.GELUV1), z2, v) // GELUV3·z² + GELUV1
	c.VMULPS(z, v, v)
}

// gelu sets x to z·sigmoid(v), the tanh-form GELU without the cancellation
// of 1 + tanh u for negative z.
func (a *asmWriter) gelu(x reg.VecVirtual) {
	s, z2 := a.vec(), a.vec()
	a.geluArg(x, s, z2)
	a.sigmoid(s)
	a.c.VMULPS(s, x, x)
}

// geluGrad sets x (holding z) to gelu′(z) = s + z·s(1−s)·v′ with s =
// sigmoid(v). z is first clamped to ±10⁴, past which s is exactly 0 or 1
// and gelu′ exactly 0 or 1, so z² cannot overflow into Inf·0; NaN is kept.
func (a *asmWriter) geluGrad(x reg.VecVirtual) {
	c := a.c
	a.clamp(x, "gelu", -1e4, 1e4)
	s, z2, t := a.vec(), a.vec(), a.vec()
	a.geluArg(x, s, z2)
	a.sigmoidPair(s, t) // t = 1 − s
	c.VMULPS(s, t, t)
	vp := a.vec()
	c.VMOVUPS(a.f32("geluv3x3", 3*mathcoef.GELUV3), vp)
	c.VFMADD213PS(a.f32("geluv1", mathcoef.GELUV1), z2, vp) // v′ = GELUV1 + 3·GELUV3·z²
	c.VMULPS(vp, t, t)
	c.VFMADD213PS(s, x, t) // z·s(1−s)·v′ + s
	c.VMOVAPS(t, x)
}

// silu sets x to x·sigmoid(x).
func (a *asmWriter) silu(x reg.VecVirtual) {
	s := a.vec()
	a.c.VMOVAPS(x, s)
	a.sigmoid(s)
	a.c.VMULPS(s, x, x)
}

// siluGrad sets x (holding z) to silu′(z) = s·(1 + z(1−s)) = s + s·z(1−s)
// with s = sigmoid(z).
func (a *asmWriter) siluGrad(x reg.VecVirtual) {
	c := a.c
	s, t := a.vec(), a.vec()
	c.VMOVAPS(x, s)
	a.sigmoidPair(s, t) // t = 1 − s
	c.VMULPS(x, t, t)
	c.VFMADD213PS(s, s, t) // s·z(1−s) + s
	c.VMOVAPS(t, x)
}

// The exact GELU, z·Φ(z), through the lower tail of the normal
// distribution (see mathcoef for the approximation). Φ(z) is that tail
// for z < 0 and 1 minus it otherwise, so the lower tail keeps its relative
// precision down to the subnormals. No rounding of a² reaches the
// exponent: h = a·a rounded and l = h − a·a exactly (one FMA), so
// e^(−a²/2) = e^(−h/2)·(1 + l/2) to within 10⁻¹², and e^Q(t), whose
// argument lies in [−1.27, 0], is a second exp.

// normalTail sets q to Φ(−|z|) and g to e^(−z²/2), for z in x (kept).
// |z| is capped at mathcoef.ErfcMax, past which both are 0; NaN is kept.
func (a *asmWriter) normalTail(x, q, g reg.VecVirtual) {
	c := a.c
	ab, t, l := a.vec(), a.vec(), a.vec()
	c.VANDPS(a.splat("absmask", 0x7fffffff), x, ab)
	c.VMINPS(ab, a.reg32("erfcmax", mathcoef.ErfcMax), ab) // NaN stays: ab is the second source
	one := a.reg32("one", 1)
	c.VMOVAPS(one, t)
	c.VFMADD231PS(a.f32("erfcscale", mathcoef.ErfcScale), ab, t) // 1 + a/(2√2)
	c.VDIVPS(t, one, t)

	a.horner(q, t, "erfcc", mathcoef.ErfcPoly)
	a.exp(q) // e^Q(t)

	c.VMULPS(ab, ab, g) // h = a·a, rounded
	c.VMOVAPS(g, l)
	c.VFNMADD231PS(ab, ab, l)              // l = h − a·a, exactly
	c.VMULPS(a.f32("half", 0.5), l, l)     // l/2, exactly
	c.VADDPS(one, l, l)                    // 1 + l/2
	c.VMULPS(a.f32("neghalf", -0.5), g, g) // −h/2, exactly
	a.exp(g)                               // e^(−h/2)
	c.VMULPS(l, g, g)                      // e^(−a²/2)
	c.VMULPS(t, q, q)                      // t·e^Q
	c.VMULPS(a.f32("half", 0.5), q, q)     // ½·t·e^Q
	c.VMULPS(g, q, q)                      // Φ(−a)
}

// normalCDF sets p to Φ(z) from q = Φ(−|z|): q for z < 0, 1 − q otherwise.
func (a *asmWriter) normalCDF(x, q, p reg.VecVirtual) {
	om := a.vec()
	a.c.VSUBPS(q, a.reg32("one", 1), om) // 1 − q
	a.chooseBySign(x, q, om, p)
}

// geluErf sets x to z·Φ(z), the exact GELU.
func (a *asmWriter) geluErf(x reg.VecVirtual) {
	q, g := a.vec(), a.vec()
	a.normalTail(x, q, g)
	a.normalCDF(x, q, g)
	a.c.VMULPS(g, x, x)
}

// geluErfGrad sets x (holding z) to gelu_erf′(z) = Φ(z) + z·φ(z). z is
// first clamped to ±10⁴, past which the derivative is exactly 0 or 1, so
// an infinite z cannot meet φ(z) = 0 in ∞·0; NaN is kept.
func (a *asmWriter) geluErfGrad(x reg.VecVirtual) {
	c := a.c
	a.clamp(x, "gelu", -1e4, 1e4)
	q, g, p := a.vec(), a.vec(), a.vec()
	a.normalTail(x, q, g)
	a.normalCDF(x, q, p)
	c.VMULPS(a.f32("invsqrt2pi", mathcoef.InvSqrt2Pi), g, g) // φ(z)
	c.VFMADD213PS(p, x, g)                                   // z·φ(z) + Φ(z)
	c.VMOVAPS(g, x)
}
