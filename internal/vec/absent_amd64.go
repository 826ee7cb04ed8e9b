//go:build gc && !purego

package vec

// The NEON loops, which an amd64 build never calls.

func sumScaledNEON(dst *float32, srcs *[]float32, nsrcs int, n int, scale float32) {
	panic("vec: sumScaledNEON called on amd64")
}

func firstNonFiniteNEON(v *float32, n int) int {
	panic("vec: firstNonFiniteNEON called on amd64")
}

func gatherRowsNEON(dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups int, n int) {
	panic("vec: gatherRowsNEON called on amd64")
}
