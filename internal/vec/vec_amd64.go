//go:build gc && !purego

package vec

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly: it needs AVX2. With GODEBUG=cpu.avx2=off
// it is false and every call takes the Go loop.
var useAVX2 = cpu.X86.HasAVX2
