package onnx

import (
	"errors"
	"math"

	"github.com/vecgen/vecgen/internal/onnxpb"
)

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

// foldIdentities makes the output of an Identity node whose input is a
// constant that constant, following chains of them in any order of the
// nodes, and marks those nodes done. torch.onnx.export writes one
// initializer for equal ones and Identity copies for the others: a
// Linear's zero bias equal to another's, an untrained BatchNorm's running
// mean and variance equal to its bias and weight. It runs once the graph
// is known to be acyclic, in time linear in the nodes folded.
func (im *importer) foldIdentities() error {
	var todo []int
	for i := range im.g.Nodes {
		if im.isIdentityOfConstant(i) {
			todo = append(todo, i)
		}
	}
	for len(todo) > 0 {
		i := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if im.done[i] {
			continue
		}
		n := &im.g.Nodes[i]
		if _, ok := im.consts[n.Outputs[0]]; ok {
			return im.nodeErr(i, "its output %s is also an initializer or a Constant's output; a value has one source", onnxpb.QuoteName(n.Outputs[0]))
		}
		im.consts[n.Outputs[0]] = im.consts[n.Inputs[0]]
		im.done[i] = true
		for _, j := range im.users[n.Outputs[0]] {
			if im.isIdentityOfConstant(j) {
				todo = append(todo, j)
			}
		}
	}
	return nil
}

// isIdentityOfConstant reports whether node i is an Identity, not yet
// folded, of a constant.
func (im *importer) isIdentityOfConstant(i int) bool {
	n := &im.g.Nodes[i]
	if n.OpType != "Identity" || im.done[i] || len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return false
	}
	_, ok := im.consts[n.Inputs[0]]
	return ok
}
