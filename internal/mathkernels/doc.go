// Package mathkernels exposes the vector elementary functions that the
// generated kernels inline (exp, log, sigmoid, tanh, gelu, gelu_erf, silu) as
// standalone in-place loops over Len float32, so their tests can sweep the
// float32 range against float64 math. It exists for those tests only.
package mathkernels

//go:generate go run ./mkmath

// Len is the number of elements each function processes per call.
const Len = 4096
