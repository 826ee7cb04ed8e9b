package scalar

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The seeds' worked example: X (3×4) · W (4×2) + b.
func TestDenseWorkedExample(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	w := []float64{.1, .2, .3, .4, .5, .6, .7, .8}
	b := []float64{.1, .2}
	y := make([]float64, 6)
	Dense(x, w, b, y, 3, 4, 2, Identity)
	assert.InDeltaSlice(t, []float64{5.1, 6.2, 11.5, 14.2, 17.9, 22.2}, y, 1e-12)

	y32 := make([]float32, 6)
	Dense(f32(x), f32(w), f32(b), y32, 3, 4, 2, Identity)
	assert.InDeltaSlice(t, []float32{5.1, 6.2, 11.5, 14.2, 17.9, 22.2}, y32, 1e-5)
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func TestActivations(t *testing.T) {
	row := []float64{-2, 0, 3, math.NaN()}
	Activate(row, ReLU)
	assert.Equal(t, []float64{0, 0, 3}, row[:3])
	assert.True(t, math.IsNaN(row[3]))

	row = []float64{0, 2}
	Activate(row, Sigmoid)
	assert.InDelta(t, 0.5, row[0], 1e-15)
	assert.InDelta(t, 0.8807970779778823, row[1], 1e-15)

	row = []float64{0, 1, -1}
	Activate(row, Tanh)
	assert.InDeltaSlice(t, []float64{0, 0.7615941559557649, -0.7615941559557649}, row, 1e-15)

	// Softmax of (1, 2, 3): e^{-2}, e^{-1}, 1 over their sum.
	row = []float64{1, 2, 3}
	Activate(row, Softmax)
	s := math.Exp(-2) + math.Exp(-1) + 1
	assert.InDeltaSlice(t, []float64{math.Exp(-2) / s, math.Exp(-1) / s, 1 / s}, row, 1e-15)

	// Huge logits stay finite: the maximum is subtracted first.
	big := []float32{1e4, -1e4, 1e4}
	Activate(big, Softmax)
	assert.Equal(t, []float32{0.5, 0, 0.5}, big)
}

func TestActivationGrad(t *testing.T) {
	d := []float64{1, 1, 1}
	ActivationGrad([]float64{-1, 0, 2}, d, ReLU)
	assert.Equal(t, []float64{0, 0, 1}, d)

	d = []float64{2, 2}
	ActivationGrad([]float64{0.5, 0.25}, d, Sigmoid)
	assert.Equal(t, []float64{0.5, 2 * 0.25 * 0.75}, d)

	d = []float64{2, 2}
	ActivationGrad([]float64{0.5, -1}, d, Tanh)
	assert.Equal(t, []float64{1.5, 0}, d)

	assert.Panics(t, func() { ActivationGrad([]float64{1}, []float64{1}, Softmax) })
}

func TestDenseGradients(t *testing.T) {
	// X 2×3, dZ 2×2: dW = Xᵀ·dZ, db = column sums, dX = dZ·Wᵀ.
	x := []float64{1, 2, 3, 4, 5, 6}
	dz := []float64{1, -1, 2, 0.5}
	dw := make([]float64, 6)
	db := make([]float64, 2)
	DenseGrad(x, dz, dw, db, 2, 3, 2)
	assert.Equal(t, []float64{1 + 8, -1 + 2, 2 + 10, -2 + 2.5, 3 + 12, -3 + 3}, dw)
	assert.Equal(t, []float64{3, -0.5}, db)

	w := []float64{1, 2, 3, 4, 5, 6} // 3×2
	dx := make([]float64, 6)
	DenseInputGrad(dz, w, dx, 2, 3, 2)
	assert.Equal(t, []float64{1 - 2, 3 - 4, 5 - 6, 2 + 1, 6 + 2, 10 + 3}, dx)
}

func TestLosses(t *testing.T) {
	// Two samples, three classes.
	p := []float64{0.7, 0.2, 0.1, 0.1, 0.1, 0.8}
	tg := []float64{1, 0, 0, 0, 0, 1}
	dz := make([]float64, 6)
	l := SoftmaxCrossEntropy(p, tg, dz, 2, 3)
	assert.InDelta(t, -(math.Log(0.7)+math.Log(0.8))/2, l, 1e-15)
	assert.InDeltaSlice(t, []float64{-0.15, 0.1, 0.05, 0.05, 0.05, -0.1}, dz, 1e-15)

	// A probability that underflowed to zero costs ln(2¹²⁶), not +Inf.
	l = SoftmaxCrossEntropy([]float64{0, 1}, []float64{1, 0}, make([]float64, 2), 1, 2)
	assert.InDelta(t, 126*math.Ln2, l, 1e-12)

	a := []float64{0.9, 0.2}
	y := []float64{1, 0}
	dz = make([]float64, 2)
	l = SigmoidBinaryCrossEntropy(a, y, dz, 2, 1)
	assert.InDelta(t, -(math.Log(0.9)+math.Log(0.8))/2, l, 1e-15)
	assert.InDeltaSlice(t, []float64{-0.05, 0.1}, dz, 1e-15)

	dy := make([]float64, 4)
	l = MeanSquaredError([]float64{1, 2, 3, 4}, []float64{0, 2, 5, 4}, dy, 2, 2)
	assert.InDelta(t, (1.0+4)/4, l, 1e-15)
	assert.InDeltaSlice(t, []float64{0.5, 0, -1, 0}, dy, 1e-15)

	nan := SoftmaxCrossEntropy([]float64{math.NaN(), 1}, []float64{0, 1}, make([]float64, 2), 1, 2)
	assert.True(t, math.IsNaN(nan))
}

func TestSGD(t *testing.T) {
	w := []float32{1, 2}
	SGD(w, []float32{10, -10}, 0.5, 0)
	assert.Equal(t, []float32{-4, 7}, w)
	SGD(w, []float32{0, 0}, 0.5, 0.5) // decay alone: w ← w·(1 − 0.25)
	assert.Equal(t, []float32{-3, 5.25}, w)
}

func TestMomentum(t *testing.T) {
	p, v := []float64{1}, []float64{0}
	Momentum(p, []float64{2}, v, 0.1, 0, 0.9, false) // v = 2, p = 1 − 0.2
	Momentum(p, []float64{2}, v, 0.1, 0, 0.9, false) // v = 3.8, p = 0.8 − 0.38
	assert.InDeltaSlice(t, []float64{0.42}, p, 1e-15)
	assert.InDeltaSlice(t, []float64{3.8}, v, 1e-15)

	p, v = []float64{1}, []float64{0}
	Momentum(p, []float64{2}, v, 0.1, 0, 0.9, true) // v = 2, p = 1 − 0.1·(2 + 1.8)
	assert.InDeltaSlice(t, []float64{0.62}, p, 1e-15)
}

func TestAdam(t *testing.T) {
	// The first step moves every parameter by lr against the sign of its
	// gradient (up to ε): m̂ = g and v̂ = g².
	const lr, b1, b2 = 0.01, 0.9, 0.999
	p, m, v := []float64{1, 1}, []float64{0, 0}, []float64{0, 0}
	Adam(p, []float64{3, -0.5}, m, v, lr, 0, b1, b2, 1e-12, 1/(1-b1), 1/(1-b2), false)
	assert.InDeltaSlice(t, []float64{0.99, 1.01}, p, 1e-10)
	assert.InDeltaSlice(t, []float64{0.3, -0.05}, m, 1e-15)
	assert.InDeltaSlice(t, []float64{9e-3, 2.5e-4}, v, 1e-15)

	// Coupled decay enters the gradient; decoupled decay scales p first.
	p, m, v = []float64{2}, []float64{0}, []float64{0}
	Adam(p, []float64{0}, m, v, lr, 0.5, b1, b2, 1e-12, 1/(1-b1), 1/(1-b2), false)
	assert.InDeltaSlice(t, []float64{1.99}, p, 1e-10) // g′ = 1
	p, m, v = []float64{2}, []float64{0}, []float64{0}
	Adam(p, []float64{0}, m, v, lr, 0.5, b1, b2, 1e-12, 1/(1-b1), 1/(1-b2), true)
	assert.InDeltaSlice(t, []float64{2 * (1 - lr*0.5)}, p, 1e-15) // g = 0: no Adam step
	assert.Equal(t, []float64{0}, m)
}

func TestNewActivations(t *testing.T) {
	row := []float64{-2, 0, 1, 3}
	Activate(row, LeakyReLU)
	assert.Equal(t, []float64{-0.02, 0, 1, 3}, row)

	// Published values of the tanh-form GELU and of SiLU at 1 and −1.
	row = []float64{1, -1}
	Activate(row, GELU)
	want := func(z float64) float64 {
		return 0.5 * z * (1 + math.Tanh(GELUScale*(z+GELUCubic*z*z*z)))
	}
	assert.InDeltaSlice(t, []float64{want(1), want(-1)}, row, 1e-15)
	assert.InDelta(t, 0.8411919906082768, row[0], 1e-15)
	row = []float64{1, -1}
	Activate(row, SiLU)
	assert.InDeltaSlice(t, []float64{0.7310585786300049, -0.2689414213699951}, row, 1e-15)
	// Far below zero, gelu keeps the precision the tanh form loses.
	row = []float64{-10}
	Activate(row, GELU)
	assert.Less(t, row[0], 0.0)
	assert.InEpsilon(t, -10*math.Exp(GELUArg(-10)), row[0], 1e-12)

	// The exact GELU: Φ(1) = 0.8413447460685429, Φ(−1) its complement, and
	// far below zero the tail z·Φ(z) ≈ z·φ(z)/|z|·(1 − 1/z²), which erfc
	// keeps where 1 + erf(z/√2) would be 0.
	row = []float64{1, -1, -10}
	Activate(row, GELUErf)
	assert.InDeltaSlice(t, []float64{0.8413447460685429, -0.15865525393145707}, row[:2], 1e-15)
	phi := math.Exp(-50) / math.Sqrt(2*math.Pi)
	assert.InEpsilon(t, -phi*(1-0.01+0.0003), row[2], 1e-4)
	assert.Equal(t, 1.0, Derivative(math.Inf(1), GELUErf))
	assert.Equal(t, 0.0, Derivative(math.Inf(-1), GELUErf))
}

// TestDerivatives checks every elementwise derivative against central
// differences of the activation, at points away from kinks.
func TestDerivatives(t *testing.T) {
	for _, act := range []Activation{Identity, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, GELUErf, SiLU} {
		for _, z := range []float64{-7, -2.5, -0.75, -0.1, 0.3, 1, 4, 9} {
			f := func(z float64) float64 { r := []float64{z}; Activate(r, act); return r[0] }
			const h = 1e-6
			fd := (f(z+h) - f(z-h)) / (2 * h)
			a := f(z) // the output, for derivatives taken from y
			if act.FromPreActivation() {
				a = z
			}
			assert.InDelta(t, fd, Derivative(a, act), 1e-8*(1+math.Abs(fd)), "%s′(%g)", act, z)
		}
	}
}

func TestShortSlicePanics(t *testing.T) {
	assert.PanicsWithValue(t, "scalar: y has 5 elements, needs 6", func() {
		Dense(make([]float32, 12), make([]float32, 8), make([]float32, 2), make([]float32, 5), 3, 4, 2, Identity)
	})
}

// TestDenseSumsInOrder checks Dense and DenseGrad, which accumulate a row
// of outputs at a time in blocks of sumBlock, bit for bit against the
// plain loops they stand for (each sum over k, resp. i, in order), with
// more outputs than one block.
func TestDenseSumsInOrder(t *testing.T) {
	const batch, in, out = 3, 5, sumBlock + 44
	x, w, b := make([]float64, batch*in), make([]float64, in*out), make([]float64, out)
	for i := range x {
		x[i] = math.Sin(float64(i)) * 3
	}
	for i := range w {
		w[i] = math.Cos(float64(i)) / 7
	}
	for i := range b {
		b[i] = float64(i) / 100
	}
	y := make([]float64, batch*out)
	Dense(x, w, b, y, batch, in, out, Identity)
	dw, db := make([]float64, in*out), make([]float64, out)
	DenseGrad(x, y, dw, db, batch, in, out)
	for i := range batch {
		for j := range out {
			sum := b[j]
			for k := range in {
				sum += x[i*in+k] * w[k*out+j]
			}
			if y[i*out+j] != sum {
				t.Fatalf("y[%d,%d] = %v, want %v", i, j, y[i*out+j], sum)
			}
		}
	}
	for k := range in {
		for j := range out {
			sum := 0.0
			for i := range batch {
				sum += x[i*in+k] * y[i*out+j]
			}
			if dw[k*out+j] != sum {
				t.Fatalf("dw[%d,%d] = %v, want %v", k, j, dw[k*out+j], sum)
			}
		}
	}
}
