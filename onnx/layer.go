package onnx

import (
	"fmt"

	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/spec"
)

// layer is a dense layer being recognized.
type layer struct {
	in, out int
	w       []float32 // In×Out, row-major
	b       []float32 // nil until a bias is seen
	act     spec.Activation
	from    []string // where its parts came from
	matmul  string   // the output of a MatMul still waiting for its bias, or ""
	folded  bool     // a BatchNormalization was folded into w and b
	// wName and bName are the initializers w and b came from as they are,
	// PyTorch's parameter names (a Gemm's transB = 1 weight, a bias), or
	// "" when the file holds them in another form (a MatMul's [in,out]).
	wName, bName string
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
	if im.input.Name != im.cur {
		return nil
	}
	return im.input
}

// constant returns the floats of a constant input of node i.
func (im *importer) constant(i int, name, role string) (*onnxpb.Tensor, []float32, error) {
	t, ok := im.consts[name]
	if !ok {
		return nil, nil, im.nodeErr(i, "its %s %s is not a constant (an initializer or a Constant node)", role, onnxpb.QuoteName(name))
	}
	v, err := t.Floats()
	if err != nil {
		return nil, nil, im.nodeErr(i, "its %s: %v", role, err)
	}
	if len(v) == 0 {
		return nil, nil, im.nodeErr(i, "its %s %s is empty (dims %s)", role, onnxpb.QuoteName(name), onnxpb.FormatDims(t.Dims))
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
		return nil, im.nodeErr(i, "shape mismatch: %s takes %d inputs, but the value it reads, %s, has %d", what, in, onnxpb.QuoteName(im.cur), im.width)
	}
	if len(im.layers) == spec.MaxLayers {
		return nil, im.nodeErr(i, "more than vecgen's %d layers", spec.MaxLayers)
	}
	l := &layer{in: in, out: out, from: im.takeSkipped()}
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
		return im.nodeErr(i, "its weight %s has dims %s, want 2", onnxpb.QuoteName(n.Inputs[1]), onnxpb.FormatDims(t.Dims))
	}
	in, out := int(t.Dims[0]), int(t.Dims[1])
	if transB {
		in, out = out, in
	}
	what := fmt.Sprintf("Gemm weight %s", onnxpb.QuoteName(n.Inputs[1]))
	l, err := im.newLayer(i, in, out, what)
	if err != nil {
		return err
	}
	l.w = w
	if transB { // [out,in] → In×Out, the file's tensor PyTorch's Linear.weight
		l.wName = n.Inputs[1]
		l.w = make([]float32, len(w))
		for j := range out {
			for k := range in {
				l.w[k*out+j] = w[j*in+k]
			}
		}
	}
	src := fmt.Sprintf("node %d Gemm %s: weight %s %v", i, onnxpb.QuoteName(n.Name), onnxpb.QuoteName(n.Inputs[1]), t.Dims)
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		bt, b, err := im.constant(i, n.Inputs[2], "bias")
		if err != nil {
			return err
		}
		if len(b) != out || len(bt.Dims) == 0 || bt.Dims[len(bt.Dims)-1] != int64(out) {
			return im.nodeErr(i, "its bias %s has dims %s; vecgen needs %d values, one per output", onnxpb.QuoteName(n.Inputs[2]), onnxpb.FormatDims(bt.Dims), out)
		}
		l.b, l.bName = b, n.Inputs[2]
		src += fmt.Sprintf(", bias %s", onnxpb.QuoteName(n.Inputs[2]))
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
		return im.nodeErr(i, "its weight %s has dims %s; vecgen needs a matrix [in,out]", onnxpb.QuoteName(n.Inputs[1]), onnxpb.FormatDims(t.Dims))
	}
	l, err := im.newLayer(i, int(t.Dims[0]), int(t.Dims[1]), fmt.Sprintf("MatMul weight %s", onnxpb.QuoteName(n.Inputs[1])))
	if err != nil {
		return err
	}
	l.w = w
	l.matmul = n.Outputs[0]
	l.from = append(l.from, fmt.Sprintf("node %d MatMul %s: weight %s %v", i, onnxpb.QuoteName(n.Name), onnxpb.QuoteName(n.Inputs[1]), t.Dims))
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
		return im.nodeErr(i, "its bias %s has dims %s; vecgen needs %d values, one per output", onnxpb.QuoteName(other), onnxpb.FormatDims(t.Dims), l.out)
	}
	l.b, l.bName, l.matmul = b, other, ""
	l.from = append(l.from, fmt.Sprintf("node %d Add %s: bias %s", i, onnxpb.QuoteName(n.Name), onnxpb.QuoteName(other)))
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
