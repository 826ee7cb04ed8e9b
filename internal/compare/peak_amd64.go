//go:build gc && !purego

package compare

import "golang.org/x/sys/cpu"

// fmaPeak runs n iterations of 12 independent 8-lane FMAs (192 flops).
//
//go:noescape
func fmaPeak(n int)

// fmaPeakZMM runs n iterations of 12 independent 16-lane FMAs (384 flops).
//
//go:noescape
func fmaPeakZMM(n int)

// dotPeakZMM runs n iterations of 12 independent 64-lane u8 × s8
// multiply-adds (VPDPBUSD: 768 multiply-adds).
//
//go:noescape
func dotPeakZMM(n int)

// streamZMM reads the n floats at p (n a multiple of 256) in 64-byte loads.
//
//go:noescape
func streamZMM(p *float32, n int)

var (
	havePeak    = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	havePeakZMM = cpu.X86.HasAVX512F
	haveDotZMM  = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VNNI
)
