// Package spec is the schema of a vecgen model file: its types, strict
// decoding and validation. Every error names the offending YAML node as
// FILE:LINE:COL.
//
// A model file looks like this:
//
//	name: Fashion          # exported Go identifier; prefixes every generated name
//	batch: 64              # fixed number of samples per kernel call
//	input: 784             # features per sample
//	layers:
//	  - {dense: 256, activation: relu}
//	  - {dense: 128, activation: relu}
//	  - {dense: 10,  activation: softmax}
//	loss: cross_entropy
//	subnormals: keep       # optional: keep (the default) or flush
//	serve: [1, 8, 32]      # optional: the row counts below batch that get
//	                       # forward kernels of their own for serving
package spec

import (
	"fmt"
	"slices"
	"strings"
)

// Activation is a layer's activation function, by its spec name.
type Activation string

// The activations a layer may name.
const (
	Identity Activation = "identity"
	ReLU     Activation = "relu"
	Sigmoid  Activation = "sigmoid"
	Tanh     Activation = "tanh"
	Softmax  Activation = "softmax" // last layer only, with cross_entropy
	// LeakyReLU is max(z, 0.01·z), PyTorch's default slope.
	LeakyReLU Activation = "leaky_relu"
	// GELU is the tanh form 0.5·z·(1 + tanh(√(2/π)·(z + 0.044715·z³))).
	GELU Activation = "gelu"
	// SiLU is z·sigmoid(z), also called swish.
	SiLU Activation = "silu"
	// GELUErf is the exact GELU z·Φ(z) = 0.5·z·(1 + erf(z/√2)), PyTorch's
	// nn.GELU() by default.
	GELUErf Activation = "gelu_erf"
)

// Activations lists every valid activation in documentation order.
var Activations = []Activation{Identity, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, GELUErf, SiLU, Softmax}

// Loss is the training loss, by its spec name.
type Loss string

// The losses a model may name.
const (
	MSE                Loss = "mse"                  // mean squared error over all outputs; any last activation but softmax
	BinaryCrossEntropy Loss = "binary_cross_entropy" // needs a sigmoid last layer
	CrossEntropy       Loss = "cross_entropy"        // needs a softmax last layer
)

// Losses lists every valid loss in documentation order.
var Losses = []Loss{MSE, BinaryCrossEntropy, CrossEntropy}

// Subnormals says what the compiled kernels do with float32 values of
// magnitude below 2⁻¹²⁶, by its spec name.
type Subnormals string

// The treatments a model may name.
const (
	// Keep, the default, is IEEE gradual underflow, as Go's own float
	// arithmetic, numpy and PyTorch.
	Keep Subnormals = "keep"
	// Flush reads subnormal inputs as 0 and writes 0 where a result would
	// be subnormal (the CPU's DAZ and FTZ modes, which each kernel sets for
	// its own run and restores before it returns), so that no operation
	// takes the slow path some CPUs take for subnormals.
	Flush Subnormals = "flush"
)

// SubnormalModes lists every valid treatment in documentation order.
var SubnormalModes = []Subnormals{Keep, Flush}

// Limits on a model's sizes. They keep every generated array and every
// assembly displacement far inside what Go and the assembler accept.
const (
	MaxBatch    = 4096    // samples per call
	MaxWidth    = 16384   // input features and units per layer
	MaxLayers   = 32      // dense layers
	MaxElements = 1 << 24 // elements in any one array (weights or activations): 64 MiB of float32
	MaxFileSize = 1 << 20 // bytes in a spec file
	MaxName     = 64      // characters in the model name
	// MaxDepth bounds how deep lists and mappings nest: a model needs 3
	// (the model, its layers, a layer).
	MaxDepth = 4
	// MaxServe bounds the row counts a serve list names.
	MaxServe = 16
	// MaxTokens bounds a spec's YAML tokens (keys, values and punctuation;
	// comments are free): a model of MaxLayers layers needs about 500.
	MaxTokens = 1024
)

// Model is a validated network description.
type Model struct {
	Name   string  // exported Go identifier, the prefix of every generated name
	Batch  int     // B, the fixed number of samples per call
	Input  int     // features per sample, the first layer's K
	Layers []Layer // at least one
	Loss   Loss
	// Subnormals is the kernels' treatment of subnormal values; the
	// zero value means Keep.
	Subnormals Subnormals
	// Serve lists the row counts, each below Batch, that get forward
	// kernels of their own for serving fewer rows than a batch, as the
	// spec gives them (distinct). Nil when the spec has no serve key: the
	// generator then chooses them; empty for "serve: []", no serving
	// kernels (every call of fewer rows pads to a batch).
	Serve []int
}

// Layer is one dense layer: Y = act(X·W + b) with W of In×Out.
type Layer struct {
	In, Out    int
	Activation Activation
}

// FlushesSubnormals reports whether the kernels flush subnormal values
// to zero.
func (m *Model) FlushesSubnormals() bool { return m.Subnormals == Flush }

// Output is the width of the last layer.
func (m *Model) Output() int { return m.Layers[len(m.Layers)-1].Out }

// Error is a problem in a spec file, at a 1-based line and column.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg) }

// Errors are several problems in one spec file, in file order: Load
// returns them when values of more than one key are wrong (a single
// problem is an *Error). errors.As finds the first as an *Error.
type Errors []*Error

// Error is one line per problem.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.As and errors.Is.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, err := range e {
		out[i] = err
	}
	return out
}

func quoteAll[T ~string](vs []T) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = string(v)
	}
	return strings.Join(q, ", ")
}

func isActivation(a Activation) bool { return slices.Contains(Activations, a) }
func isLoss(l Loss) bool             { return slices.Contains(Losses, l) }
func isSubnormals(s Subnormals) bool { return slices.Contains(SubnormalModes, s) }
