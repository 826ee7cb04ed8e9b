// Package scalar is the reference implementation of every operation vecgen
// generates: plain loops, written to be obviously right.
//
// It has two users. Generated tests compare each assembly kernel against it, and
// generated code calls it as the portable fallback when AVX2 and FMA are
// absent (purego builds, other architectures, older CPUs). Nothing in it is
// generated, so a generator bug cannot corrupt both sides of a comparison.
//
// Layout is row-major with samples in rows: for a dense layer with batch B,
// K inputs and N outputs, X is B×K, W is K×N, b has N entries and Y is B×N.
// Functions are generic over float32 and float64; sums are accumulated in
// float64 whatever the element type, so the float32 results are the exactly
// rounded sums the kernels approximate.
package scalar

import (
	"fmt"
	"math"
	"unsafe"
)

// Float is an element type the reference computes with.
type Float interface{ ~float32 | ~float64 }

// Activation names an elementwise (or, for Softmax, row-wise) function.
type Activation int

// The activations, in the order of their spec names.
const (
	Identity  Activation = iota // a(z) = z
	ReLU                        // a(z) = max(z, 0); NaN stays NaN
	Sigmoid                     // a(z) = 1 / (1 + e^−z)
	Tanh                        // a(z) = tanh z
	Softmax                     // a(z)ᵢ = e^(zᵢ−m) / Σⱼ e^(zⱼ−m), m = maxⱼ zⱼ, per row
	LeakyReLU                   // a(z) = z for z > 0, LeakySlope·z otherwise
	GELU                        // a(z) = 0.5·z·(1 + tanh u), u = √(2/π)·(z + 0.044715·z³)
	SiLU                        // a(z) = z·sigmoid(z)
	GELUErf                     // a(z) = z·Φ(z) = 0.5·z·(1 + erf(z/√2)), Φ the normal distribution
)

var activationNames = [...]string{"identity", "relu", "sigmoid", "tanh", "softmax", "leaky_relu", "gelu", "silu", "gelu_erf"}

// LeakySlope is LeakyReLU's slope below zero (PyTorch's default).
const LeakySlope = 0.01

// The constants of the tanh form of GELU: u = GELUScale·(z + GELUCubic·z³).
const (
	GELUScale = 0.7978845608028654 // √(2/π)
	GELUCubic = 0.044715
)

// FromPreActivation reports whether act′ is computed from the pre-activation
// z (GELU, GELUErf, SiLU) rather than from the output y (all others).
func (a Activation) FromPreActivation() bool { return a == GELU || a == GELUErf || a == SiLU }

func (a Activation) String() string {
	if a >= 0 && int(a) < len(activationNames) {
		return activationNames[a]
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

func checkLen(what string, got, want int) {
	if got < want {
		panic(fmt.Sprintf("scalar: %s has %d elements, needs %d", what, got, want))
	}
}

// Dense computes Y = act(X·W + b):
//
//	Y[i,j] = act(b[j] + Σₖ X[i,k]·W[k,j])   for i < batch, j < out.
func Dense[F Float](x, w, b, y []F, batch, in, out int, act Activation) {
	checkLen("b", len(b), out)
	denseRows(x, w, b, y, batch, in, in, out)
	for i := range batch {
		Activate(y[i*out:(i+1)*out], act)
	}
}

// DenseRows computes the product of the first depth columns of x, whose
// rows are stride apart, with the depth×out matrix w:
// P[i,j] = Σₖ x[i·stride + k]·W[k,j] for k < depth. With x a view from
// column k0 of a layer's input (stride its width) and w from row k0 of its
// weights, that is the layer's product over inputs k0 to k0+depth−1.
func DenseRows[F Float](x, w, p []F, batch, stride, depth, out int) {
	denseRows(x, w, nil, p, batch, stride, depth, out)
}

// denseRows is DenseRows with each sum starting at b[j] (at 0 when b is
// nil).
func denseRows[F Float](x, w, b, y []F, batch, stride, depth, out int) {
	checkLen("x", len(x), (batch-1)*stride+depth)
	checkLen("w", len(w), depth*out)
	checkLen("y", len(y), batch*out)
	var sums [sumBlock]float64
	for i := range batch {
		row := y[i*out : (i+1)*out]
		for j0 := 0; j0 < out; j0 += sumBlock {
			sum := sums[:min(sumBlock, out-j0)]
			for j := range sum {
				sum[j] = 0
				if b != nil {
					sum[j] = float64(b[j0+j])
				}
			}
			for k := range depth { // a row of w at a time: each sum still adds k in order
				xk := float64(x[i*stride+k])
				for j, wkj := range w[k*out+j0 : k*out+j0+len(sum)] {
					sum[j] += xk * float64(wkj)
				}
			}
			for j, v := range sum {
				row[j0+j] = F(v)
			}
		}
	}
}

// Combine finishes a dense layer from its products over two halves of the
// inputs, in F's own arithmetic, as the kernels do:
//
//	Y[i,j] = act((P0[i,j] + P1[i,j]) + b[j])   for i < batch, j < out.
func Combine[F Float](p0, p1, b, y []F, batch, out int, act Activation) {
	checkLen("p0", len(p0), batch*out)
	checkLen("p1", len(p1), batch*out)
	checkLen("b", len(b), out)
	checkLen("y", len(y), batch*out)
	for i := range batch {
		row := y[i*out : (i+1)*out]
		for j := range row {
			row[j] = F(p0[i*out+j]+p1[i*out+j]) + b[j]
		}
		Activate(row, act)
	}
}

// sumBlock is the number of outputs whose sums a product accumulates at
// once, walking rows of its right operand rather than columns.
const sumBlock = 256

// Activate applies act in place to one row of outputs.
func Activate[F Float](row []F, act Activation) {
	switch act {
	case Identity:
	case ReLU:
		for j, z := range row {
			row[j] = F(relu(float64(z)))
		}
	case Sigmoid:
		for j, z := range row {
			row[j] = F(sigmoid(float64(z)))
		}
	case Tanh:
		for j, z := range row {
			row[j] = F(math.Tanh(float64(z)))
		}
	case Softmax:
		softmax(row)
	case LeakyReLU:
		for j, z := range row {
			row[j] = F(leakyReLU(float64(z)))
		}
	case GELU:
		for j, z := range row {
			row[j] = F(gelu(float64(z)))
		}
	case SiLU:
		for j, z := range row {
			row[j] = F(float64(z) * sigmoid(float64(z)))
		}
	case GELUErf:
		for j, z := range row {
			row[j] = F(float64(z) * normalCDF(float64(z)))
		}
	default:
		panic("scalar: unknown activation " + act.String())
	}
}

func leakyReLU(z float64) float64 {
	if z > 0 || z != z {
		return z
	}
	return LeakySlope * z
}

// GELUArg is 2u = 2·GELUScale·(z + GELUCubic·z³), the argument of the
// sigmoid in gelu(z) = z·sigmoid(2u).
func GELUArg(z float64) float64 { return 2 * GELUScale * (z + GELUCubic*z*z*z) }

// gelu is 0.5·z·(1 + tanh u), evaluated as z·sigmoid(2u), the same function
// (1 + tanh u = 2·sigmoid(2u)) without the cancellation of 1 + tanh u for
// negative z.
func gelu(z float64) float64 { return z * sigmoid(GELUArg(z)) }

// normalCDF is Φ(z) = 0.5·erfc(−z/√2), accurate in the lower tail too.
func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// normalPDF is φ(z) = e^(−z²/2)/√(2π).
func normalPDF(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }

func relu(z float64) float64 {
	if z > 0 || z != z {
		return z
	}
	return 0
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// softmax computes e^(z−m)/Σe^(z−m) with m the row's maximum, so that no
// finite logit overflows. A NaN anywhere in the row makes the row NaN.
func softmax[F Float](row []F) {
	m := math.Inf(-1)
	for _, z := range row {
		if float64(z) > m || z != z {
			m = float64(z)
		}
	}
	sum := 0.0
	for j, z := range row {
		e := math.Exp(float64(z) - m)
		row[j] = F(e)
		sum += float64(F(e))
	}
	for j := range row {
		row[j] = F(float64(row[j]) / sum)
	}
}

// ActivationGrad turns dY into dZ in place: d ← d ⊙ act′. The derivative
// is computed from a, which is the layer's output y, or its pre-activation
// z for the activations where act.FromPreActivation():
//
//	identity    1
//	relu        [y > 0]
//	leaky_relu  1 if y > 0, else LeakySlope
//	sigmoid     y(1−y)
//	tanh        1−y²
//	gelu        s + z·s(1−s)·v′,  s = sigmoid(v), v = 2u = 2√(2/π)(z + 0.044715z³), v′ = 2√(2/π)(1 + 3·0.044715z²)
//	silu        s·(1 + z(1−s)),   s = sigmoid(z)
//	gelu_erf    Φ(z) + z·φ(z),    Φ and φ the normal distribution and density
//
// Softmax has no elementwise derivative: its gradient comes fused with the
// cross-entropy loss (see SoftmaxCrossEntropy).
func ActivationGrad[F Float](a, d []F, act Activation) {
	checkLen("d", len(d), len(a))
	for i, v := range a {
		if act == ReLU && !(v > 0) {
			d[i] = 0 // masked, as a relu passes no gradient: even a NaN or ±Inf d becomes 0
			continue
		}
		d[i] = F(float64(d[i]) * Derivative(float64(v), act))
	}
}

// Derivative is act′ at a, where a is the output y or, for the activations
// where act.FromPreActivation(), the pre-activation z (see ActivationGrad).
func Derivative(a float64, act Activation) float64 {
	switch act {
	case Identity:
		return 1
	case ReLU:
		if a > 0 {
			return 1
		}
		return 0
	case LeakyReLU:
		if a > 0 {
			return 1
		}
		return LeakySlope
	case Sigmoid:
		return a * (1 - a)
	case Tanh:
		return 1 - a*a
	case GELU:
		s := sigmoid(GELUArg(a))
		if s == 0 || s == 1 {
			return s // the limits at ∓∞, where the second term is 0·∞
		}
		return s + a*s*(1-s)*2*GELUScale*(1+3*GELUCubic*a*a)
	case SiLU:
		s := sigmoid(a)
		return s * (1 + a*(1-s))
	case GELUErf:
		if math.IsInf(a, 0) {
			return normalCDF(a) // the limits at ∓∞, where the second term is ∞·0
		}
		return normalCDF(a) + a*normalPDF(a)
	}
	panic("scalar: no elementwise derivative for " + act.String())
}

// DenseGrad computes the weight and bias gradients of a dense layer:
//
//	dW = Xᵀ·dZ   (dW[k,j] = Σᵢ X[i,k]·dZ[i,j]),   db[j] = Σᵢ dZ[i,j].
func DenseGrad[F Float](x, dz, dw, db []F, batch, in, out int) {
	checkLen("x", len(x), batch*in)
	checkLen("db", len(db), out)
	DenseGradRows(x, dz, dw, batch, in, in, out)
	ColumnSums(dz, db, batch, out)
}

// DenseGradRows computes the first rows rows of dW = Xᵀ·dZ from x, whose
// rows are stride apart: dW[k,j] = Σᵢ x[i·stride + k]·dZ[i,j] for k < rows.
// With x a view from column k0 of the layer's input (stride its width),
// those are rows k0 to k0+rows−1 of the layer's dW.
func DenseGradRows[F Float](x, dz, dw []F, batch, stride, rows, out int) {
	checkLen("x", len(x), (batch-1)*stride+rows)
	checkLen("dz", len(dz), batch*out)
	checkLen("dw", len(dw), rows*out)
	var sums [sumBlock]float64
	for k := range rows {
		for j0 := 0; j0 < out; j0 += sumBlock {
			sum := sums[:min(sumBlock, out-j0)]
			clear(sum)
			for i := range batch { // a row of dz at a time: each sum still adds i in order
				xik := float64(x[i*stride+k])
				for j, d := range dz[i*out+j0 : i*out+j0+len(sum)] {
					sum[j] += xik * float64(d)
				}
			}
			for j, v := range sum {
				dw[k*out+j0+j] = F(v)
			}
		}
	}
}

// DenseGradSGD takes SGD's step on the first rows rows of a dense layer's
// w with their gradient, each row computed as DenseGradRows computes it,
// into g (out floats of scratch), then stepped as SGD steps it:
//
//	w[k,j] ← w[k,j] − lr·(dW[k,j] + wd·w[k,j])   for k < rows,
//
// x's rows stride apart, as for DenseGradRows.
func DenseGradSGD[F Float](x, dz, w, g []F, batch, stride, rows, out int, lr, wd F) {
	checkLen("w", len(w), rows*out)
	checkLen("g", len(g), out)
	for k := range rows {
		DenseGradRows(x[k:], dz, g, batch, stride, 1, out)
		SGD(w[k*out:(k+1)*out], g, lr, wd)
	}
}

// ColumnSums computes db[j] = Σᵢ dZ[i,j], the bias gradient of a dense
// layer.
func ColumnSums[F Float](dz, db []F, batch, out int) {
	checkLen("dz", len(dz), batch*out)
	checkLen("db", len(db), out)
	for j := range out {
		sum := 0.0
		for i := range batch {
			sum += float64(dz[i*out+j])
		}
		db[j] = F(sum)
	}
}

// DenseInputGrad computes the gradient with respect to the layer's input:
//
//	dX = dZ·Wᵀ   (dX[i,k] = Σⱼ dZ[i,j]·W[k,j]).
func DenseInputGrad[F Float](dz, w, dx []F, batch, in, out int) {
	checkLen("dz", len(dz), batch*out)
	checkLen("w", len(w), in*out)
	checkLen("dx", len(dx), batch*in)
	for i := range batch {
		for k := range in {
			sum := 0.0
			for j := range out {
				sum += float64(dz[i*out+j]) * float64(w[k*out+j])
			}
			dx[i*in+k] = F(sum)
		}
	}
}

// MinProbability is the floor applied to a probability before its logarithm
// in the cross-entropy losses: the smallest normal float32, so a probability
// that underflowed to 0 costs −ln(2⁻¹²⁶) ≈ 87.3 instead of +Inf.
const MinProbability = 0x1p-126

// SoftmaxCrossEntropy is the loss of a softmax output P (batch×n) against
// targets T (one-hot or any distribution per row), and its gradient with
// respect to the logits:
//
//	L = −(1/B) Σᵢⱼ T[i,j]·ln max(P[i,j], MinProbability)
//	dZ = (P − T) / B
//
// The 1/B of the mean lives here, in the loss gradient, and nowhere else.
func SoftmaxCrossEntropy[F Float](p, t, dz []F, batch, n int) F {
	return crossEntropy(p, t, dz, batch, n, false)
}

// SigmoidBinaryCrossEntropy is the loss of sigmoid outputs A (batch×n)
// against targets T in [0,1], averaged over all batch·n elements as
// PyTorch's BCELoss does, and its gradient with respect to the logits:
//
//	L = −(1/(B·n)) Σ T·ln max(A, m) + (1−T)·ln max(1−A, m),   m = MinProbability
//	dZ = (A − T) / (B·n)
func SigmoidBinaryCrossEntropy[F Float](a, t, dz []F, batch, n int) F {
	return crossEntropy(a, t, dz, batch, n, true)
}

func crossEntropy[F Float](p, t, dz []F, batch, n int, binary bool) F {
	size := batch * n
	checkLen("p", len(p), size)
	checkLen("t", len(t), size)
	checkLen("dz", len(dz), size)
	scale := 1 / float64(batch)
	if binary {
		scale = 1 / float64(size)
	}
	sum := 0.0
	for i := range size {
		pp, tt := float64(p[i]), float64(t[i])
		sum += tt * math.Log(math.Max(pp, MinProbability))
		if binary {
			sum += (1 - tt) * math.Log(math.Max(1-pp, MinProbability))
		}
		dz[i] = F((pp - tt) * scale)
	}
	return F(-sum * scale)
}

// MeanSquaredError is the loss of outputs Y (batch×n) against targets T,
// averaged over all batch·n elements as PyTorch's MSELoss does, and its
// gradient with respect to Y:
//
//	L = (1/(B·n)) Σ (Y − T)²,   dY = 2(Y − T) / (B·n)
func MeanSquaredError[F Float](y, t, dy []F, batch, n int) F {
	size := batch * n
	checkLen("y", len(y), size)
	checkLen("t", len(t), size)
	checkLen("dy", len(dy), size)
	scale := 1 / float64(size)
	sum := 0.0
	for i := range size {
		e := float64(y[i]) - float64(t[i])
		sum += e * e
		dy[i] = F(2 * e * scale)
	}
	return F(sum * scale)
}

// The optimizers update a parameter vector p in place from its gradient g,
// with learning rate lr and weight decay wd. Their state vectors (v, m)
// start at zero. All are PyTorch's update rules.

// SGD is plain gradient descent with L2 weight decay:
//
//	p ← p − lr·(g + wd·p)
func SGD[F Float](p, g []F, lr, wd F) {
	checkLen("g", len(g), len(p))
	for i := range p {
		pp := float64(p[i])
		p[i] = F(pp - float64(lr)*(float64(g[i])+float64(wd)*pp))
	}
}

// Momentum is SGD with heavy-ball momentum mu, or Nesterov momentum when
// nesterov is set:
//
//	g′ = g + wd·p,   v ← mu·v + g′,   p ← p − lr·v   (Nesterov: p ← p − lr·(g′ + mu·v))
func Momentum[F Float](p, g, v []F, lr, wd, mu F, nesterov bool) {
	checkLen("g", len(g), len(p))
	checkLen("v", len(v), len(p))
	for i := range p {
		pp := float64(p[i])
		gg := float64(g[i]) + float64(wd)*pp
		vv := flushSubnormal[F](float64(mu)*float64(v[i]) + gg)
		v[i] = F(vv)
		step := vv
		if nesterov {
			step = gg + float64(mu)*vv
		}
		p[i] = F(pp - float64(lr)*step)
	}
}

// flushSubnormal returns 0 when x rounded to F is subnormal, and x
// otherwise (NaN included). The optimizers store their state (velocity,
// moments) through it: a moment whose gradient has stayed 0 (the weight
// of an input that is always 0, such as a border pixel) decays by β₁ each
// step into the subnormals and never reaches 0 (β₁ times the smallest
// subnormal rounds back to it), and on Intel cores every instruction that
// reads or makes a subnormal takes a microcode assist of over a hundred
// cycles: measured, such moments made each Fashion-MNIST epoch after the
// first 1.8× slower. What it changes in Adam's step lr·c₁·m/(√(c₂·v) + ε):
// a flushed m moved p by less than lr·c₁·2⁻¹²⁶/ε, and a flushed v made √v
// smaller by less than 2⁻⁶³ ≈ 1.1e-19, which is negligible beside ε unless
// ε is below about 1e-15 (nn refuses such an ε).
func flushSubnormal[F Float](x float64) float64 {
	if math.Abs(float64(F(x))) < minNormal[F]() {
		return 0
	}
	return x
}

// minNormal is the smallest positive normal value of F.
func minNormal[F Float]() float64 {
	var f F
	if unsafe.Sizeof(f) == 4 {
		return 0x1p-126
	}
	return 0x1p-1022
}

// Adam is the Adam update at step t ≥ 1, with L2 weight decay folded into
// the gradient (PyTorch's Adam), or decoupled from it when decoupled is set
// (AdamW: the decay shrinks p directly and never enters m and v):
//
//	Adam:  g′ = g + wd·p
//	AdamW: p ← p·(1 − lr·wd),  g′ = g
//	m ← β₁m + (1−β₁)g′,   v ← β₂v + (1−β₂)g′²
//	p ← p − lr·(m·c₁) / (√(v·c₂) + ε),   c₁ = 1/(1−β₁ᵗ), c₂ = 1/(1−β₂ᵗ)
//
// The bias corrections c₁ and c₂ are passed in, as the kernels take them.
func Adam[F Float](p, g, m, v []F, lr, wd, beta1, beta2, eps, c1, c2 F, decoupled bool) {
	checkLen("g", len(g), len(p))
	checkLen("m", len(m), len(p))
	checkLen("v", len(v), len(p))
	for i := range p {
		pp, gg := float64(p[i]), float64(g[i])
		if decoupled {
			pp *= 1 - float64(lr)*float64(wd)
		} else {
			gg += float64(wd) * pp
		}
		mm := flushSubnormal[F](float64(beta1)*float64(m[i]) + (1-float64(beta1))*gg)
		vv := flushSubnormal[F](float64(beta2)*float64(v[i]) + (1-float64(beta2))*gg*gg)
		m[i], v[i] = F(mm), F(vv)
		p[i] = F(pp - float64(lr)*mm*float64(c1)/(math.Sqrt(vv*float64(c2))+float64(eps)))
	}
}
