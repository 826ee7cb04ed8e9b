package onnx_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vecgen/vecgen/internal/alloctest"
	"github.com/vecgen/vecgen/internal/onnxpb"
)

// importBudget is the time and memory Import (or Decode alone) may take
// on a file of n bytes, as the README's limits table says: the spec it
// writes and checks costs up to a few MiB whatever the file (32 layers of
// commented YAML), the decoded graph and weights at most 64 bytes per
// byte (an empty NodeProto of 2 bytes decodes into a 120-byte Node); a
// second, and a microsecond per byte, hold on a loaded machine what takes
// tens of nanoseconds per byte on an idle one.
func importBudget(n int) (time.Duration, uint64) {
	return time.Second + time.Duration(n)*time.Microsecond, 8<<20 + 64*uint64(n)
}

// hostileGraphs are graphs shaped to make the importer allocate or work
// more than linearly, each with the one input a model needs, so that the
// walk gets as far as it can.
func hostileGraphs() []struct {
	name  string
	graph onnxpb.Graph
} {
	input := []onnxpb.ValueInfo{{Name: "x", ElemType: onnxpb.Float}}
	bigName := strings.Repeat("n", 512<<10)
	chain := newBuilder(5)
	chain.bytes(chain.identities(chain.gemm("x", 5, 3), 100_000))
	// many Dropouts, each checking that its mask is no graph output
	dropouts := newBuilder(5)
	out := dropouts.gemm("x", 5, 3)
	for i := range 30_000 {
		next := fmt.Sprint("d", i)
		dropouts.g.Nodes = append(dropouts.g.Nodes, onnxpb.Node{OpType: "Dropout", Inputs: []string{out}, Outputs: []string{next, fmt.Sprint("m", i)}})
		out = next
	}
	dropouts.bytes(out)
	dropouts.g.Outputs = append(dropouts.g.Outputs, make([]onnxpb.ValueInfo, 300_000)...)
	readers := make([]onnxpb.Node, 1<<18)
	for i := range readers {
		readers[i] = onnxpb.Node{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{fmt.Sprint("r", i)}}
	}
	// many nodes write one value that many read (ONNX allows one writer)
	manyToMany := make([]onnxpb.Node, 1<<17)
	for i := range manyToMany {
		manyToMany[i] = onnxpb.Node{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"v"}}
		if i%2 == 1 {
			manyToMany[i] = onnxpb.Node{OpType: "Relu", Inputs: []string{"v"}, Outputs: []string{fmt.Sprint("r", i)}}
		}
	}
	return []struct {
		name  string
		graph onnxpb.Graph
	}{
		{"1M empty nodes", onnxpb.Graph{Inputs: input, Nodes: make([]onnxpb.Node, 1<<20)}},
		{"1M empty initializers", onnxpb.Graph{Inputs: input, Initializers: make([]onnxpb.Tensor, 1<<20)}},
		{"a node with a 512 KiB name and 200,000 empty attributes", onnxpb.Graph{Inputs: input,
			Nodes: []onnxpb.Node{{Name: bigName, OpType: "Relu", Inputs: []string{"x"}, Attrs: make([]onnxpb.Attribute, 200_000)}}}},
		{"an input with a 512 KiB name and 200,000 dims", onnxpb.Graph{
			Inputs: []onnxpb.ValueInfo{{Name: bigName, ElemType: onnxpb.Float, HasShape: true, Dims: make([]onnxpb.Dim, 200_000)}}}},
		{"a value read by 2^18 nodes", onnxpb.Graph{Inputs: input, Nodes: readers}},
		{"a value written by 2^16 nodes and read by 2^16", onnxpb.Graph{Inputs: input, Nodes: manyToMany}},
		{"a Gemm and a chain of 100,000 Identity nodes", chain.g},
		{"30,000 Dropout nodes and 300,000 graph outputs", dropouts.g},
	}
}

// Import takes time and memory linear in its input, within importBudget,
// whatever the graph's shape.
func TestImportBoundedPerByte(t *testing.T) {
	for _, c := range hostileGraphs() {
		data := onnxpb.Encode(&onnxpb.Model{Opsets: []onnxpb.Opset{{Version: 13}}, Graph: &c.graph})
		var err error
		report, ok := alloctest.Within(len(data), importBudget, func() { _, err = importBytes(data) })
		t.Logf("%s: %s: %.200v", c.name, report, err)
		if !ok {
			t.Errorf("%s: Import took more than its budget: %s", c.name, report)
		}
	}
}
