package scalar

import "math"

// The int8 forward pass of a dense layer: weights quantized once to int8,
// symmetric, one scale per output; each row of activations quantized when
// the row arrives to uint8 with its own scale and zero point; products
// summed in int32, exactly; then a float32 epilogue. Every step is written
// so that a kernel can repeat it bit for bit: the quantization of a row
// in float32 operations whose results are single roundings, the sums in
// integers, and the epilogue in two float32 roundings (no fused
// multiply-add), so kernels and reference agree exactly up to the
// activation.
//
// With row i of x quantized as x ≈ sx·(qx − zx) and column j of w as
// w ≈ sw[j]·qw[·,j]:
//
//	x·w[·,j] ≈ sx·sw[j]·Σₖ (qx[k] − zx)·qw[k,j]
//	         = sx·sw[j]·(Σₖ qx[k]·qw[k,j] − zx·colsum[j])
//
// where colsum[j] = Σₖ qw[k,j] is computed when w is quantized. qx is
// unsigned and qw signed because that is what x86's VPDPBUSD multiplies
// (u8 × s8, four products summed into each int32 lane).

// MaxInt8Depth is the longest sum an int8 product may take: each term is
// at most 255·127 in magnitude, and the sum and its zero-point correction
// (at most 255·127·depth as well) must stay inside an int32.
const MaxInt8Depth = math.MaxInt32 / (2 * 255 * 127)

// QuantizeWeights quantizes w (in×out, row-major) per output column j:
//
//	sw[j] = maxₖ |w[k,j]| / 127      (1 when the column is all zero)
//	qw[k,j] = round(w[k,j] / sw[j])  (to nearest, ties to even; in −127..127)
//	colsum[j] = Σₖ qw[k,j]
//
// computed in float64 from the float32 weights; scale gets sw rounded to
// float32. Weights must be finite.
func QuantizeWeights(w []float32, in, out int, qw []int8, scale []float32, colsum []int32) {
	checkLen("w", len(w), in*out)
	checkLen("qw", len(qw), in*out)
	checkLen("scale", len(scale), out)
	checkLen("colsum", len(colsum), out)
	for j := range out {
		top := 0.0
		for k := range in {
			top = max(top, math.Abs(float64(w[k*out+j])))
		}
		s := float32(top / 127)
		if s == 0 { // an all-zero column (or one of subnormals that round to 0)
			s = 1
		}
		scale[j] = s
		sum := int32(0)
		for k := range in {
			q := math.RoundToEven(float64(w[k*out+j]) / float64(s))
			q = min(max(q, -127), 127)
			qw[k*out+j] = int8(q)
			sum += int32(q)
		}
		colsum[j] = sum
	}
}

// QuantizeRow quantizes one row of activations x to qx (same length), with
// the row's range widened to hold zero, lo = min(0, minₖ x[k]) and
// hi = max(0, maxₖ x[k]), in float32 arithmetic:
//
//	inv = 255 / (hi − lo),  scale = (hi − lo) / 255
//	zero = clamp(round(−lo·inv), 0, 255)
//	qx[k] = clamp(round(x[k]·inv) + zero, 0, 255)
//
// rounding to nearest, ties to even. A row whose range is narrower than
// Int8MinRange (a row of zeros among them) has inv 0, scale 1 and zero 0:
// every qx is 0. x must be finite. It returns scale and zero, with which
// x[k] ≈ scale·(qx[k] − zero).
func QuantizeRow(x []float32, qx []uint8) (scale float32, zero int32) {
	checkLen("qx", len(qx), len(x))
	var lo, hi float32
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	width := hi - lo
	inv, scale := float32(0), float32(1)
	if width >= Int8MinRange {
		inv, scale = 255/width, width/255
	}
	zero = clampByte(roundToEven32(-lo * inv))
	for k, v := range x {
		qx[k] = uint8(clampByte(roundToEven32(v*inv) + zero))
	}
	return scale, zero
}

// Int8MinRange is the narrowest range of a row QuantizeRow quantizes
// over: 255 over a narrower one (values all below about 2⁻¹²⁰ in
// magnitude, subnormals among them) could overflow float32, and such a
// row quantizes as zeros; its products with the weights would be below
// float32's resolution beside any bias of normal size.
const Int8MinRange = 0x1p-120

// roundToEven32 rounds a float32 to the nearest int32, ties to even, as
// x86's CVTPS2DQ does under the default rounding mode (its arguments here
// are within ±255·2).
func roundToEven32(v float32) int32 { return int32(math.RoundToEven(float64(v))) }

func clampByte(v int32) int32 { return min(max(v, 0), 255) }

// DenseInt8 computes the int8 forward pass of a dense layer over batch
// rows: each row i of x (batch×in) quantized by QuantizeRow, its sums with
// qw (in×out, from QuantizeWeights) in int32,
//
//	c[i,j] = Σₖ qx[i,k]·qw[k,j] − zero[i]·colsum[j]
//
// and then, in float32 with a rounding after each operation,
//
//	y[i,j] = act(float32(c[i,j])·(sx[i]·sw[j]) + b[j]).
//
// qx and acc are scratch of at least in and out entries. in must be at
// most MaxInt8Depth.
func DenseInt8(x []float32, qw []int8, scale []float32, colsum []int32, b, y []float32, qx []uint8, acc []int32, batch, in, out int, act Activation) {
	checkLen("qw", len(qw), in*out)
	denseInt8(x, scale, colsum, b, y, qx, acc, batch, in, out, act, func(qx []uint8, sums []int32) { Int8Sums(qx, qw, sums) })
}

// denseInt8 is DenseInt8 with the sums of a quantized row and the weights
// computed by sums.
func denseInt8(x []float32, scale []float32, colsum []int32, b, y []float32, qx []uint8, acc []int32, batch, in, out int, act Activation, sums func(qx []uint8, sums []int32)) {
	checkLen("x", len(x), batch*in)
	checkLen("scale", len(scale), out)
	checkLen("colsum", len(colsum), out)
	checkLen("b", len(b), out)
	checkLen("y", len(y), batch*out)
	checkLen("qx", len(qx), in)
	checkLen("acc", len(acc), out)
	if in > MaxInt8Depth {
		panic("scalar: an int8 product deeper than MaxInt8Depth could overflow its int32 sums")
	}
	for i := range batch {
		sx, zero := QuantizeRow(x[i*in:(i+1)*in], qx[:in])
		row := y[i*out : (i+1)*out]
		sums(qx[:in], acc[:out])
		for j, c := range acc[:out] {
			m := sx * scale[j]
			row[j] = float32(float32(c-zero*colsum[j])*m) + b[j]
		}
		Activate(row, act)
	}
}

// The packed layout of int8 weights, the one the int8 kernels read: the
// inputs in groups of Int8Group, and in each group, for each output j, the
// group's Int8Group weights of j in a row: what one int32 lane of x86's
// VPDPBUSD (or arm64's SDOT) sums. The inputs are padded with zero weights
// to a whole group, and the outputs to a multiple of Int8Lanes (the int32
// lanes of the widest vector, AVX-512's), so every load of weights is a
// whole vector.
const (
	Int8Group = 4
	Int8Lanes = 16
)

// Int8Depth is the inputs of a layer of in inputs in the packed layout.
func Int8Depth(in int) int { return (in + Int8Group - 1) / Int8Group * Int8Group }

// Int8Width is the outputs of a layer of out outputs in the packed layout.
func Int8Width(out int) int { return (out + Int8Lanes - 1) / Int8Lanes * Int8Lanes }

// Int8PackedLen is the length of a layer's packed int8 weights.
func Int8PackedLen(in, out int) int { return Int8Depth(in) * Int8Width(out) }

// Int8PackedIndex is where weight (k, j) of a layer of out outputs lies in
// the packed layout.
func Int8PackedIndex(k, j, out int) int {
	return (k/Int8Group*Int8Width(out)+j)*Int8Group + k%Int8Group
}

// PackInt8Weights writes qw (in×out, row-major) to packed in the packed
// layout, with zeros in its padding.
func PackInt8Weights(qw []int8, in, out int, packed []int8) {
	checkLen("qw", len(qw), in*out)
	checkLen("packed", len(packed), Int8PackedLen(in, out))
	clear(packed[:Int8PackedLen(in, out)])
	for k := range in {
		for j := range out {
			packed[Int8PackedIndex(k, j, out)] = qw[k*out+j]
		}
	}
}

// DenseInt8Packed is DenseInt8 with qw in the packed layout: the same
// result, bit for bit (integer sums do not depend on their order).
func DenseInt8Packed(x []float32, packed []int8, scale []float32, colsum []int32, b, y []float32, qx []uint8, acc []int32, batch, in, out int, act Activation) {
	checkLen("packed", len(packed), Int8PackedLen(in, out))
	sums := func(qx []uint8, sums []int32) {
		clear(sums)
		for k, q := range qx {
			xk := int32(q)
			row := packed[Int8PackedIndex(k, 0, out):] // input k's weights, Int8Group apart
			for j := range sums {
				sums[j] += xk * int32(row[j*Int8Group])
			}
		}
	}
	denseInt8(x, scale, colsum, b, y, qx, acc, batch, in, out, act, sums)
}

// Int8Sums writes sums[j] = Σₖ qx[k]·qw[k,j], the products of a quantized
// row with the columns of qw (len(qx)×len(sums), row-major), a row of qw
// at a time: integer sums are the same in any order.
func Int8Sums(qx []uint8, qw []int8, sums []int32) {
	out := len(sums)
	checkLen("qw", len(qw), len(qx)*out)
	clear(sums)
	for k, q := range qx {
		xk := int32(q)
		for j, w := range qw[k*out : (k+1)*out] {
			sums[j] += xk * int32(w)
		}
	}
}
