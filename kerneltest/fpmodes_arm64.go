//go:build gc && !purego

package kerneltest

// readFPCR returns the floating-point control register of the thread.
//
//go:noescape
func readFPCR() uint64

// FloatModes returns the floating-point control modes of the calling
// thread (FPCR: rounding, flush-to-zero, default NaN and the trap
// enables; the sticky flags live in FPSR), and true.
func FloatModes() (uint64, bool) { return readFPCR(), true }
