//go:build !amd64 || !gc || purego

package vec

// useAVX2 is false: this build has no assembly.
const useAVX2 = false

func sumScaledAVX2(dst *float32, srcs *[]float32, nsrcs int, n int, scale float32) {
	panic("vec: sumScaledAVX2 called in a build without assembly")
}
