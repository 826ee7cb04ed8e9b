//go:build gc && !purego

package kerneltest

// readMXCSR returns the SSE control and status register of the thread.
//
//go:noescape
func readMXCSR() uint32

// mxcsrModes are MXCSR's control bits (rounding, flush-to-zero,
// denormals-are-zero and the exception masks), without the sticky flags
// an operation may raise.
const mxcsrModes = 0xffc0

// FloatModes returns the floating-point control modes of the calling
// thread (MXCSR's control bits), and true; false where the build has no
// assembly to read them.
func FloatModes() (uint64, bool) { return uint64(readMXCSR() & mxcsrModes), true }
