// Package onnx imports a chain of dense layers from an ONNX model into a
// vecgen spec and a weights file in nn's layout, as torch.onnx.export
// writes an nn.Sequential of Linear layers and activations at opsets 9 to
// 17. (nn.Network.ExportONNX goes the other way.)
//
// It recognizes:
//   - Gemm (alpha = beta = 1, transA = 0, transB 0 or 1), and MatMul by a
//     constant [in,out] matrix followed by an optional Add of a constant
//     bias (either operand order): one dense layer each;
//   - Relu, LeakyRelu (alpha 0.01), Sigmoid, Tanh, and Softmax over the last
//     axis on the last layer: the activation of the layer before; LogSoftmax
//     there as its softmax (a note says the outputs are probabilities);
//   - BatchNormalization in eval mode between a layer and its activation,
//     folded into the layer's weights and bias (a note says so);
//   - elementwise subgraphs of Add, Sub, Mul, Div, Pow, Neg, Tanh, Sigmoid,
//     Erf, Exp, Sqrt and Reciprocal with scalar constants that compute GELU's
//     tanh form, the exact GELU (gelu_erf) or SiLU (z·sigmoid(z)), whatever
//     their order of operations;
//   - Flatten(axis=1) before the first layer; Identity and Dropout, which
//     inference skips; an Identity of a constant, which is that constant.
//
// Anything else is an error naming the node, its index and op type.
package onnx

import (
	"errors"
	"fmt"

	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/spec"
)

// Options configures Import.
type Options struct {
	Name   string // the model's name, an exported Go identifier
	Batch  int    // the spec's batch: samples per kernel call
	Source string // the ONNX file's name, for the spec's comments
}

// Result is an imported model.
type Result struct {
	Model   *spec.Model
	Spec    []byte // the spec file, commented with where each layer came from
	Weights []byte // the weights as safetensors, as nn.Network.Load reads them
	Opset   int64  // the model's default-domain opset
	Notes   []string
}

// Supported says what Import recognizes, for error messages.
const Supported = "vecgen imports Gemm or MatMul (+ Add) dense layers, each followed by an optional BatchNormalization (folded into it) " +
	"and at most one of Relu, LeakyRelu (alpha 0.01), Sigmoid, Tanh, GELU (tanh or exact form), SiLU or, on the last layer, Softmax or LogSoftmax " +
	"over the last axis; Flatten(axis=1) at the input; Identity and Dropout are skipped"

// SpecHeader starts the first line of every spec Import writes.
const SpecHeader = "# Imported by vecgen from "

// MinOpset and MaxOpset bound the default-domain opsets Import accepts.
const (
	MinOpset = 9
	MaxOpset = 17
)

// Import recognizes the chain of dense layers in an ONNX model (the bytes
// of a .onnx file) and returns its spec and weights.
func Import(data []byte, opts Options) (*Result, error) {
	if opts.Name == "" {
		return nil, errors.New("onnx: the model needs a name")
	}
	m, err := onnxpb.Decode(data)
	if err != nil {
		return nil, err
	}
	if m.Graph == nil {
		return nil, errors.New("onnx: the model has no graph")
	}
	im := &importer{g: m.Graph, consts: map[string]*onnxpb.Tensor{}, users: map[string][]int{}}
	if im.opset, err = defaultOpset(m.Opsets); err != nil {
		return nil, err
	}
	if err := im.walk(); err != nil {
		return nil, err
	}
	return im.result(m, opts)
}

func defaultOpset(opsets []onnxpb.Opset) (int64, error) {
	version := int64(-1)
	for _, o := range opsets {
		switch o.Domain {
		case "", "ai.onnx":
			version = o.Version
		}
	}
	if version < 0 {
		return 0, errors.New("onnx: the model imports no default-domain opset")
	}
	if version < MinOpset || version > MaxOpset {
		return 0, fmt.Errorf("onnx: the model uses opset %d; vecgen imports opsets %d to %d", version, MinOpset, MaxOpset)
	}
	return version, nil
}
