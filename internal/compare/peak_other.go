//go:build !amd64 || !gc || purego

package compare

func fmaPeak(n int) {}

const havePeak = false
