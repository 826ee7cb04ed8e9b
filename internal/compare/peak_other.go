//go:build !amd64 || !gc || purego

package compare

func fmaPeak(n int) {}

func fmaPeakZMM(n int) {}

func streamZMM(p *float32, n int) {}

func dotPeakZMM(n int) {}

const (
	havePeak    = false
	havePeakZMM = false
	haveDotZMM  = false
)
