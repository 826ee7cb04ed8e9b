//go:build (!amd64 && !arm64) || !gc || purego

package vec

import "github.com/vecgen/vecgen/compiled"

// canRun allows only the Go loops: this build has no assembly.
func canRun(t compiled.Tier) bool { return t == compiled.Reference }

func sumScaledAVX2(dst *float32, srcs *[]float32, nsrcs int, n int, scale float32) {
	panic("vec: sumScaledAVX2 called in a build without assembly")
}

func sumScaledAVX512(dst *float32, srcs *[]float32, nsrcs int, n int, scale float32) {
	panic("vec: sumScaledAVX512 called in a build without assembly")
}

func firstNonFiniteAVX2(v *float32, n int) int {
	panic("vec: firstNonFiniteAVX2 called in a build without assembly")
}

func firstNonFiniteAVX512(v *float32, n int) int {
	panic("vec: firstNonFiniteAVX512 called in a build without assembly")
}

func gatherRowsAVX2(dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups int, n int) {
	panic("vec: gatherRowsAVX2 called in a build without assembly")
}

func gatherRowsAVX512(dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups int, n int) {
	panic("vec: gatherRowsAVX512 called in a build without assembly")
}

func sumScaledNEON(dst *float32, srcs *[]float32, nsrcs int, n int, scale float32) {
	panic("vec: sumScaledNEON called in a build without assembly")
}

func firstNonFiniteNEON(v *float32, n int) int {
	panic("vec: firstNonFiniteNEON called in a build without assembly")
}

func gatherRowsNEON(dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups int, n int) {
	panic("vec: gatherRowsNEON called in a build without assembly")
}
