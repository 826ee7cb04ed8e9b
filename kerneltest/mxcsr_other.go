//go:build !amd64 || !gc || purego

package kerneltest

// MXCSR returns 0 and false: this build cannot read the SSE control
// register (it has none, or no assembly).
func MXCSR() (uint32, bool) { return 0, false }
