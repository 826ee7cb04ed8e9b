//go:build (!amd64 && !arm64) || !gc || purego

package kerneltest

// FloatModes returns 0 and false: this build cannot read the
// floating-point control register (no assembly for it).
func FloatModes() (uint64, bool) { return 0, false }
