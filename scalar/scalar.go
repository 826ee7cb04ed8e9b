// Package scalar is the reference implementation of every operation vecgen
// generates: plain loops, written to be obviously right.
//
// It has two users. Generated tests compare each AVX2 kernel against it, and
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
)

// Float is an element type the reference computes with.
type Float interface{ ~float32 | ~float64 }

// Activation names an elementwise (or, for Softmax, row-wise) function.
type Activation int

// The activations, in the order of their spec names.
const (
	Identity Activation = iota // a(z) = z
	ReLU                       // a(z) = max(z, 0); NaN stays NaN
	Sigmoid                    // a(z) = 1 / (1 + e^−z)
	Tanh                       // a(z) = tanh z
	Softmax                    // a(z)ᵢ = e^(zᵢ−m) / Σⱼ e^(zⱼ−m), m = maxⱼ zⱼ, per row
)

var activationNames = [...]string{"identity", "relu", "sigmoid", "tanh", "softmax"}

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
	checkLen("x", len(x), batch*in)
	checkLen("w", len(w), in*out)
	checkLen("b", len(b), out)
	checkLen("y", len(y), batch*out)
	for i := range batch {
		row := y[i*out : (i+1)*out]
		for j := range out {
			sum := float64(b[j])
			for k := range in {
				sum += float64(x[i*in+k]) * float64(w[k*out+j])
			}
			row[j] = F(sum)
		}
		Activate(row, act)
	}
}

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
	default:
		panic("scalar: unknown activation " + act.String())
	}
}

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

// ActivationGrad turns dY into dZ in place, using the layer's output Y:
//
//	d ← d ⊙ act′, where act′ is 1 (identity), [y > 0] (relu), y(1−y) (sigmoid), 1−y² (tanh).
//
// Softmax has no elementwise derivative: its gradient comes fused with the
// cross-entropy loss (see SoftmaxCrossEntropy).
func ActivationGrad[F Float](y, d []F, act Activation) {
	checkLen("d", len(d), len(y))
	for i, v := range y {
		yy := float64(v)
		switch act {
		case Identity:
		case ReLU:
			if !(yy > 0) {
				d[i] = 0
			}
		case Sigmoid:
			d[i] = F(float64(d[i]) * yy * (1 - yy))
		case Tanh:
			d[i] = F(float64(d[i]) * (1 - yy*yy))
		default:
			panic("scalar: no elementwise derivative for " + act.String())
		}
	}
}

// DenseGrad computes the weight and bias gradients of a dense layer:
//
//	dW = Xᵀ·dZ   (dW[k,j] = Σᵢ X[i,k]·dZ[i,j]),   db[j] = Σᵢ dZ[i,j].
func DenseGrad[F Float](x, dz, dw, db []F, batch, in, out int) {
	checkLen("x", len(x), batch*in)
	checkLen("dz", len(dz), batch*out)
	checkLen("dw", len(dw), in*out)
	checkLen("db", len(db), out)
	for k := range in {
		for j := range out {
			sum := 0.0
			for i := range batch {
				sum += float64(x[i*in+k]) * float64(dz[i*out+j])
			}
			dw[k*out+j] = F(sum)
		}
	}
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

// Transpose writes the n×m matrix aᵀ of the m×n matrix a: t[j,i] = a[i,j].
func Transpose[F Float](a, t []F, m, n int) {
	checkLen("a", len(a), m*n)
	checkLen("t", len(t), m*n)
	for i := range m {
		for j := range n {
			t[j*m+i] = a[i*n+j]
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

// SGD takes one plain gradient-descent step: w ← w − lr·dw.
func SGD[F Float](w, dw []F, lr F) {
	checkLen("dw", len(dw), len(w))
	for i := range w {
		w[i] = F(float64(w[i]) - float64(lr)*float64(dw[i]))
	}
}
