//go:build gc && !purego && (amd64 || arm64)

package mathkernels

import (
	"math"
	"os"
	"testing"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/kerneltest"
	"github.com/vecgen/vecgen/scalar"
)

// bound is a function's documented accuracy over the inputs domain
// admits: |got − want| ≤ ulps·Conditioning(x)·ulp(want), where ulp is
// 2⁻¹⁴⁹ among the subnormals and kerneltest.Conditioning is 1 but for gelu;
// plus, for the functions computed as z·s with s a sigmoid or the normal
// distribution (gelu, gelu_erf, silu), |z|·2⁻¹⁵⁰: s is rounded to a
// subnormal first when the result is tiny (below about 10⁻³⁶), and that
// rounding error is multiplied by |z|.
type bound struct {
	name   string
	act    scalar.Activation // for Conditioning; Identity for exp and log
	ref    func(float64) float64
	domain func(float32) bool
	ulps   float64
	zs     bool // the result is z·sigmoid(·)
}

func activation(act scalar.Activation) func(float64) float64 {
	return func(z float64) float64 {
		row := []float64{z}
		scalar.Activate(row, act)
		return row[0]
	}
}

func finite(x float32) bool { return !math.IsInf(float64(x), 0) && !math.IsNaN(float64(x)) }

var bounds = []bound{
	{"Exp", scalar.Identity, math.Exp, finite, 1, false},
	// Log's callers floor its argument at 2⁻¹²⁶ (and carry NaN around it):
	// positive normal floats only.
	{"Log", scalar.Identity, math.Log, func(x float32) bool { return x >= 0x1p-126 && finite(x) }, 1, false},
	{"Sigmoid", scalar.Sigmoid, activation(scalar.Sigmoid), finite, 3, false},
	{"Tanh", scalar.Tanh, activation(scalar.Tanh), finite, 2, false},
	{"GELU", scalar.GELU, activation(scalar.GELU), finite, 4, true},
	{"GELUErf", scalar.GELUErf, activation(scalar.GELUErf), finite, 10, true},
	{"SiLU", scalar.SiLU, activation(scalar.SiLU), finite, 4, true},
}

// eachTier runs f as a subtest with the functions of every tier, skipping
// a tier the CPU (or GODEBUG) does not allow.
func eachTier(t *testing.T, f func(t *testing.T, fn map[string]func(*[Len]float32))) {
	for _, tr := range tiers {
		t.Run(tr.tier.String(), func(t *testing.T) {
			if !compiled.CPUHas(tr.tier) {
				t.Skipf("this CPU (or GODEBUG) has no %s", tr.tier)
			}
			f(t, tr.fn)
		})
	}
}

// tolerance is b's bound at input x with exact result want.
func (b bound) tolerance(x float32, want float64) float64 {
	tol := b.ulps * kerneltest.Conditioning(x, b.act) * kerneltest.Ulp(want)
	if b.zs {
		tol += math.Abs(float64(x)) * 0x1p-150
	}
	return tol
}

// sweep runs b over every step-th float32 bit pattern its domain admits
// and returns the largest |got − want| as a fraction of the tolerance (≤ 1
// passes), the input that gave it, the largest error in ulps of want, and
// the number of inputs. NaN must give NaN and ±Inf the same Inf.
func sweep(b bound, f func(*[Len]float32), step uint64) (worst float64, at float32, ulps float64, count int) {
	var in, buf [Len]float32
	n := 0
	flush := func() {
		copy(buf[:n], in[:n])
		f(&buf)
		for i := range n {
			want, got := b.ref(float64(in[i])), float64(buf[i])
			var rel, d float64
			switch w := float64(float32(want)); {
			case math.IsNaN(want) || math.IsNaN(got) || math.IsInf(w, 0) || math.IsInf(got, 0):
				if !(got == w || math.IsNaN(want) && math.IsNaN(got)) {
					rel, d = math.Inf(1), math.Inf(1)
				}
			default:
				d = math.Abs(got-want) / kerneltest.Ulp(want)
				rel = math.Abs(got-want) / b.tolerance(in[i], want)
			}
			ulps = max(ulps, d)
			if rel > worst {
				worst, at = rel, in[i]
			}
		}
		count += n
		n = 0
	}
	for bits := uint64(0); bits < 1<<32; bits += step {
		x := math.Float32frombits(uint32(bits))
		if !b.domain(x) {
			continue
		}
		in[n] = x
		n++
		if n == Len {
			flush()
		}
	}
	flush()
	return worst, at, ulps, count
}

// TestAccuracy sweeps each function of each tier over its whole float32
// domain (every 251st bit pattern; every one with VECGEN_LONG_SWEEP=1)
// against float64 math and holds it to its documented bound.
func TestAccuracy(t *testing.T) {
	step := uint64(251) // prime, so the sweep hits every exponent and mantissa pattern class
	if os.Getenv("VECGEN_LONG_SWEEP") != "" {
		step = 1
	}
	eachTier(t, func(t *testing.T, fn map[string]func(*[Len]float32)) {
		for _, b := range bounds {
			t.Run(b.name, func(t *testing.T) {
				worst, at, ulps, n := sweep(b, fn[b.name], step)
				t.Logf("%s: %d inputs; worst error %.3g of the bound (at x = %g), %.3g ulp at most",
					b.name, n, worst, at, ulps)
				if !(worst <= 1) {
					t.Errorf("%s(%g) is %.3g× its bound from float64 math", b.name, at, worst)
				}
			})
		}
	})
}

// TestSpecialValues pins NaN, the infinities and the ends of the ranges.
func TestSpecialValues(t *testing.T) { eachTier(t, testSpecialValues) }

func testSpecialValues(t *testing.T, fn map[string]func(*[Len]float32)) {
	inf, nan, negZero := math.Inf(1), math.NaN(), math.Copysign(0, -1)
	cases := []struct {
		name string
		in   float64
		want float64
	}{
		{"Exp", nan, nan}, {"Exp", inf, inf}, {"Exp", -inf, 0},
		{"Exp", 88.8, inf}, {"Exp", -104, 0}, {"Exp", 0, 1},
		{"Exp", -100, math.Exp(-100)}, // subnormal
		{"Log", 1, 0}, {"Log", 0x1p-126, -126 * math.Ln2}, {"Log", math.MaxFloat32, math.Log(math.MaxFloat32)},
		{"Sigmoid", nan, nan}, {"Sigmoid", inf, 1}, {"Sigmoid", -inf, 0},
		{"Tanh", nan, nan}, {"Tanh", inf, 1}, {"Tanh", -inf, -1}, {"Tanh", negZero, negZero},
		{"GELU", nan, nan}, {"GELU", inf, inf}, {"GELU", -1e4, negZero},
		{"GELUErf", nan, nan}, {"GELUErf", inf, inf}, {"GELUErf", -1e4, negZero}, {"GELUErf", -20, negZero},
		{"GELUErf", 0, 0}, {"GELUErf", 1e4, 1e4},
		{"SiLU", nan, nan}, {"SiLU", inf, inf}, {"SiLU", -1e4, negZero},
	}
	for _, c := range cases {
		var buf [Len]float32
		for i := range buf {
			buf[i] = float32(c.in)
		}
		fn[c.name](&buf)
		got, want := buf[Len-1], float32(c.want)
		if !(got == want && math.Signbit(float64(got)) == math.Signbit(float64(want)) || got != got && want != want) {
			t.Errorf("%s(%g) = %g, want %g", c.name, c.in, got, want)
		}
	}
}
