package scalar

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A worked example, by hand: the row (−1, 0, 0.5, 2) has lo −1 and hi 2,
// so inv = 255/3 = 85, scale 3/255, zero round(85) = 85 and
// qx = (0, 85, 85 + round(42.5) = 127, 255). The column w = (1, −2, 0.5,
// 4) has scale 4/127 and qw = round(w·127/4) = (32, −64, 16, 127), colsum
// 111.
func TestInt8WorkedExample(t *testing.T) {
	qx := make([]uint8, 4)
	scale, zero := QuantizeRow([]float32{-1, 0, 0.5, 2}, qx)
	assert.Equal(t, []uint8{0, 85, 127, 255}, qx)
	assert.Equal(t, int32(85), zero)
	assert.Equal(t, float32(3)/255, scale)

	qw, sw, colsum := make([]int8, 4), make([]float32, 1), make([]int32, 1)
	QuantizeWeights([]float32{1, -2, 0.5, 4}, 4, 1, qw, sw, colsum)
	assert.Equal(t, []int8{32, -64, 16, 127}, qw)
	assert.Equal(t, []float32{4.0 / 127}, sw)
	assert.Equal(t, []int32{111}, colsum)

	// Σ qx·qw = 0·32 + 85·(−64) + 127·16 + 255·127 = 28977, less 85·111
	// gives c = 19542; the exact product is −1 + 0 + 0.25 + 8 = 7.25.
	sums := []int32{7}
	Int8Sums(qx, qw, sums)
	assert.Equal(t, []int32{28977}, sums)
	y := make([]float32, 1)
	DenseInt8([]float32{-1, 0, 0.5, 2}, qw, sw, colsum, []float32{0}, y, make([]uint8, 4), make([]int32, 1), 1, 4, 1, Identity)
	want := float32(float32(19542) * (scale * sw[0]))
	assert.Equal(t, want, y[0])
	assert.InDelta(t, 7.25, y[0], 0.05)
}

// Quantizing a row and back is within half a step of each value, and zero
// is exact: a zero value and the padding of a row both map to zero.
func TestQuantizeRowRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		x := make([]float32, 1+rng.IntN(300))
		shift := float32(trial%3) - 1 // rows all negative, mixed, all positive
		for k := range x {
			x[k] = float32(rng.NormFloat64())*float32(1+trial%7) + shift*5
		}
		x[rng.IntN(len(x))] = 0
		qx := make([]uint8, len(x))
		scale, zero := QuantizeRow(x, qx)
		for k, v := range x {
			back := float64(scale) * float64(int32(qx[k])-zero)
			require.InDelta(t, float64(v), back, 0.5*float64(scale)*(1+1e-5), "trial %d, value %d", trial, k)
			if v == 0 {
				require.Equal(t, zero, int32(qx[k]))
			}
		}
	}
}

func TestQuantizeRowOfZeros(t *testing.T) {
	qx := []uint8{9, 9, 9}
	scale, zero := QuantizeRow([]float32{0, 0, 0}, qx)
	assert.Equal(t, float32(1), scale)
	assert.Equal(t, int32(0), zero)
	assert.Equal(t, []uint8{0, 0, 0}, qx)
}

// Each quantized weight is within half a step of its weight, the column's
// largest reaches ±127, and an all-zero column gets scale 1.
func TestQuantizeWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	in, out := 37, 5
	w := make([]float32, in*out)
	for i := range w {
		w[i] = float32(rng.NormFloat64()) * float32(1+i%out)
	}
	for k := range in {
		w[k*out+2] = 0
	}
	qw, sw, colsum := make([]int8, in*out), make([]float32, out), make([]int32, out)
	QuantizeWeights(w, in, out, qw, sw, colsum)
	assert.Equal(t, float32(1), sw[2])
	for j := range out {
		top, sum := 0, int32(0)
		for k := range in {
			q := qw[k*out+j]
			sum += int32(q)
			top = max(top, int(math.Abs(float64(q))))
			require.InDelta(t, float64(w[k*out+j]), float64(sw[j])*float64(q), 0.5*float64(sw[j])*(1+1e-6))
		}
		assert.Equal(t, sum, colsum[j], "column %d", j)
		if j != 2 {
			assert.Equal(t, 127, top, "column %d", j)
		}
	}
}

// The int8 layer approximates the float layer within the quantization's
// bound: each term's error is at most |x|·sw/2 + |w|·sx/2 + sx·sw/4, so
// the sum's is at most their sum over k (plus float32's rounding).
func TestDenseInt8ApproximatesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	batch, in, out := 7, 301, 19
	x, w, b := make([]float32, batch*in), make([]float32, in*out), make([]float32, out)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for i := range w {
		w[i] = float32(rng.NormFloat64() / math.Sqrt(float64(in)))
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	qw, sw, colsum := make([]int8, in*out), make([]float32, out), make([]int32, out)
	QuantizeWeights(w, in, out, qw, sw, colsum)
	y, want := make([]float32, batch*out), make([]float32, batch*out)
	DenseInt8(x, qw, sw, colsum, b, y, make([]uint8, in), make([]int32, out), batch, in, out, Identity)
	Dense(x, w, b, want, batch, in, out, Identity)
	qx := make([]uint8, in)
	for i := range batch {
		sx, _ := QuantizeRow(x[i*in:(i+1)*in], qx)
		for j := range out {
			bound := 0.0
			for k := range in {
				bound += math.Abs(float64(x[i*in+k]))*float64(sw[j])/2 + math.Abs(float64(w[k*out+j]))*float64(sx)/2 + float64(sx*sw[j])/4
			}
			got := float64(y[i*out+j])
			require.InDelta(t, float64(want[i*out+j]), got, bound+1e-5*math.Abs(got), "row %d, output %d", i, j)
		}
	}
	// And the error is far below that bound on average: rounding errors
	// cancel. A 301-deep sum of unit inputs and weights of 1/√301 keeps
	// about two decimal digits.
	sq := 0.0
	for i := range y {
		sq += (float64(y[i]) - float64(want[i])) * (float64(y[i]) - float64(want[i]))
	}
	assert.Less(t, math.Sqrt(sq/float64(len(y))), 0.02)
}

// The largest allowed depth keeps the extreme sums inside int32.
func TestMaxInt8Depth(t *testing.T) {
	extreme := int64(MaxInt8Depth) * 255 * 127
	assert.LessOrEqual(t, 2*extreme, int64(math.MaxInt32))
	assert.Panics(t, func() {
		DenseInt8(make([]float32, MaxInt8Depth+1), make([]int8, MaxInt8Depth+1), []float32{1}, []int32{0}, []float32{0}, []float32{0}, make([]uint8, MaxInt8Depth+1), []int32{0}, 1, MaxInt8Depth+1, 1, Identity)
	})
}

// The packed layout holds every weight once, pads with zeros, and the
// layer computed from it is the layer computed from the plain weights,
// bit for bit.
func TestDenseInt8Packed(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, shape := range [][2]int{{1, 1}, {3, 17}, {4, 16}, {301, 19}, {9, 40}} {
		in, out := shape[0], shape[1]
		qw := make([]int8, in*out)
		for i := range qw {
			qw[i] = int8(rng.IntN(255) - 127)
		}
		packed := make([]int8, Int8PackedLen(in, out))
		for i := range packed {
			packed[i] = 99
		}
		PackInt8Weights(qw, in, out, packed)
		seen := map[int]bool{}
		for k := range in {
			for j := range out {
				at := Int8PackedIndex(k, j, out)
				require.False(t, seen[at], "two weights at %d", at)
				seen[at] = true
			}
		}
		for i, q := range packed {
			if !seen[i] {
				require.Equal(t, int8(0), q, "padding at %d", i)
			}
		}
		batch := 3
		x, b, scale, colsum := make([]float32, batch*in), make([]float32, out), make([]float32, out), make([]int32, out)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for j := range out {
			b[j], scale[j], colsum[j] = float32(rng.NormFloat64()), float32(rng.Float64())/100, int32(rng.IntN(1000)-500)
		}
		want, got := make([]float32, batch*out), make([]float32, batch*out)
		DenseInt8(x, qw, scale, colsum, b, want, make([]uint8, in), make([]int32, out), batch, in, out, Tanh)
		DenseInt8Packed(x, packed, scale, colsum, b, got, make([]uint8, in), make([]int32, out), batch, in, out, Tanh)
		assert.Equal(t, want, got, "%d×%d", in, out)
	}
}
