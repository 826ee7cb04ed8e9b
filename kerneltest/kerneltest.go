// Package kerneltest holds what generated tests share: seeded inputs,
// guarded buffers at unaligned offsets, and the tolerance rules that say
// when a kernel's float32 result agrees with the scalar reference.
//
// Tolerances follow the error analysis of a reordered sum: a dot product of
// depth K computed in float32 with fused multiply-adds differs from the
// exactly rounded one by at most about K·u·Σ|xᵢ·wᵢ|, u = 2⁻²⁴. Elementwise
// results must agree to a few units in the last place.
package kerneltest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/vecgen/vecgen/scalar"
)

// Unit is the float32 unit roundoff, 2⁻²⁴.
const Unit = 0x1p-24

// Case is one set of random inputs: a seed, a magnitude and the start
// offset (in elements) of every buffer, so that no kernel can rely on
// alignment.
type Case struct {
	Seed   uint64
	Scale  float32
	Offset int
}

// Cases are the input sets every generated differential test runs.
var Cases = []Case{
	{Seed: 1, Scale: 1, Offset: 0},
	{Seed: 2, Scale: 1e-3, Offset: 1},
	{Seed: 3, Scale: 30, Offset: 3},
	{Seed: 4, Scale: 1, Offset: 7},
}

func (c Case) String() string {
	return fmt.Sprintf("seed=%d,scale=%g,offset=%d", c.Seed, c.Scale, c.Offset)
}

// Rand returns the case's deterministic generator.
func (c Case) Rand() *rand.Rand { return rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15)) }

// Fill sets v to uniform values in [−scale, scale].
func Fill(r *rand.Rand, v []float32, scale float32) {
	for i := range drawn(v) {
		v[i] = scale * (2*r.Float32() - 1)
	}
	repeat(v)
}

// FillRange sets v to uniform values in [lo, hi].
func FillRange(r *rand.Rand, v []float32, lo, hi float32) {
	for i := range drawn(v) {
		v[i] = lo + (hi-lo)*r.Float32()
	}
	repeat(v)
}

// fillPeriod is the most values a fill draws: past it, an array (of a
// near-limit model, up to 2²⁴ floats) repeats its first fillPeriod values,
// which keeps filling at the speed of a copy.
const fillPeriod = 1 << 20

// drawn returns the number of values a fill draws for v.
func drawn(v []float32) int { return min(len(v), fillPeriod) }

// repeat copies v's first fillPeriod values over the rest of v.
func repeat(v []float32) {
	for i := fillPeriod; i < len(v); i += fillPeriod {
		copy(v[i:], v[:fillPeriod])
	}
}

// guard is the bit pattern of the margins: a NaN with a payload no
// arithmetic produces.
const guard = 0x7fa5a5a5

// Margin is the number of guard elements on each side of a buffer.
const Margin = 16

// Guarded is a buffer of n float32 inside a larger allocation whose margins
// hold a guard pattern, so a kernel that writes out of bounds is caught.
type Guarded struct {
	Name string
	buf  []float32
	lo   int
	n    int
}

// NewGuarded allocates n elements starting offset elements past the margin.
func NewGuarded(name string, n, offset int) *Guarded {
	g := &Guarded{Name: name, buf: make([]float32, n+offset+2*Margin), lo: Margin + offset, n: n}
	for _, m := range [][]float32{g.buf[:g.lo], g.buf[g.lo+n:]} { // the inside is zero
		for i := range m {
			m[i] = math.Float32frombits(guard)
		}
	}
	return g
}

// S returns the n usable elements.
func (g *Guarded) S() []float32 { return g.buf[g.lo : g.lo+g.n : g.lo+g.n] }

// CheckMargins fails t if anything outside the usable elements changed.
func (g *Guarded) CheckMargins(t testing.TB) {
	t.Helper()
	for _, m := range []struct {
		margin []float32
		from   int // index of margin[0], relative to the buffer's start
	}{{g.buf[:g.lo], -g.lo}, {g.buf[g.lo+g.n:], g.n}} {
		for i, v := range m.margin {
			if math.Float32bits(v) != guard {
				t.Errorf("%s: element %d outside the buffer was overwritten (%d before, %d after it)", g.Name, m.from+i, g.lo, len(g.buf)-g.lo-g.n)
				return
			}
		}
	}
}

// Abs returns |v| elementwise, widened to float64.
func Abs(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Abs(float64(x))
	}
	return out
}

// Ulp is the spacing of float32 values at |x| (2⁻¹⁴⁹ among the subnormals).
func Ulp(x float64) float64 {
	x = math.Abs(x)
	if x < 0x1p-126 {
		return 0x1p-149
	}
	f := float32(x)
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

// Product is the tolerance of a reordered product C = A·B + c of depth
// depth, given mag = |A|·|B| + |c| (from the reference on absolute values).
func Product(mag []float64, depth int) []float64 {
	tol := make([]float64, len(mag))
	for i, m := range mag {
		tol[i] = float64(depth+2)*Unit*m + 0x1p-140
	}
	return tol
}

// Activated extends a pre-activation tolerance to a layer's output y, given
// the reference pre-activation z: the activations are Lipschitz with a
// constant of at most 1.2 (gelu′ peaks at 1.13, silu′ at 1.10, the others
// at 1), the vector elementary functions add 8 ulp scaled by
// Conditioning, and softmax (per row of width n) moves each probability by
// at most twice the largest logit error.
func Activated(tol []float64, z, want []float32, n int, act scalar.Activation) []float64 {
	out := make([]float64, len(tol))
	for i := range tol {
		out[i] = tol[i]
		if act != scalar.Identity && act != scalar.ReLU {
			out[i] = 1.2*tol[i] + 8*Conditioning(z[i], act)*Ulp(float64(want[i])) + 0x1p-140
		}
	}
	if act == scalar.Softmax {
		for r := 0; r < len(tol); r += n {
			worst := 0.0
			for _, t := range tol[r : r+n] {
				worst = math.Max(worst, t)
			}
			for j := r; j < r+n; j++ {
				out[j] = 2*math.Min(worst, 1) + 8*Ulp(float64(want[j])) + 0x1p-140
			}
		}
	}
	return out
}

// Conditioning is the factor by which float32 evaluation of act at z may
// exceed a few ulp: 1 + |v| for gelu, whose sigmoid argument v =
// 2√(2/π)(z + 0.044715z³) is itself rounded (an error δ in v moves
// sigmoid(v) by a relative |v|(1−s)·δ), and 1 for every other activation.
// |v| is capped at 120: beyond it sigmoid(v) is exactly 0 or 1 in float32.
func Conditioning(z float32, act scalar.Activation) float64 {
	if act != scalar.GELU {
		return 1
	}
	v := math.Abs(scalar.GELUArg(float64(z)))
	if math.IsNaN(v) {
		return 1
	}
	return 1 + math.Min(v, 120)
}

// ActivationUlps is the tolerance of act evaluated at exactly z: k ulp of
// want, scaled by Conditioning.
func ActivationUlps(z, want []float32, act scalar.Activation, k float64) []float64 {
	tol := make([]float64, len(want))
	for i, w := range want {
		tol[i] = k*Conditioning(z[i], act)*Ulp(float64(w)) + 0x1p-140
	}
	return tol
}

// GradTolerance is the tolerance of ActivationGrad's d·act′(a): k ulp of
// |d|·|act′| where act′ is one term. gelu′ = s + z·s(1−s)·v′, silu′ =
// s + z·s(1−s) and gelu_erf′ = Φ + z·φ cancel near their zeros, so for
// them it is k ulp of |d|
// times the sum of the terms' magnitudes, times Conditioning, plus the
// absolute error of a subnormal s (or φ) carried through |d·z·v′|: half of 2⁻¹⁴⁹
// where subnormals are kept, 2⁻¹²⁶ where flushed is set (s may be read or
// written as 0).
func GradTolerance(a, d []float32, act scalar.Activation, k float64, flushed bool) []float64 {
	subError := 0x1p-150
	if flushed {
		subError = 0x1p-126
	}
	tol := make([]float64, len(a))
	for i, x := range a {
		z, dd := float64(x), math.Abs(float64(d[i]))
		var m, sub float64
		switch act {
		case scalar.GELU:
			zc := math.Max(-1e4, math.Min(1e4, z))
			s := 1 / (1 + math.Exp(-scalar.GELUArg(zc)))
			vp := 2 * scalar.GELUScale * (1 + 3*scalar.GELUCubic*zc*zc)
			m = (s + math.Abs(zc*s*(1-s)*vp)) * Conditioning(x, act)
			sub = math.Abs(zc * vp)
		case scalar.SiLU:
			s := 1 / (1 + math.Exp(-z))
			m = s + math.Abs(z*s*(1-s))
			sub = math.Abs(z)
		case scalar.GELUErf:
			zc := math.Max(-1e4, math.Min(1e4, z))
			cdf, pdf := 0.5*math.Erfc(-zc/math.Sqrt2), math.Exp(-zc*zc/2)/math.Sqrt(2*math.Pi)
			m = cdf + math.Abs(zc*pdf)
			sub = math.Abs(zc)
		default:
			m = math.Abs(scalar.Derivative(z, act))
		}
		tol[i] = k*Ulp(dd*m) + dd*(1+sub)*subError + 0x1p-140
		if math.IsNaN(tol[i]) {
			tol[i] = 0 // NaN a or d: Close wants NaN exactly
		}
	}
	return tol
}

// Ulps is an elementwise tolerance of k units in the last place of want.
func Ulps(want []float32, k float64) []float64 {
	tol := make([]float64, len(want))
	for i, w := range want {
		tol[i] = k*Ulp(float64(w)) + 0x1p-140
	}
	return tol
}

// Close fails t unless got matches want within tol elementwise. NaN must
// meet NaN and an infinity the same infinity; a NaN where a number is
// expected always fails.
func Close(t testing.TB, name string, got, want []float32, tol []float64) {
	t.Helper()
	if len(got) != len(want) || len(tol) != len(want) {
		t.Fatalf("%s: lengths got %d, want %d, tol %d", name, len(got), len(want), len(tol))
	}
	bad := 0
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		ok := false
		switch {
		case math.IsNaN(w):
			ok = math.IsNaN(g)
		case math.IsInf(w, 0):
			ok = g == w
		default:
			ok = math.Abs(g-w) <= tol[i] // false for a NaN g
		}
		if !ok {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, want %v (tolerance %.3g)", name, i, got[i], want[i], tol[i])
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d elements differ", name, bad, len(want))
	}
}

// NoSubnormals fails t when any value of v is subnormal: nonzero and
// below 2⁻¹²⁶ in magnitude.
func NoSubnormals(t testing.TB, name string, v []float32) {
	t.Helper()
	for i, x := range v {
		if x != 0 && math.Abs(float64(x)) < 0x1p-126 {
			t.Fatalf("%s[%d] = %g is subnormal", name, i, x)
		}
	}
}

// Equal fails t unless got and want are bit-identical.
func Equal(t testing.TB, name string, got, want []float32) {
	t.Helper()
	if len(got) >= len(want) && bytes.Equal(asBytes(got[:len(want)]), asBytes(want)) {
		return // the common case, at the speed of a memory compare
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s[%d] = %v, want exactly %v", name, i, got[i], want[i])
			return
		}
	}
}

// asBytes is v's memory as bytes.
func asBytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

// Specials are the values a differential test plants in otherwise random
// inputs.
var Specials = []float32{0, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e30, -1e30}

// F64 widens v to float64.
func F64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// OneHot sets t (rows×n) to one-hot rows with random classes.
func OneHot(r *rand.Rand, t []float32, rows, n int) {
	clear(t)
	for i := range rows {
		t[i*n+r.IntN(n)] = 1
	}
}

// GFLOPS reports a benchmark's rate for a kernel of flops operations per
// call. It reports no share of a peak: a constant peak is one machine's
// (Zen 4's AVX2 peak read 105% on a Xeon whose kernel ran at 59% of its
// own); make bench compares the rates with the ceilings it measures in
// the same run.
func GFLOPS(b *testing.B, flops int) {
	b.Helper()
	sec := b.Elapsed().Seconds()
	if sec == 0 {
		return
	}
	b.ReportMetric(float64(flops)*float64(b.N)/sec/1e9, "GFLOP/s")
}

// UlpsOf is an elementwise tolerance of k units in the last place of mag.
func UlpsOf(mag []float64, k float64) []float64 {
	tol := make([]float64, len(mag))
	for i, m := range mag {
		tol[i] = k*Ulp(m) + 0x1p-140
	}
	return tol
}

// CloseScalar fails t unless got is within rel·|want| of want (NaN meets
// NaN, an infinity the same infinity).
func CloseScalar(t testing.TB, name string, got, want float32, rel float64) {
	t.Helper()
	Close(t, name, []float32{got}, []float32{want}, []float64{rel*math.Abs(float64(want)) + 0x1p-140})
}

// Snapshot remembers the contents of input buffers so a test can check
// that a kernel left them alone.
type Snapshot struct {
	bufs  []*Guarded
	saved [][]float32 // a copy of each buffer, or nil when it is Large
	sums  []uint64    // a checksum of each buffer
}

// LargeArray is the size, in floats, past which an array is Large: 16 MiB,
// where filling it, copying it and running the kernel over it each take a
// good part of a second.
const LargeArray = 1 << 22

// Large reports whether an array of size floats (of a near-limit model)
// gets the lighter checks: one random case and the non-finite specials,
// one fuzz seed, and a checksum instead of a copy to find a change to an
// input, so such a model's tests stay within minutes.
func Large(size int) bool { return size > LargeArray }

// Save records the current contents of bufs.
func Save(bufs ...*Guarded) *Snapshot {
	s := &Snapshot{bufs: bufs}
	for _, g := range bufs {
		var saved []float32
		if !Large(len(g.S())) {
			saved = append(saved, g.S()...)
		}
		s.saved = append(s.saved, saved)
		s.sums = append(s.sums, checksum(g.S()))
	}
	return s
}

// Unchanged fails t if any saved buffer changed (bit for bit, so NaN
// inputs compare equal to themselves).
func (s *Snapshot) Unchanged(t testing.TB) {
	t.Helper()
	for i, g := range s.bufs {
		if s.saved[i] != nil {
			Equal(t, g.Name+" (input)", g.S(), s.saved[i])
		} else if checksum(g.S()) != s.sums[i] {
			t.Errorf("%s (input) changed (its checksum differs)", g.Name)
		}
	}
}

// checksum is a position-dependent hash of v's bits (FNV-1a over 32-bit
// words).
func checksum(v []float32) uint64 {
	h := uint64(14695981039346656037)
	for _, f := range v {
		h = (h ^ uint64(math.Float32bits(f))) * 1099511628211
	}
	return h
}

// CheckMargins checks the margins of every buffer.
func CheckMargins(t testing.TB, bufs ...*Guarded) {
	t.Helper()
	for _, g := range bufs {
		g.CheckMargins(t)
	}
}

// FillActivated sets v to values an activation can output: relu ≥ 0 with
// some exact zeros, leaky_relu in [−0.01, 1], sigmoid in (0,1), tanh in
// (−1,1), softmax rows (of width n) that sum to 1; identity anywhere in
// [−1,1]. (gelu and silu take their derivative from z, drawn with Fill.)
func FillActivated(r *rand.Rand, v []float32, n int, act scalar.Activation) {
	Fill(r, v, 1)
	switch act {
	case scalar.ReLU:
		for i := range v {
			v[i] = max(v[i], 0)
		}
	case scalar.Sigmoid:
		FillRange(r, v, 0.001, 0.999)
	case scalar.Tanh:
		FillRange(r, v, -0.999, 0.999)
	case scalar.LeakyReLU:
		for i := range v {
			if v[i] < 0 {
				v[i] *= scalar.LeakySlope
			}
		}
	case scalar.Softmax:
		Fill(r, v, 4)
		for i := 0; i+n <= len(v); i += n {
			scalar.Activate(v[i:i+n], scalar.Softmax)
		}
	}
}

// Label names a special value in a subtest name.
func Label(v float32) string { return fmt.Sprint(v) }

// Sweep returns about n float32 values spread evenly over all bit patterns
// (both signs, subnormals, up to the largest finite), plus ±0, ±Inf and NaN.
func Sweep(n int) []float32 {
	out := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	step := uint64(1<<32) / uint64(n)
	for bits := uint64(0); bits < 1<<32; bits += step {
		v := math.Float32frombits(uint32(bits))
		if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
			out = append(out, v)
		}
	}
	return out
}

// SweepRange returns n values evenly spaced in [lo, hi].
func SweepRange(n int, lo, hi float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = lo + (hi-lo)*float32(i)/float32(n-1)
	}
	return out
}

// LogitExtremes returns n logits that mix ±10⁴ with moderate values, so
// that softmax rows see spreads far past exp's range (e^±10⁴ overflows and
// underflows float32 many times over) yet must stay finite and sum to 1.
func LogitExtremes(n int) []float32 {
	pattern := []float32{1e4, -1e4, 0, 1e4, 9999, -1e4, -1e4, 5, -1e4, 1e4, -3, 1e4, -9999.5, -1e4, 1e4, 1e4, -1e4}
	out := make([]float32, n)
	for i := range out {
		out[i] = pattern[i%len(pattern)]
	}
	return out
}

// FuzzBound is the magnitude Plant folds finite fuzzed values into: with
// the other inputs in [−1, 1], no finite dot product of a few thousand
// terms can overflow float32, so the kernel and its reference must agree.
const FuzzBound = 1e15

// Plant overwrites the start of each of dsts in turn with the float32 bit
// patterns in raw (little-endian, 4 bytes each; a short tail is ignored):
// word i goes to dsts[i mod len(dsts)]. NaN and ±Inf are kept; finite values
// beyond ±FuzzBound are reduced modulo it.
func Plant(raw []byte, dsts ...[]float32) {
	for i := 0; 4*i+4 <= len(raw); i++ {
		dst, at := dsts[i%len(dsts)], i/len(dsts)
		if at >= len(dst) {
			return
		}
		v := math.Float32frombits(uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24)
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) && math.Abs(f) > FuzzBound {
			v = float32(math.Mod(f, FuzzBound))
		}
		dst[at] = v
	}
}

// Bytes is the little-endian encoding of vs, for fuzz seeds.
func Bytes(vs ...float32) []byte {
	out := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		b := math.Float32bits(v)
		out = append(out, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
	}
	return out
}

// ReferenceBudget bounds the multiply-adds one differential check asks of
// the float64 reference, so a generated test stays fast at any valid
// shape: past it, Rows checks a sample of the output's rows.
const ReferenceBudget = 1 << 24

// Rows returns the rows of an n-row output that a check compares with the
// reference when each costs perRow multiply-adds: all of them within
// ReferenceBudget; otherwise the first, the last and rows evenly spaced
// between them, as many as the budget allows and at least those two.
func Rows(n, perRow int) []int {
	k := n
	if perRow > 0 {
		k = min(n, max(2, ReferenceBudget/perRow))
	}
	rows := make([]int, 0, k)
	for i := range k {
		if k == 1 {
			rows = append(rows, 0)
			break
		}
		r := i * (n - 1) / (k - 1)
		if len(rows) == 0 || r != rows[len(rows)-1] {
			rows = append(rows, r)
		}
	}
	return rows
}

// GatherRows returns the rows of the row-major matrix m (rows of width
// floats) listed in idx, as one matrix.
func GatherRows(m []float32, width int, idx []int) []float32 {
	out := make([]float32, 0, len(idx)*width)
	for _, r := range idx {
		out = append(out, m[r*width:(r+1)*width]...)
	}
	return out
}

// GatherCols returns the columns of the rows×width matrix m listed in idx,
// as a rows×len(idx) matrix.
func GatherCols(m []float32, rows, width int, idx []int) []float32 {
	out := make([]float32, 0, rows*len(idx))
	for r := range rows {
		for _, c := range idx {
			out = append(out, m[r*width+c])
		}
	}
	return out
}

// RowsName names the rows a check compares: name alone when they are all
// n rows, else name and the rows, so a failure's index can be traced.
func RowsName(name string, idx []int, n int) string {
	if len(idx) == n {
		return name
	}
	return fmt.Sprintf("%s rows %v", name, idx)
}

// Affordable reports whether a test may run the reference over a whole
// product of flops floating-point operations: the reference tier of a
// generated package is package scalar itself, which at ReferenceBudget
// multiply-adds already takes tens of milliseconds.
func Affordable(flops int) bool { return flops <= 64*2*ReferenceBudget }

// IdentityProduct returns z = x·w + 0 for the rows×in matrix x and the
// in×out w holding an identity block (w[k,k] = 1 for k < min(in, out), 0
// elsewhere), as the float64 reference sums it, without its rows·in·out
// multiply-adds: z[i,j] is 0 + x[i,j] for j < min(in, out) (−0 becomes
// +0), 0 past it, and NaN wherever a NaN or an infinity of row i meets a
// 0 of w, that is in every column but its own.
func IdentityProduct(x []float32, rows, in, out int) []float32 {
	n := min(in, out)
	z := make([]float32, rows*out)
	nan := float32(math.NaN())
	for i := range rows {
		row := x[i*in : (i+1)*in]
		bad, at := 0, -1 // non-finite inputs in the row, and where the last is
		for k, v := range row {
			if v-v != 0 {
				bad, at = bad+1, k
			}
		}
		for j := range out {
			v := float32(0)
			if j < n {
				v += row[j]
			}
			if bad > 1 || bad == 1 && at != j {
				v = nan
			}
			z[i*out+j] = v
		}
	}
	return z
}

// ElementBudget bounds the elements an elementwise check compares with
// the reference (its float64 copies and tolerances cost tens of bytes
// each).
const ElementBudget = 1 << 20

// Elements returns the indices of an n-element output that a check
// compares with the reference: all of them up to ElementBudget, otherwise
// the first and the last ElementBudget/2, which hold the start of the
// kernel's vector loop and its tail.
func Elements(n int) []int {
	idx := make([]int, 0, min(n, ElementBudget))
	for i := range n {
		if n > ElementBudget && i == ElementBudget/2 {
			break
		}
		idx = append(idx, i)
	}
	if n > ElementBudget {
		for i := n - ElementBudget/2; i < n; i++ {
			idx = append(idx, i)
		}
	}
	return idx
}

// Gather returns v's elements at idx.
func Gather(v []float32, idx []int) []float32 {
	out := make([]float32, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}

// ElementsName names the elements a check compares: name alone when they
// are all n, else name and which they are.
func ElementsName(name string, idx []int, n int) string {
	if len(idx) == n {
		return name
	}
	return fmt.Sprintf("%s (its first and last %d elements)", name, len(idx)/2)
}

// CasesFor returns the cases a test of a kernel whose largest array holds
// size floats runs: all of Cases, or the first when it is Large.
func CasesFor(size int) []Case {
	if Large(size) {
		return Cases[:1]
	}
	return Cases
}

// SpecialsFor returns the special values such a test plants: all of
// Specials, or the non-finite ones when the array is Large.
func SpecialsFor(size int) []float32 {
	if Large(size) {
		return Specials[1:4] // NaN, +Inf, −Inf
	}
	return Specials
}

// FlushFloor is the absolute error that kernels flushing subnormals to
// zero (MXCSR's FTZ and DAZ) may add to a result, 2⁻¹¹⁹: a flushed operand
// or result moves a value by less than 2⁻¹²⁶, and what the kernels do with
// it scales that by at most 128 (silu's z·sigmoid(z) multiplies a flushed
// sigmoid by |z| < 104, past which sigmoid is 0 anyway; a product of
// inputs of the tests' magnitudes meets a subnormal partial sum only by
// rare cancellation).
const FlushFloor = 0x1p-119

// DAZ returns a copy of s as a kernel that flushes subnormals reads it
// (MXCSR's DAZ): every value below 2⁻¹²⁶ in magnitude becomes a zero of its
// sign. A reference given these operands meets the same zeros, so a
// subnormal times ±Inf is NaN in both, and a subnormal times a large weight
// is 0 in both.
func DAZ(s []float32) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		if v != 0 && math.Abs(float64(v)) < 0x1p-126 {
			v = float32(math.Copysign(0, float64(v)))
		}
		out[i] = v
	}
	return out
}

// Floored returns tol with floor added to every element, in place.
func Floored(tol []float64, floor float64) []float64 {
	for i := range tol {
		tol[i] += floor
	}
	return tol
}
