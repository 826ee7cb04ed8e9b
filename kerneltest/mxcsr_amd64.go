//go:build gc && !purego

package kerneltest

// readMXCSR returns the SSE control and status register of the thread.
//
//go:noescape
func readMXCSR() uint32

// MXCSR returns the SSE control and status register of the calling
// thread, and true; false where the build has no assembly to read it.
func MXCSR() (uint32, bool) { return readMXCSR(), true }
