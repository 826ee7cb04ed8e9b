// Package vec holds the vector loops nn runs outside the generated
// kernels, whose lengths are known only at run time: the reduction of the
// workers' gradients, the search for non-finite values and the gathering
// of a step's samples. On amd64 and arm64 they run as assembly generated
// by gen.VecFiles, in the widest tier the CPU has (AVX-512, then AVX2; on
// arm64, NEON); elsewhere, and under GODEBUG=cpu.avx2=off (cpu.asimd=off
// on arm64), as the same loops in Go, with bit-identical results.
package vec

//go:generate go run ./mkvec

import (
	"fmt"
	"math"

	"github.com/vecgen/vecgen/compiled"
)

// tier is the tier SumScaled runs on; tests switch it.
var tier = compiled.Widest(canRun)

// SumScaled sets dst[i] = scale·(dst[i] + Σⱼ srcs[j][i]) for every i,
// adding the sources in order. Every source must be at least as long as
// dst.
func SumScaled(dst []float32, srcs [][]float32, scale float32) {
	for j, s := range srcs {
		if len(s) < len(dst) {
			panic(fmt.Sprintf("vec: source %d has %d elements, fewer than the %d of dst", j, len(s), len(dst)))
		}
	}
	if len(dst) == 0 {
		return
	}
	var first *[]float32
	if len(srcs) > 0 {
		first = &srcs[0]
	}
	if tier == compiled.Reference {
		sumScaledGo(dst, srcs, scale)
		return
	}
	sumScaledAsm(tier, &dst[0], first, len(srcs), len(dst), scale)
}

// sumScaledGo is SumScaled in Go, in the same order of operations.
func sumScaledGo(dst []float32, srcs [][]float32, scale float32) {
	for _, s := range srcs {
		s = s[:len(dst)]
		for i := range dst {
			dst[i] += s[i]
		}
	}
	for i := range dst {
		dst[i] *= scale
	}
}

// FirstNonFinite returns the index of the first NaN or infinity in v, or
// −1 when every element is finite.
func FirstNonFinite(v []float32) int {
	from := 0
	if len(v) > 0 && tier != compiled.Reference {
		from = firstNonFiniteAsm(tier, &v[0], len(v))
	}
	return firstNonFiniteGo(v, from)
}

// firstNonFiniteGo is FirstNonFinite in Go, from index from on.
func firstNonFiniteGo(v []float32, from int) int {
	for i := from; i < len(v); i++ {
		if f := v[i]; f-f != 0 { // NaN for NaN and ±Inf, 0 for every finite f
			return i
		}
	}
	return -1
}

// MaxAbs returns the largest magnitude in v: +Inf when an element is
// infinite and none is NaN, a NaN when one is, 0 for an empty v.
func MaxAbs(v []float32) float32 {
	if len(v) == 0 {
		return 0
	}
	if tier == compiled.Reference {
		return maxAbsGo(v)
	}
	return math.Float32frombits(maxAbsAsm(tier, &v[0], len(v)))
}

// maxAbsGo is MaxAbs in Go: the largest bit pattern of |v[i]|, which as
// unsigned integers order as the magnitudes do, +Inf's above every finite
// one and every NaN's above +Inf's.
func maxAbsGo(v []float32) float32 {
	var m uint32
	for _, f := range v {
		m = max(m, math.Float32bits(f)&^(1<<31))
	}
	return math.Float32frombits(m)
}

// GatherRows copies rows of the row-major matrix src, srcStride floats
// apart, into dst, dstStride floats apart: dst[j·dstStride + i] =
// src[rows[j]·srcStride + i] for j < len(rows) and i < n. It copies four
// rows at a time, a vector of each in turn, so that rows scattered over
// memory, each missing in every cache, have their misses in flight
// together (see gen's gatherRows). Rows are n floats or more apart in
// both, and every row must lie inside dst and src.
func GatherRows(dst []float32, dstStride int, src []float32, srcStride int, rows []int, n int) {
	if n < 0 || (len(rows) > 0 && n > 0 && (dstStride < n || srcStride < n)) {
		panic(fmt.Sprintf("vec: rows of %d floats at strides of %d and %d", n, dstStride, srcStride))
	}
	if len(rows) == 0 || n == 0 {
		return
	}
	if len(dst) < n || (len(dst)-n)/dstStride < len(rows)-1 {
		panic(fmt.Sprintf("vec: %d rows of %d floats, %d apart, do not fit %d floats", len(rows), n, dstStride, len(dst)))
	}
	last := -1 // the last row of src that fits, or −1
	if len(src) >= n {
		last = (len(src) - n) / srcStride
	}
	for j, r := range rows {
		if r < 0 || r > last {
			panic(fmt.Sprintf("vec: row %d of src (rows[%d]) is not among its %d rows", r, j, last+1))
		}
	}
	groups := len(rows) / gatherGroup
	if tier == compiled.Reference {
		groups = 0
	}
	if groups > 0 {
		gatherRowsAsm(tier, &dst[0], dstStride, &src[0], srcStride, &rows[0], groups, n)
	}
	for j := groups * gatherGroup; j < len(rows); j++ {
		copy(dst[j*dstStride:j*dstStride+n], src[rows[j]*srcStride:rows[j]*srcStride+n])
	}
}

// gatherGroup is the number of rows gatherRows<ISA> copies at once
// (gen.gatherRowsGroup).
const gatherGroup = 4
