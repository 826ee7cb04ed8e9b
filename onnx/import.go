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
//     axis on the last layer: the activation of the layer before;
//   - elementwise subgraphs of Add, Sub, Mul, Div, Pow, Neg, Tanh, Sigmoid,
//     Erf, Exp, Sqrt and Reciprocal with scalar constants that compute GELU's
//     tanh form or SiLU (z·sigmoid(z)), whatever their order of operations;
//   - Flatten(axis=1) before the first layer; Identity and Dropout, which
//     inference skips.
//
// Anything else is an error naming the node, its index and op type.
package onnx

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/nn"
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
const Supported = "vecgen imports Gemm or MatMul (+ Add) dense layers, each followed by at most one of Relu, LeakyRelu (alpha 0.01), " +
	"Sigmoid, Tanh, GELU (tanh form), SiLU or, on the last layer, Softmax over the last axis; Flatten(axis=1) at the input; " +
	"Identity and Dropout are skipped"

// SpecHeader starts the first line of every spec Import writes.
const SpecHeader = "# Imported by vecgen from "

// MinOpset and MaxOpset bound the default-domain opsets Import accepts.
const (
	MinOpset = 9
	MaxOpset = 17
)

// layer is a dense layer being recognized.
type layer struct {
	in, out int
	w       []float32 // In×Out, row-major
	b       []float32 // nil until a bias is seen
	act     spec.Activation
	from    []string // where its parts came from
	matmul  string   // the output of a MatMul still waiting for its bias, or ""
}

type importer struct {
	g      *onnxpb.Graph
	opset  int64
	consts map[string]*onnxpb.Tensor
	users  map[string][]int // value → nodes reading it, each once
	done   []bool
	layers []*layer
	cur    string // the chain's current value
	rank   int    // its rank
	width  int    // its last dimension, 0 when unknown
	// skipped lists the nodes (Flatten, Identity, Dropout) since the last
	// layer started, for the spec's comments.
	skipped []string
}

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

// nodeErr formats an error about node i.
func (im *importer) nodeErr(i int, format string, args ...any) error {
	n := &im.g.Nodes[i]
	return fmt.Errorf("onnx: node %d (%s %s): %s", i, n.OpType, quoteName(n.Name), fmt.Sprintf(format, args...))
}

// quoteName quotes an ONNX name for a message or a comment, cut to 64
// bytes.
func quoteName(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}

func (im *importer) walk() error {
	g := im.g
	for i := range g.Initializers {
		t := &g.Initializers[i]
		if _, ok := im.consts[t.Name]; ok {
			return fmt.Errorf("onnx: two initializers are called %s", quoteName(t.Name))
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
	in := inputs[0]
	if in.ElemType != onnxpb.Float {
		return fmt.Errorf("onnx: input %s has element type %s; vecgen computes in float32 (FLOAT)", quoteName(in.Name), onnxpb.DataTypeName(in.ElemType))
	}
	im.cur, im.rank = in.Name, 2
	if in.HasShape {
		im.rank = len(in.Dims)
		if im.rank < 2 {
			return fmt.Errorf("onnx: input %s has rank %d; vecgen takes rows of features (rank 2 or more)", quoteName(in.Name), im.rank)
		}
		if d := in.Dims[im.rank-1]; d.Known {
			im.width = int(min(d.Value, math.MaxInt32))
		}
	}
	im.done = make([]bool, len(g.Nodes))
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Domain != "" && n.Domain != "ai.onnx" {
			return im.nodeErr(i, "operator domain %q; %s", n.Domain, Supported)
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
		if len(n.Inputs) > maxInputs {
			return im.nodeErr(i, "op %s with %d inputs is not supported; %s", n.OpType, len(n.Inputs), Supported)
		}
		for j, name := range n.Inputs {
			if name == "" || slices.Index(n.Inputs, name) < j {
				continue
			}
			im.users[name] = append(im.users[name], i)
		}
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
	if len(g.Outputs) != 1 || g.Outputs[0].Name != im.cur {
		names := make([]string, len(g.Outputs))
		for i, o := range g.Outputs {
			names[i] = quoteName(o.Name)
		}
		return fmt.Errorf("onnx: the graph's outputs are [%s]; the chain of layers ends at %s", strings.Join(names, ", "), quoteName(im.cur))
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
	l.from = append(l.from, im.skipped...)
	return nil
}

// constantValue is a Constant node's tensor.
func constantValue(n *onnxpb.Node) (*onnxpb.Tensor, error) {
	for _, a := range n.Attrs {
		switch a.Name {
		case "value":
			if a.T == nil {
				return nil, errors.New("its value is not a tensor")
			}
			return a.T, nil
		case "value_float":
			raw := make([]byte, 4)
			putFloat(raw, a.F)
			return &onnxpb.Tensor{DataType: onnxpb.Float, RawData: raw}, nil
		}
	}
	return nil, errors.New("a Constant without a value or value_float attribute")
}

func putFloat(b []byte, f float32) {
	u := math.Float32bits(f)
	b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
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
			return im.nodeErr(i, "reads %s as input %d; vecgen needs it as the first", quoteName(im.cur), slices.Index(n.Inputs, im.cur))
		}
	}
	for j, name := range n.Inputs[1:] {
		if _, ok := im.consts[name]; !ok && name != "" && name != im.cur {
			return im.nodeErr(i, "input %d, %s, is computed, not a constant: vecgen supports only a chain of layers", j+1, quoteName(name))
		}
	}
	if len(n.Outputs) == 0 {
		return im.nodeErr(i, "has no output")
	}
	var err error
	switch n.OpType {
	case "Identity", "Dropout", "Flatten":
		im.skipped = append(im.skipped, fmt.Sprintf("node %d %s", i, n.OpType))
	}
	switch n.OpType {
	case "Identity", "Dropout":
		for _, o := range n.Outputs[1:] {
			if len(im.users[o]) > 0 || im.isGraphOutput(o) {
				return im.nodeErr(i, "its output %s is used; vecgen infers without dropout masks", quoteName(o))
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
	default:
		return im.nodeErr(i, "op %s is not supported; %s", n.OpType, Supported)
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
	for _, o := range im.g.Outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

// branchErr explains a value read by several nodes.
func (im *importer) branchErr(users []int) error {
	var parts []string
	for _, u := range users[:min(len(users), 4)] {
		parts = append(parts, fmt.Sprintf("node %d (%s)", u, im.g.Nodes[u].OpType))
	}
	if len(users) > 4 {
		parts = append(parts, fmt.Sprintf("and %d more", len(users)-4))
	}
	return im.nodeErr(users[0], "value %s feeds %s: a branch or residual connection; vecgen supports only a chain of layers", quoteName(im.cur), strings.Join(parts, ", "))
}

// isBias reports whether node n adds a constant bias to a MatMul's output.
func (im *importer) isBias(n *onnxpb.Node) bool {
	l := im.last()
	if n.OpType != "Add" || l == nil || l.matmul != im.cur || len(n.Inputs) != 2 {
		return false
	}
	other := n.Inputs[0]
	if other == im.cur {
		other = n.Inputs[1]
	}
	t, ok := im.consts[other]
	if !ok {
		return false
	}
	// A bias has out values along its last dimension; a scalar constant
	// belongs to an elementwise pattern.
	return len(t.Dims) >= 1 && t.Dims[len(t.Dims)-1] == int64(l.out)
}

func (im *importer) flatten(i int) error {
	n := &im.g.Nodes[i]
	if len(im.layers) > 0 {
		return im.nodeErr(i, "Flatten is supported only at the input, before the first layer")
	}
	axis := int64(1)
	if a := n.Attr("axis"); a != nil {
		axis = a.I
	}
	if axis < 0 {
		axis += int64(im.rank)
	}
	if axis != 1 {
		return im.nodeErr(i, "Flatten with axis %d; vecgen's rows are samples, so only axis=1 is supported", axis)
	}
	in := im.inputInfo()
	im.width = 0
	if in != nil && in.HasShape {
		w := int64(1)
		for _, d := range in.Dims[1:] {
			if !d.Known || d.Value <= 0 || d.Value > spec.MaxWidth {
				w = 0
				break
			}
			w *= d.Value
			if w > spec.MaxWidth {
				return im.nodeErr(i, "flattens to %d features, more than vecgen's %d", w, spec.MaxWidth)
			}
		}
		im.width = int(w)
	}
	im.rank = 2
	return nil
}

// inputInfo is the graph's data input when the chain is still at it.
func (im *importer) inputInfo() *onnxpb.ValueInfo {
	for i := range im.g.Inputs {
		if im.g.Inputs[i].Name == im.cur {
			return &im.g.Inputs[i]
		}
	}
	return nil
}

// constant returns the floats of a constant input of node i.
func (im *importer) constant(i int, name, role string) (*onnxpb.Tensor, []float32, error) {
	t, ok := im.consts[name]
	if !ok {
		return nil, nil, im.nodeErr(i, "its %s %s is not a constant (an initializer or a Constant node)", role, quoteName(name))
	}
	v, err := t.Floats()
	if err != nil {
		return nil, nil, im.nodeErr(i, "its %s: %v", role, err)
	}
	if len(v) == 0 {
		return nil, nil, im.nodeErr(i, "its %s %s is empty (dims %v)", role, quoteName(name), t.Dims)
	}
	return t, v, nil
}

// newLayer starts a layer of the given shape, checking it against the
// width of the value it reads.
func (im *importer) newLayer(i, in, out int, what string) (*layer, error) {
	if l := im.last(); l != nil && l.act == spec.Softmax {
		return nil, im.nodeErr(i, "follows a Softmax; vecgen supports softmax on the last layer only")
	}
	if in > spec.MaxWidth || out > spec.MaxWidth {
		return nil, im.nodeErr(i, "%s is %d×%d; vecgen's widths are at most %d", what, in, out, spec.MaxWidth)
	}
	if im.width != 0 && in != im.width {
		return nil, im.nodeErr(i, "shape mismatch: %s takes %d inputs, but the value it reads, %s, has %d", what, in, quoteName(im.cur), im.width)
	}
	if len(im.layers) == spec.MaxLayers {
		return nil, im.nodeErr(i, "more than vecgen's %d layers", spec.MaxLayers)
	}
	l := &layer{in: in, out: out, from: im.skipped}
	im.skipped = nil
	im.layers = append(im.layers, l)
	im.width = out
	return l, nil
}

func (im *importer) gemm(i int) error {
	n := &im.g.Nodes[i]
	attr := func(name string, def float64) float64 {
		if a := n.Attr(name); a != nil {
			if a.Type == onnxpb.AttrFloat || a.Type == 0 && (name == "alpha" || name == "beta") {
				return float64(a.F)
			}
			return float64(a.I)
		}
		return def
	}
	if alpha, beta := attr("alpha", 1), attr("beta", 1); alpha != 1 || beta != 1 {
		return im.nodeErr(i, "alpha %g and beta %g; vecgen imports Gemm with alpha = beta = 1", alpha, beta)
	}
	if attr("transA", 0) != 0 {
		return im.nodeErr(i, "transA = 1; vecgen's rows are samples")
	}
	if im.rank != 2 {
		return im.nodeErr(i, "Gemm on a value of rank %d", im.rank)
	}
	if len(n.Inputs) < 2 {
		return im.nodeErr(i, "Gemm with %d inputs", len(n.Inputs))
	}
	transB := attr("transB", 0) != 0
	t, w, err := im.constant(i, n.Inputs[1], "weight")
	if err != nil {
		return err
	}
	if len(t.Dims) != 2 {
		return im.nodeErr(i, "its weight %s has dims %v, want 2", quoteName(n.Inputs[1]), t.Dims)
	}
	in, out := int(t.Dims[0]), int(t.Dims[1])
	if transB {
		in, out = out, in
	}
	what := fmt.Sprintf("Gemm weight %s", quoteName(n.Inputs[1]))
	l, err := im.newLayer(i, in, out, what)
	if err != nil {
		return err
	}
	l.w = w
	if transB { // [out,in] → In×Out
		l.w = make([]float32, len(w))
		for j := range out {
			for k := range in {
				l.w[k*out+j] = w[j*in+k]
			}
		}
	}
	src := fmt.Sprintf("node %d Gemm %s: weight %s %v", i, quoteName(n.Name), quoteName(n.Inputs[1]), t.Dims)
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		bt, b, err := im.constant(i, n.Inputs[2], "bias")
		if err != nil {
			return err
		}
		if len(b) != out || len(bt.Dims) == 0 || bt.Dims[len(bt.Dims)-1] != int64(out) {
			return im.nodeErr(i, "its bias %s has dims %v; vecgen needs %d values, one per output", quoteName(n.Inputs[2]), bt.Dims, out)
		}
		l.b = b
		src += fmt.Sprintf(", bias %s", quoteName(n.Inputs[2]))
	}
	l.from = append(l.from, src)
	return nil
}

func (im *importer) matmul(i int) error {
	n := &im.g.Nodes[i]
	if len(n.Inputs) != 2 {
		return im.nodeErr(i, "MatMul with %d inputs", len(n.Inputs))
	}
	t, w, err := im.constant(i, n.Inputs[1], "weight")
	if err != nil {
		return err
	}
	if len(t.Dims) != 2 {
		return im.nodeErr(i, "its weight %s has dims %v; vecgen needs a matrix [in,out]", quoteName(n.Inputs[1]), t.Dims)
	}
	l, err := im.newLayer(i, int(t.Dims[0]), int(t.Dims[1]), fmt.Sprintf("MatMul weight %s", quoteName(n.Inputs[1])))
	if err != nil {
		return err
	}
	l.w = w
	l.matmul = n.Outputs[0]
	l.from = append(l.from, fmt.Sprintf("node %d MatMul %s: weight %s %v", i, quoteName(n.Name), quoteName(n.Inputs[1]), t.Dims))
	return nil
}

func (im *importer) bias(i int) error {
	n := &im.g.Nodes[i]
	l := im.last()
	other := n.Inputs[0]
	if other == im.cur {
		other = n.Inputs[1]
	}
	t, b, err := im.constant(i, other, "bias")
	if err != nil {
		return err
	}
	if len(b) != l.out {
		return im.nodeErr(i, "its bias %s has dims %v; vecgen needs %d values, one per output", quoteName(other), t.Dims, l.out)
	}
	l.b, l.matmul = b, ""
	l.from = append(l.from, fmt.Sprintf("node %d Add %s: bias %s", i, quoteName(n.Name), quoteName(other)))
	return nil
}

func (im *importer) activate(i int, act spec.Activation, what string) error {
	l := im.last()
	if l == nil {
		return im.nodeErr(i, "%s before the first dense layer; vecgen's layers are a dense layer then one activation", what)
	}
	if l.act != "" {
		return im.nodeErr(i, "a second activation (%s after %s) on one layer; vecgen's layers have one", what, l.act)
	}
	l.act, l.matmul = act, ""
	l.from = append(l.from, fmt.Sprintf("node %d %s", i, what))
	return nil
}

func (im *importer) softmax(i int) error {
	n := &im.g.Nodes[i]
	axis := int64(-1)
	if im.opset < 13 {
		axis = 1
	}
	if a := n.Attr("axis"); a != nil {
		axis = a.I
	}
	norm := axis
	if norm < 0 {
		norm += int64(im.rank)
	}
	if norm != int64(im.rank-1) {
		return im.nodeErr(i, "Softmax over axis %d of a rank-%d value (opset %d); vecgen's softmax is over each sample's outputs, the last axis", axis, im.rank, im.opset)
	}
	return im.activate(i, spec.Softmax, "Softmax")
}

// isElementwise reports whether op may appear in a GELU or SiLU pattern.
func isElementwise(op string) bool {
	switch op {
	case "Add", "Sub", "Mul", "Div", "Pow", "Neg", "Tanh", "Sigmoid", "Erf", "Exp", "Sqrt", "Reciprocal":
		return true
	}
	return false
}

// maxInputs bounds a node's inputs: the ops Import knows take at most 3.
const maxInputs = 8

// maxPattern bounds the nodes of an elementwise pattern.
const maxPattern = 32

// pattern recognizes the elementwise subgraph that starts at the current
// value and ends at a single value it hands on, by evaluating it: it grows
// the subgraph node by node and accepts the first end whose function is
// GELU's tanh form or SiLU.
func (im *importer) pattern(users []int) error {
	first := users[0]
	region := map[string]bool{im.cur: true}
	in := map[int]bool{}
	var nodes []int
	var failed error
	for i := first; i < len(im.g.Nodes); i++ {
		n := &im.g.Nodes[i]
		if im.done[i] || !slices.ContainsFunc(n.Inputs, func(s string) bool { return region[s] }) {
			continue
		}
		if !isElementwise(n.OpType) {
			break
		}
		for _, v := range n.Inputs {
			if _, ok := im.consts[v]; !ok && !region[v] {
				if n.OpType == "Add" || n.OpType == "Sub" {
					return im.nodeErr(i, "combines two computed values, %s and %s: a residual or branching connection; vecgen supports only a chain of layers", quoteName(n.Inputs[0]), quoteName(n.Inputs[1]))
				}
				return im.nodeErr(i, "its input %s is computed outside the chain; vecgen supports only a chain of layers", quoteName(v))
			}
		}
		if len(n.Outputs) != 1 {
			return im.nodeErr(i, "has %d outputs, want 1", len(n.Outputs))
		}
		nodes = append(nodes, i)
		in[i] = true
		if len(nodes) > maxPattern {
			return im.nodeErr(first, "an elementwise subgraph of more than %d nodes; vecgen recognizes GELU's tanh form and SiLU", maxPattern)
		}
		region[n.Outputs[0]] = true
		// A candidate end: the only value of the subgraph read outside it
		// (or the graph's output), and the newest.
		open := 0
		for v := range region {
			leaves := im.isGraphOutput(v)
			for _, u := range im.users[v] {
				leaves = leaves || !in[u]
			}
			if leaves {
				open++
			}
		}
		leaves := im.isGraphOutput(n.Outputs[0]) || len(im.users[n.Outputs[0]]) > 0
		if open != 1 || !leaves {
			continue
		}
		act, err := im.classify(nodes)
		if err != nil {
			return err
		}
		from, to := nodes[0], nodes[len(nodes)-1]
		switch act {
		case "":
			failed = im.nodeErr(from, "nodes %d-%d compute an elementwise function that is neither GELU's tanh form nor SiLU; %s", from, to, Supported)
			continue
		case "erf":
			return im.nodeErr(from, "nodes %d-%d compute GELU's exact (erf) form; vecgen has only the tanh form: use nn.GELU(approximate=\"tanh\")", from, to)
		}
		if err := im.activate(from, act, string(act)); err != nil {
			return err
		}
		l := im.last()
		l.from[len(l.from)-1] = fmt.Sprintf("nodes %d-%d: %s as %d elementwise ops", from, to, act, len(nodes))
		for _, j := range nodes {
			im.done[j] = true
		}
		im.cur = n.Outputs[0]
		return nil
	}
	if failed != nil {
		return failed
	}
	if len(users) > 1 {
		return im.branchErr(users)
	}
	return im.nodeErr(first, "an elementwise subgraph that does not end in one value; %s", Supported)
}

// classify evaluates the pattern's nodes at sample points and names the
// activation they compute: gelu, silu, "erf" for GELU's exact form, or ""
// for none of these.
func (im *importer) classify(nodes []int) (spec.Activation, error) {
	scalars := map[string]float64{}
	for _, j := range nodes {
		for _, in := range im.g.Nodes[j].Inputs {
			t, ok := im.consts[in]
			if !ok {
				continue
			}
			if n, err := t.Elements(1); err != nil || n != 1 {
				return "", im.nodeErr(j, "constant %s has dims %v; an activation pattern takes scalars", quoteName(in), t.Dims)
			}
			v, err := t.Floats()
			if err != nil {
				return "", im.nodeErr(j, "constant %s: %v", quoteName(in), err)
			}
			scalars[in] = float64(v[0])
		}
	}
	candidates := []struct {
		act spec.Activation
		f   func(float64) float64
	}{
		{spec.GELU, func(z float64) float64 {
			return 0.5 * z * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(z+0.044715*z*z*z)))
		}},
		{spec.SiLU, func(z float64) float64 { return z / (1 + math.Exp(-z)) }},
		{"erf", func(z float64) float64 { return 0.5 * z * (1 + math.Erf(z/math.Sqrt2)) }},
	}
	points := []float64{-9, -4.5, -2.25, -1.1, -0.6, -0.2, -0.03, 0, 0.01, 0.3, 0.75, 1.4, 2.6, 5.2, 11}
	values := make([]float64, len(points))
	for p, z := range points {
		env := map[string]float64{im.cur: z}
		for _, j := range nodes {
			n := &im.g.Nodes[j]
			args := make([]float64, len(n.Inputs))
			for k, in := range n.Inputs {
				if v, ok := env[in]; ok {
					args[k] = v
				} else {
					args[k] = scalars[in]
				}
			}
			v, err := eval(n.OpType, args)
			if err != nil {
				return "", im.nodeErr(j, "%v", err)
			}
			env[n.Outputs[0]] = v
			values[p] = v
		}
	}
	for _, c := range candidates {
		match := true
		for p, z := range points {
			want := c.f(z)
			match = match && math.Abs(values[p]-want) <= 1e-6*max(1, math.Abs(want))
		}
		if match {
			return c.act, nil
		}
	}
	return "", nil
}

// eval applies an elementwise op to scalars.
func eval(op string, a []float64) (float64, error) {
	arity := 2
	switch op {
	case "Neg", "Tanh", "Sigmoid", "Erf", "Exp", "Sqrt", "Reciprocal":
		arity = 1
	}
	if len(a) != arity {
		return 0, fmt.Errorf("%s with %d inputs, want %d", op, len(a), arity)
	}
	switch op {
	case "Add":
		return a[0] + a[1], nil
	case "Sub":
		return a[0] - a[1], nil
	case "Mul":
		return a[0] * a[1], nil
	case "Div":
		return a[0] / a[1], nil
	case "Pow":
		return math.Pow(a[0], a[1]), nil
	case "Neg":
		return -a[0], nil
	case "Tanh":
		return math.Tanh(a[0]), nil
	case "Sigmoid":
		return 1 / (1 + math.Exp(-a[0])), nil
	case "Erf":
		return math.Erf(a[0]), nil
	case "Exp":
		return math.Exp(a[0]), nil
	case "Sqrt":
		return math.Sqrt(a[0]), nil
	case "Reciprocal":
		return 1 / a[0], nil
	}
	return 0, fmt.Errorf("op %s is not elementwise", op)
}

// LossFor is the loss an imported model gets for its last activation.
func LossFor(act spec.Activation) spec.Loss {
	switch act {
	case spec.Softmax:
		return spec.CrossEntropy
	case spec.Sigmoid:
		return spec.BinaryCrossEntropy
	}
	return spec.MSE
}

// result writes the spec and the weights.
func (im *importer) result(m *onnxpb.Model, opts Options) (*Result, error) {
	source := opts.Source
	if source == "" {
		source = "an ONNX model"
	}
	weightsName := strings.TrimSuffix(specFileName(opts.Name), ".yaml") + ".safetensors"
	var sb bytes.Buffer
	producer := strings.TrimSpace(m.ProducerName + " " + m.ProducerVersion)
	if producer == "" {
		producer = "unknown"
	}
	fmt.Fprintf(&sb, "%s%s (opset %d, producer %s).\n", SpecHeader, commentSafe(source), im.opset, commentSafe(producer))
	fmt.Fprintf(&sb, "# Weights: %s; layer i's w and b are tensors \"2(i-1).weight\" ([out,in], PyTorch's Linear.weight) and \"2(i-1).bias\".\n", weightsName)
	fmt.Fprintf(&sb, "name: %s\nbatch: %d\ninput: %d\nlayers:\n", opts.Name, opts.Batch, im.layers[0].in)
	tensors := map[string]nn.Tensor{}
	for i, l := range im.layers {
		if l.act == "" {
			l.act = spec.Identity
		}
		if l.b == nil {
			l.b = make([]float32, l.out)
			l.from = append(l.from, "no bias: zeros")
		}
		entry := fmt.Sprintf("{dense: %d, activation: %s}", l.out, l.act)
		fmt.Fprintf(&sb, "  - %-40s # %s\n", entry, commentSafe(strings.Join(l.from, "; ")))
		wt := make([]float32, len(l.w)) // Out×In, as PyTorch's Linear.weight
		for k := range l.in {
			for j := range l.out {
				wt[j*l.in+k] = l.w[k*l.out+j]
			}
		}
		for _, v := range slices.Concat(l.w, l.b) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("onnx: layer %d (%s) has a non-finite weight %v; nn loads only finite weights", i+1, l.from[0], v)
			}
		}
		tensors[fmt.Sprintf("%d.weight", 2*i)] = nn.Tensor{Shape: []int{l.out, l.in}, Data: wt}
		tensors[fmt.Sprintf("%d.bias", 2*i)] = nn.Tensor{Shape: []int{l.out}, Data: l.b}
	}
	last := im.layers[len(im.layers)-1].act
	loss := LossFor(last)
	note := fmt.Sprintf("the loss is not in ONNX: %s fits the last layer's %s activation", loss, last)
	fmt.Fprintf(&sb, "# %s; change it to train on another.\nloss: %s\n", note, loss)
	model, err := spec.Parse(specFileName(opts.Name), sb.Bytes())
	if err != nil {
		return nil, fmt.Errorf("onnx: the imported model is not a valid vecgen spec: %w", err)
	}
	var wb bytes.Buffer
	meta := map[string]string{"format": "pt", "vecgen.model": opts.Name, "vecgen.source": source}
	if err := nn.EncodeTensors(&wb, tensors, meta); err != nil {
		return nil, err
	}
	return &Result{Model: model, Spec: sb.Bytes(), Weights: wb.Bytes(), Opset: im.opset, Notes: []string{note}}, nil
}

// commentSafe keeps text on one YAML comment line.
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			return ' '
		}
		return r
	}, s)
}

// specFileName is the spec file of a model: its name in lower case.
func specFileName(name string) string { return strings.ToLower(name) + ".yaml" }

// SpecFile and WeightsFile are the names Import's outputs take for a
// model name.
func SpecFile(name string) string    { return specFileName(name) }
func WeightsFile(name string) string { return strings.ToLower(name) + ".safetensors" }

// NameFromFile derives a model name from an ONNX file's name:
// "mnist_mlp-v2.onnx" gives "MnistMlpV2"; one that starts with a digit
// gets a leading "M".
func NameFromFile(path string) string {
	base := path[strings.LastIndexAny(path, `/\`)+1:]
	base = strings.TrimSuffix(base, ".onnx")
	var b strings.Builder
	up := true
	for _, r := range base {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if up {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	name := b.String()
	if name == "" || !unicode.IsUpper(rune(name[0])) {
		name = "M" + name
	}
	if len(name) > spec.MaxName {
		name = name[:spec.MaxName]
	}
	return name
}
