package onnx

import (
	"fmt"
	"slices"

	"github.com/vecgen/vecgen/internal/onnxpb"
)

// isElementwise reports whether op may appear in a GELU (tanh or exact) or SiLU pattern.
func isElementwise(op string) bool {
	switch op {
	case "Add", "Sub", "Mul", "Div", "Pow", "Neg", "Tanh", "Sigmoid", "Erf", "Exp", "Sqrt", "Reciprocal":
		return true
	}
	return false
}

// maxPattern bounds the nodes of an elementwise pattern.
const maxPattern = 32

// pattern recognizes the elementwise subgraph that starts at the current
// value and ends at a single value it hands on, by evaluating it: it grows
// the subgraph node by node and accepts the first end whose function is
// GELU's tanh or exact form, or SiLU.
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
					return im.nodeErr(i, "combines two computed values, %s and %s: a residual or branching connection; vecgen supports only a chain of layers", onnxpb.QuoteName(n.Inputs[0]), onnxpb.QuoteName(n.Inputs[1]))
				}
				return im.nodeErr(i, "its input %s is computed outside the chain; vecgen supports only a chain of layers", onnxpb.QuoteName(v))
			}
		}
		if len(n.Outputs) != 1 {
			return im.nodeErr(i, "has %d outputs, want 1", len(n.Outputs))
		}
		nodes = append(nodes, i)
		in[i] = true
		if len(nodes) > maxPattern {
			return im.nodeErr(first, "an elementwise subgraph of more than %d nodes; vecgen recognizes GELU (tanh and exact) and SiLU", maxPattern)
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
			failed = im.nodeErr(from, "nodes %d-%d compute an elementwise function that is neither GELU (its tanh or exact form) nor SiLU; %s", from, to, Supported)
			continue
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
