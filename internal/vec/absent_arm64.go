//go:build gc && !purego

package vec

// The x86 loops, which an arm64 build never calls.

func sumScaledAVX2(dst *float32, srcs *[]float32, nsrcs int, n int, scale float32) {
	panic("vec: sumScaledAVX2 called on arm64")
}

func sumScaledAVX512(dst *float32, srcs *[]float32, nsrcs int, n int, scale float32) {
	panic("vec: sumScaledAVX512 called on arm64")
}

func firstNonFiniteAVX2(v *float32, n int) int {
	panic("vec: firstNonFiniteAVX2 called on arm64")
}

func firstNonFiniteAVX512(v *float32, n int) int {
	panic("vec: firstNonFiniteAVX512 called on arm64")
}

func gatherRowsAVX2(dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups int, n int) {
	panic("vec: gatherRowsAVX2 called on arm64")
}

func gatherRowsAVX512(dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups int, n int) {
	panic("vec: gatherRowsAVX512 called on arm64")
}
