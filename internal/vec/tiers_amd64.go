//go:build gc && !purego

package vec

import "github.com/vecgen/vecgen/compiled"

// The loops of the x86 tiers: AVX-512 where dispatch picked it, else AVX2.

func sumScaledAsm(t compiled.Tier, dst *float32, srcs *[]float32, nsrcs, n int, scale float32) {
	if t == compiled.AVX512 {
		sumScaledAVX512(dst, srcs, nsrcs, n, scale)
		return
	}
	sumScaledAVX2(dst, srcs, nsrcs, n, scale)
}

func firstNonFiniteAsm(t compiled.Tier, v *float32, n int) int {
	if t == compiled.AVX512 {
		return firstNonFiniteAVX512(v, n)
	}
	return firstNonFiniteAVX2(v, n)
}

func maxAbsAsm(t compiled.Tier, v *float32, n int) uint32 {
	if t == compiled.AVX512 {
		return maxAbsBitsAVX512(v, n)
	}
	return maxAbsBitsAVX2(v, n)
}

func gatherRowsAsm(t compiled.Tier, dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups, n int) {
	if t == compiled.AVX512 {
		gatherRowsAVX512(dst, dstStride, src, srcStride, rows, groups, n)
		return
	}
	gatherRowsAVX2(dst, dstStride, src, srcStride, rows, groups, n)
}
