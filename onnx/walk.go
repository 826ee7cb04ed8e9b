package onnx

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/spec"
)

// importer walks the chain from the graph's input to its output, node by
// node, building its layers.
type importer struct {
	g      *onnxpb.Graph
	input  *onnxpb.ValueInfo // the graph's data input
	opset  int64
	consts map[string]*onnxpb.Tensor
	users  map[string][]int // value → nodes reading it, each once
	done   []bool
	layers []*layer
	cur    string // the chain's current value
	rank   int    // its rank
	width  int    // its last dimension, 0 when unknown
	// skipped names the first maxSkippedNames nodes (Flatten, Identity,
	// Dropout) since the last layer started, for the spec's comments, and
	// moreSkipped counts the others.
	skipped     []string
	moreSkipped int
	notes       []string // what the user should know of the import
}

// maxSkippedNames bounds the skipped nodes a layer's comment names: a
// chain of 60,000 Identity nodes made a comment line past the spec's size
// limit.
const maxSkippedNames = 8

// skip records node i as skipped.
func (im *importer) skip(i int) {
	if len(im.skipped) == maxSkippedNames {
		im.moreSkipped++
		return
	}
	im.skipped = append(im.skipped, fmt.Sprintf("node %d %s", i, im.opName(i)))
}

// takeSkipped returns the comments for the nodes skipped since the last
// layer started, and starts afresh.
func (im *importer) takeSkipped() []string {
	s := im.skipped
	if im.moreSkipped > 0 {
		s = append(s, fmt.Sprintf("and %d more nodes skipped", im.moreSkipped))
	}
	im.skipped, im.moreSkipped = nil, 0
	return s
}

// maxInputs and maxOutputs bound a node's inputs and outputs: the ops
// Import knows take at most 3 and write at most 2.
const (
	maxInputs  = 8
	maxOutputs = 8
)

// unsupportedOpHints say how to export a model without an op that Import
// does not take but that has a way around.
var unsupportedOpHints = map[string]string{
	"LayerNormalization": "vecgen's layers normalize nothing; a LayerNorm depends on each sample's own values and cannot be folded into a Linear",
}

// nodeErr formats an error about node i.
func (im *importer) nodeErr(i int, format string, args ...any) error {
	return fmt.Errorf("onnx: node %d (%s %s): %s", i, im.opName(i), onnxpb.QuoteName(im.g.Nodes[i].Name), fmt.Sprintf(format, args...))
}

// opName is node i's op_type for a message, cut as names are.
func (im *importer) opName(i int) string { return onnxpb.CutName(im.g.Nodes[i].OpType) }

// walk follows the chain from the graph's data input to its output,
// building the layers, after checking and indexing the graph.
func (im *importer) walk() error {
	if err := im.findInput(); err != nil {
		return err
	}
	if err := im.indexNodes(); err != nil {
		return err
	}
	if err := im.checkAcyclic(); err != nil {
		return err
	}
	if err := im.foldIdentities(); err != nil {
		return err
	}
	for {
		users := im.users[im.cur]
		if len(users) == 0 {
			break
		}
		if err := im.step(users); err != nil {
			return err
		}
	}
	if out := im.g.Outputs[0].Name; out != im.cur {
		return fmt.Errorf("onnx: the graph's output is %s; the chain of layers ends at %s", onnxpb.QuoteName(out), onnxpb.QuoteName(im.cur))
	}
	for i, d := range im.done {
		if !d {
			return im.nodeErr(i, "not on the chain from the input to the output; %s", Supported)
		}
	}
	if len(im.layers) == 0 {
		return errors.New("onnx: the model has no dense layer (Gemm or MatMul)")
	}
	l := im.last()
	l.from = append(l.from, im.takeSkipped()...)
	return nil
}

// findInput records the initializers as constants and starts the chain at
// the graph's one other input, checking that the graph has one output.
func (im *importer) findInput() error {
	g := im.g
	for i := range g.Initializers {
		t := &g.Initializers[i]
		if _, ok := im.consts[t.Name]; ok {
			return fmt.Errorf("onnx: two initializers are called %s", onnxpb.QuoteName(t.Name))
		}
		im.consts[t.Name] = t
	}
	var inputs []*onnxpb.ValueInfo
	for i := range g.Inputs {
		if _, ok := im.consts[g.Inputs[i].Name]; !ok {
			inputs = append(inputs, &g.Inputs[i])
		}
	}
	if len(inputs) != 1 {
		return fmt.Errorf("onnx: the graph has %d inputs besides its initializers; vecgen takes one", len(inputs))
	}
	if len(g.Outputs) != 1 {
		names := few(len(g.Outputs), func(i int) string { return onnxpb.QuoteName(g.Outputs[i].Name) })
		return fmt.Errorf("onnx: the graph has %d outputs [%s]; vecgen takes one, the end of its chain of layers", len(g.Outputs), names)
	}
	in := inputs[0]
	im.input = in
	if in.ElemType != onnxpb.Float {
		return fmt.Errorf("onnx: input %s has element type %s; vecgen computes in float32 (FLOAT)", onnxpb.QuoteName(in.Name), onnxpb.DataTypeName(in.ElemType))
	}
	im.cur, im.rank = in.Name, 2
	if in.HasShape {
		im.rank = len(in.Dims)
		if im.rank < 2 {
			return fmt.Errorf("onnx: input %s has rank %d; vecgen takes rows of features (rank 2 or more)", onnxpb.QuoteName(in.Name), im.rank)
		}
		if d := in.Dims[im.rank-1]; d.Known {
			im.width = int(min(d.Value, math.MaxInt32))
		}
	}
	return nil
}

// indexNodes checks each node's domain and size, records Constant nodes'
// values, and indexes which nodes read each value (im.users).
func (im *importer) indexNodes() error {
	im.done = make([]bool, len(im.g.Nodes))
	for i := range im.g.Nodes {
		n := &im.g.Nodes[i]
		if n.OpType == "" {
			return im.nodeErr(i, "has no op_type; the file is not a valid ONNX model")
		}
		if n.Domain != "" && n.Domain != "ai.onnx" {
			return im.nodeErr(i, "operator domain %s; %s", onnxpb.QuoteName(n.Domain), Supported)
		}
		if n.OpType == "Constant" {
			if len(n.Outputs) != 1 {
				return im.nodeErr(i, "a Constant with %d outputs", len(n.Outputs))
			}
			t, err := constantValue(n)
			if err != nil {
				return im.nodeErr(i, "%v", err)
			}
			im.consts[n.Outputs[0]] = t
			im.done[i] = true
			continue
		}
		if len(n.Inputs) > maxInputs || len(n.Outputs) > maxOutputs {
			return im.nodeErr(i, "op %s with %d inputs and %d outputs is not supported; %s", im.opName(i), len(n.Inputs), len(n.Outputs), Supported)
		}
		for j, name := range n.Inputs {
			if name == "" || slices.Index(n.Inputs, name) < j {
				continue
			}
			im.users[name] = append(im.users[name], i)
		}
	}
	return nil
}

// last is the layer being built, or nil.
func (im *importer) last() *layer {
	if len(im.layers) == 0 {
		return nil
	}
	return im.layers[len(im.layers)-1]
}

// step consumes the node or subgraph that reads the current value.
func (im *importer) step(users []int) error {
	i := users[0]
	n := &im.g.Nodes[i]
	if len(users) > 1 {
		if isElementwise(n.OpType) {
			return im.pattern(users)
		}
		return im.branchErr(users)
	}
	if isElementwise(n.OpType) && n.OpType != "Tanh" && n.OpType != "Sigmoid" && !im.isBias(n) {
		return im.pattern(users)
	}
	if len(n.Inputs) == 0 || n.Inputs[0] != im.cur {
		if !im.isBias(n) {
			return im.nodeErr(i, "reads %s as input %d; vecgen needs it as the first", onnxpb.QuoteName(im.cur), slices.Index(n.Inputs, im.cur))
		}
	}
	for j, name := range n.Inputs[1:] {
		if _, ok := im.consts[name]; !ok && name != "" && name != im.cur {
			return im.nodeErr(i, "input %d, %s, is computed, not a constant: vecgen supports only a chain of layers", j+1, onnxpb.QuoteName(name))
		}
	}
	if len(n.Outputs) == 0 {
		return im.nodeErr(i, "has no output")
	}
	var err error
	switch n.OpType {
	case "Identity", "Dropout", "Flatten":
		im.skip(i)
	}
	switch n.OpType {
	case "Identity", "Dropout":
		for _, o := range n.Outputs[1:] {
			if len(im.users[o]) > 0 || im.isGraphOutput(o) {
				return im.nodeErr(i, "its output %s is used; vecgen infers without dropout masks", onnxpb.QuoteName(o))
			}
		}
	case "Flatten":
		err = im.flatten(i)
	case "Gemm":
		err = im.gemm(i)
	case "MatMul":
		err = im.matmul(i)
	case "Add":
		err = im.bias(i)
	case "Relu":
		err = im.activate(i, spec.ReLU, "Relu")
	case "Sigmoid":
		err = im.activate(i, spec.Sigmoid, "Sigmoid")
	case "Tanh":
		err = im.activate(i, spec.Tanh, "Tanh")
	case "LeakyRelu":
		alpha := float32(0.01)
		if a := n.Attr("alpha"); a != nil {
			alpha = a.F
		}
		if alpha != float32(0.01) {
			return im.nodeErr(i, "alpha is %g; vecgen's leaky_relu has PyTorch's default slope 0.01 only", alpha)
		}
		err = im.activate(i, spec.LeakyReLU, "LeakyRelu")
	case "Softmax":
		err = im.softmax(i)
	case "LogSoftmax":
		err = im.logSoftmax(i)
	case "BatchNormalization":
		err = im.batchNorm(i)
	default:
		if hint, ok := unsupportedOpHints[n.OpType]; ok {
			return im.nodeErr(i, "op %s is not supported: %s; %s", im.opName(i), hint, Supported)
		}
		return im.nodeErr(i, "op %s is not supported; %s", im.opName(i), Supported)
	}
	if err != nil {
		return err
	}
	if len(n.Outputs) > 1 && n.OpType != "Dropout" {
		return im.nodeErr(i, "has %d outputs, want 1", len(n.Outputs))
	}
	im.done[i] = true
	im.cur = n.Outputs[0]
	return nil
}

func (im *importer) isGraphOutput(name string) bool {
	return name == im.g.Outputs[0].Name // walk checked there is one
}

// branchErr explains a value read by several nodes.
func (im *importer) branchErr(users []int) error {
	readers := few(len(users), func(k int) string { return fmt.Sprintf("node %d (%s)", users[k], im.opName(users[k])) })
	return im.nodeErr(users[0], "value %s feeds %s: a branch or residual connection; vecgen supports only a chain of layers", onnxpb.QuoteName(im.cur), readers)
}
