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
var importBudget = alloctest.Budget{Time: time.Second, TimePerByte: time.Microsecond, Bytes: 8 << 20, BytesPerByte: 64}

// hostileGraphs are graphs shaped to make the importer allocate or work
// more than linearly, each with the one input a model needs, so that the
// walk gets as far as it can; each is built when its test runs.
var hostileGraphs = []struct {
	name  string
	graph func() onnxpb.Graph
}{
	{"1M empty nodes", func() onnxpb.Graph {
		return onnxpb.Graph{Inputs: dataInput, Nodes: make([]onnxpb.Node, 1<<20)}
	}},
	{"2^18 empty initializers", func() onnxpb.Graph {
		return onnxpb.Graph{Inputs: dataInput, Initializers: make([]onnxpb.Tensor, 1<<18)}
	}},
	{"a node with a 512 KiB name and 200,000 empty attributes", func() onnxpb.Graph {
		return onnxpb.Graph{Inputs: dataInput, Nodes: []onnxpb.Node{{Name: strings.Repeat("n", 512<<10), OpType: "Relu", Inputs: []string{"x"}, Attrs: make([]onnxpb.Attribute, 200_000)}}}
	}},
	{"an input with a 512 KiB name and 200,000 dims", func() onnxpb.Graph {
		return onnxpb.Graph{Inputs: []onnxpb.ValueInfo{{Name: strings.Repeat("n", 512<<10), ElemType: onnxpb.Float, HasShape: true, Dims: make([]onnxpb.Dim, 200_000)}}}
	}},
	{"a value read by 2^17 nodes", func() onnxpb.Graph {
		readers := make([]onnxpb.Node, 1<<17)
		for i := range readers {
			readers[i] = onnxpb.Node{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{fmt.Sprint("r", i)}}
		}
		return onnxpb.Graph{Inputs: dataInput, Nodes: readers}
	}},
	{"a value written by 2^16 nodes and read by 2^16", func() onnxpb.Graph {
		nodes := make([]onnxpb.Node, 1<<17) // ONNX allows one writer
		for i := range nodes {
			nodes[i] = onnxpb.Node{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"v"}}
			if i%2 == 1 {
				nodes[i] = onnxpb.Node{OpType: "Relu", Inputs: []string{"v"}, Outputs: []string{fmt.Sprint("r", i)}}
			}
		}
		return onnxpb.Graph{Inputs: dataInput, Nodes: nodes}
	}},
	{"a Gemm and a chain of 100,000 Identity nodes", func() onnxpb.Graph {
		b := newBuilder(5)
		b.bytes(b.identities(b.gemm("x", 5, 3), 100_000))
		return b.g
	}},
	{"30,000 Dropout nodes and 300,000 graph outputs", func() onnxpb.Graph {
		// each Dropout checks that its mask is no graph output
		b := newBuilder(5)
		out := b.gemm("x", 5, 3)
		for i := range 30_000 {
			next := fmt.Sprint("d", i)
			b.g.Nodes = append(b.g.Nodes, onnxpb.Node{OpType: "Dropout", Inputs: []string{out}, Outputs: []string{next, fmt.Sprint("m", i)}})
			out = next
		}
		b.bytes(out)
		b.g.Outputs = append(b.g.Outputs, make([]onnxpb.ValueInfo, 300_000)...)
		return b.g
	}},
	{"50,000 Flatten nodes and 200,000 initializers listed as inputs", func() onnxpb.Graph {
		// each Flatten looks for the graph's data input
		b := newBuilder(5)
		for i := range 200_000 {
			name := fmt.Sprint("i", i)
			b.g.Initializers = append(b.g.Initializers, onnxpb.Tensor{Name: name})
			b.g.Inputs = append(b.g.Inputs, onnxpb.ValueInfo{Name: name})
		}
		out := "x"
		for i := range 50_000 {
			next := fmt.Sprint("f", i)
			b.g.Nodes = append(b.g.Nodes, onnxpb.Node{OpType: "Flatten", Inputs: []string{out}, Outputs: []string{next}})
			out = next
		}
		b.bytes(out)
		return b.g
	}},
}

// dataInput is a graph's one data input.
var dataInput = []onnxpb.ValueInfo{{Name: "x", ElemType: onnxpb.Float}}

// Import takes time and memory linear in its input, within importBudget,
// whatever the graph's shape.
func TestImportBoundedPerByte(t *testing.T) {
	for _, c := range hostileGraphs {
		t.Run(c.name, func(t *testing.T) {
			g := c.graph()
			data := onnxpb.Encode(&onnxpb.Model{Opsets: []onnxpb.Opset{{Version: 13}}, Graph: &g})
			var err error
			report, ok := importBudget.Within(len(data), func() { _, err = importBytes(data) })
			t.Logf("%s: %.200v", report, err)
			if !ok {
				t.Errorf("Import took more than its budget: %s", report)
			}
		})
	}
}
