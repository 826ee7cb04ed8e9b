package compiled

import "golang.org/x/sys/cpu"

// Tier is one set of kernels a generated package carries: the assembly for
// a vector instruction set, or the scalar reference. Each package calls the
// widest tier the CPU has, chosen once when it is initialized.
type Tier int

// The tiers, narrowest first.
const (
	Reference Tier = iota // package scalar, on every CPU and in every build
	AVX2                  // AVX2 and FMA: 16 YMM registers of 8 float32
	AVX512                // AVX-512 F, DQ and VL: 32 ZMM registers of 16 float32, opmasks for tails
	NEON                  // arm64's Advanced SIMD: 32 V registers of 4 float32
)

// Tiers lists every tier, widest first: the order dispatch tries them.
// A CPU has the tiers of one architecture only, and the reference.
var Tiers = []Tier{AVX512, AVX2, NEON, Reference}

var tierNames = [...]string{"reference", "avx2", "avx512", "neon"}

func (t Tier) String() string {
	if t < 0 || int(t) >= len(tierNames) {
		return "tier(?)"
	}
	return tierNames[t]
}

// CPUHas reports whether this CPU, its operating system and GODEBUG allow
// the instructions of tier t. AVX-512 needs F (the 512-bit instructions
// and opmasks), DQ (VANDPS, VORPS and VXORPS on ZMM, VPMOVD2M) and VL (the
// EVEX forms of the YMM and XMM instructions, which may use registers 16
// to 31), as well as AVX2 and FMA. GODEBUG=cpu.avx512f=off turns the
// AVX-512 tier off and GODEBUG=cpu.avx2=off both x86 assembly tiers. NEON
// needs ASIMD, which every arm64 CPU has (golang.org/x/sys/cpu reports it
// on arm64 only); GODEBUG=cpu.asimd=off turns it off.
func CPUHas(t Tier) bool {
	avx2 := cpu.X86.HasAVX2 && cpu.X86.HasFMA
	switch t {
	case AVX512:
		return avx2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL
	case AVX2:
		return avx2
	case NEON:
		return cpu.ARM64.HasASIMD
	}
	return t == Reference
}

// CPUHasInt8 reports whether this CPU, its operating system and GODEBUG
// allow the int8 kernels of tier t: on AVX-512, the tier's instructions
// and VNNI (VPDPBUSD, u8 × s8 products summed four to an int32 lane) and
// BW (byte moves); on AVX2, the tier's; on NEON, the dot products of
// ARMv8.2 (SDOT). GODEBUG=cpu.avx512vnni=off turns AVX-512's off.
func CPUHasInt8(t Tier) bool {
	switch t {
	case AVX512:
		return CPUHas(t) && cpu.X86.HasAVX512VNNI && cpu.X86.HasAVX512BW
	case NEON:
		return CPUHas(t) && cpu.ARM64.HasASIMDDP
	}
	return CPUHas(t)
}

// Widest returns the first tier of Tiers that has(t) allows.
func Widest(has func(Tier) bool) Tier {
	for _, t := range Tiers {
		if has(t) {
			return t
		}
	}
	return Reference
}
