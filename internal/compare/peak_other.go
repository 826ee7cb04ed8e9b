//go:build !amd64 || !gc || purego

package compare

func fmaPeak(n int) {}

func fmaPeakZMM(n int) {}

const (
	havePeak    = false
	havePeakZMM = false
)
