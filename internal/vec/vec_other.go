//go:build (!amd64 && !arm64) || !gc || purego

package vec

import "github.com/vecgen/vecgen/compiled"

// canRun allows only the Go loops: this build has no assembly.
func canRun(t compiled.Tier) bool { return t == compiled.Reference }

// The assembly loops, which a build without assembly never calls.

func sumScaledAsm(compiled.Tier, *float32, *[]float32, int, int, float32) {
	panic("vec: an assembly loop called in a build without assembly")
}

func firstNonFiniteAsm(compiled.Tier, *float32, int) int {
	panic("vec: an assembly loop called in a build without assembly")
}

func maxAbsAsm(compiled.Tier, *float32, int) uint32 {
	panic("vec: an assembly loop called in a build without assembly")
}

func gatherRowsAsm(compiled.Tier, *float32, int, *float32, int, *int, int, int) {
	panic("vec: an assembly loop called in a build without assembly")
}
