package plan

import "github.com/vecgen/vecgen/spec"

// ActivationInfo is what the generator knows of one activation, in one
// place for the emitters, the API docs and the generated tests.
type ActivationInfo struct {
	Scalar string // its name in package scalar (scalar.ReLU, …)
	// FromZ is set when the derivative is a function of the
	// pre-activation z (the layer keeps z); otherwise of the output y.
	FromZ bool
	// Derivative states act′ for the docs; empty when the activation has
	// no elementwise gradient kernel (identity needs none, softmax's
	// gradient is fused with its loss).
	Derivative string
	// Ulps bounds the vector form's error against the float64 reference,
	// in units in the last place, over the generated tests' sweep (measured:
	// sigmoid within 2 ulp, tanh within 1, softmax within 2 for rows of
	// 10; one ulp of margin, softmax two; gelu_erf within 7, its erfc
	// approximation and two exps, with three of margin). Softmax also sums its row across
	// the lanes of a vector, whose relative error grows like N/8 ulp, so its
	// tests add ⌈N/8⌉.
	Ulps int
}

// Activations is the table of every activation a spec may name.
var Activations = map[spec.Activation]ActivationInfo{
	spec.Identity:  {Scalar: "Identity", Ulps: 0},
	spec.ReLU:      {Scalar: "ReLU", Ulps: 0, Derivative: "computed from y: relu′ = [y > 0]"},
	spec.LeakyReLU: {Scalar: "LeakyReLU", Ulps: 1, Derivative: "computed from y: leaky_relu′ = 1 where y > 0, else 0.01"},
	spec.Sigmoid:   {Scalar: "Sigmoid", Ulps: 3, Derivative: "computed from y: sigmoid′ = y(1−y)"},
	spec.Tanh:      {Scalar: "Tanh", Ulps: 3, Derivative: "computed from y: tanh′ = 1−y²"},
	spec.GELU: {Scalar: "GELU", Ulps: 4, FromZ: true,
		Derivative: "computed from z: gelu′ = s + z·s(1−s)·v′ with s = sigmoid(v), v = 2√(2/π)(z + 0.044715z³)"},
	spec.GELUErf: {Scalar: "GELUErf", Ulps: 10, FromZ: true,
		Derivative: "computed from z: gelu_erf′ = Φ(z) + z·φ(z), the normal distribution and density"},
	spec.SiLU:    {Scalar: "SiLU", Ulps: 4, FromZ: true, Derivative: "computed from z: silu′ = s·(1 + z(1−s)) with s = sigmoid(z)"},
	spec.Softmax: {Scalar: "Softmax", Ulps: 4},
}

// LossInfo is what the generator knows of one loss.
type LossInfo struct {
	Scalar   string // the reference function in package scalar
	Compiled string // the compiled.Loss constant
	// Targets says how generated tests draw targets: one-hot rows
	// (onehot), values in [0, 1] (unit) or any values (any).
	Targets string
	// Absorbs is the last activation whose derivative the loss gradient
	// includes, so the loss gives dz directly; empty when it gives dy.
	Absorbs spec.Activation
}

// Losses is the table of every loss a spec may name.
var Losses = map[spec.Loss]LossInfo{
	spec.MSE:                {Scalar: "MeanSquaredError", Compiled: "MSE", Targets: "any"},
	spec.BinaryCrossEntropy: {Scalar: "SigmoidBinaryCrossEntropy", Compiled: "BinaryCrossEntropy", Targets: "unit", Absorbs: spec.Sigmoid},
	spec.CrossEntropy:       {Scalar: "SoftmaxCrossEntropy", Compiled: "CrossEntropy", Targets: "onehot", Absorbs: spec.Softmax},
}

// MathFunctions are the vector elementary functions the kernels inline, by
// the name each backend's MathFiles exports them under (with the tier's
// name appended, but for AVX2).
var MathFunctions = []string{"Exp", "Log", "Sigmoid", "Tanh", "GELU", "GELUErf", "SiLU"}
