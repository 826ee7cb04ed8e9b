// Package mathcoef holds the constants of the vector elementary functions,
// which every backend renders with the same algorithm, so the same ulp
// bounds hold on every tier.
package mathcoef

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
