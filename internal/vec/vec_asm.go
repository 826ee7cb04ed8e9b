//go:build (amd64 || arm64) && gc && !purego

package vec

import "github.com/vecgen/vecgen/compiled"

// canRun reports whether the CPU has the instructions of a tier.
var canRun = compiled.CPUHas
