//go:build gc && !purego

package vec

import "github.com/vecgen/vecgen/compiled"

// The loops of arm64's one tier, NEON.

func sumScaledAsm(_ compiled.Tier, dst *float32, srcs *[]float32, nsrcs, n int, scale float32) {
	sumScaledNEON(dst, srcs, nsrcs, n, scale)
}

func firstNonFiniteAsm(_ compiled.Tier, v *float32, n int) int { return firstNonFiniteNEON(v, n) }

func maxAbsAsm(_ compiled.Tier, v *float32, n int) uint32 { return maxAbsBitsNEON(v, n) }

func gatherRowsAsm(_ compiled.Tier, dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups, n int) {
	gatherRowsNEON(dst, dstStride, src, srcStride, rows, groups, n)
}
