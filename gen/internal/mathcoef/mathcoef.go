// Package mathcoef holds the constants of the vector elementary functions,
// which every backend renders with the same algorithm, so the same ulp
// bounds hold on every tier.
package mathcoef

// ExpPoly are the coefficients of e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2
// (Cephes' expf), highest first.
var ExpPoly = []float32{1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1}

// Ln2Hi + Ln2Lo is ln 2, split so that n·Ln2Hi is exact for the n of exp's
// and log's range reductions.
const (
	Ln2Hi = 0.693359375
	Ln2Lo = -2.12194440e-4
)

// TanhPoly approximates tanh x ≈ x + x³·P(x²) for |x| < 0.625, highest first.
var TanhPoly = []float32{-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1}

// LogPoly approximates ln(1+m) ≈ m − m²/2 + m³·P(m) for m in [√½−1, √2−1], highest first.
var LogPoly = []float32{7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1}

// The tanh-form GELU as a sigmoid: 0.5·z·(1 + tanh u) = z·sigmoid(v) with
// v = 2u = GELUV1·z + GELUV3·z³; dv/dz = GELUV1 + 3·GELUV3·z².
const (
	GELUV1 = 2 * 0.7978845608028654 // 2·√(2/π)
	GELUV3 = GELUV1 * 0.044715
)

// The exact GELU, z·Φ(z) with Φ the normal distribution, goes through the
// lower tail Φ(−a) = ½·erfc(a/√2) at a = |z|: ½·t·e^(−a²/2 + Q(t)) with
// t = 1/(1 + ErfcScale·a) and Q the degree-9 polynomial ErfcPoly of
// Numerical Recipes' erfcc (fractional error below 1.2·10⁻⁷ for every a).

// ErfcPoly is Q(t), highest degree first.
var ErfcPoly = []float32{0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223}

const (
	ErfcScale  = 0.35355339059327373 // 1/(2√2): t = 1/(1 + ErfcScale·a)
	ErfcMax    = 20                  // Φ(−20) and e^(−200) are 0 in float32
	InvSqrt2Pi = 0.3989422804014327  // 1/√(2π): φ(z) = e^(−z²/2)/√(2π)
)
