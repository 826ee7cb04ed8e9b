package onnx_test

import (
	"bytes"
	"testing"

	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
	"github.com/vecgen/vecgen/onnx"
)

// FuzzImport feeds arbitrary bytes to the ONNX decoder and the importer:
// they must return a result or an error, never panic, and each stay
// within importBudget's time and allocation for the file's size.
func FuzzImport(f *testing.F) {
	f.Add(validModel())
	net, err := nn.New(kernels.ScorerNetwork(), nn.Options{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	var scorer bytes.Buffer
	if err := net.ExportONNX(&scorer); err != nil {
		f.Fatal(err)
	}
	f.Add(scorer.Bytes())
	f.Add(scorer.Bytes()[:scorer.Len()/3])
	// A cycle through an Identity, and a bias copied by one.
	cycle := newBuilder(5)
	h := cycle.gemm("x", 5, 3)
	cycle.g.Nodes = append(cycle.g.Nodes, onnxpb.Node{OpType: "Identity", Inputs: []string{h}, Outputs: []string{h}})
	f.Add(cycle.bytes(h))
	copied := newBuilder(5)
	out := copied.gemm("x", 5, 3)
	copied.identity(copied.g.Initializers[1].Name, "copy")
	copied.g.Nodes[1].Inputs[2] = "copy"
	f.Add(copied.bytes(out))
	f.Fuzz(func(t *testing.T, data []byte) {
		if report, ok := importBudget.Within(len(data), func() { onnxpb.Decode(data) }); !ok {
			t.Fatalf("Decode took more than its budget: %s", report)
		}
		var res *onnx.Result
		var err error
		if report, ok := importBudget.Within(len(data), func() { res, err = importBytes(data) }); !ok {
			t.Fatalf("Import took more than its budget: %s", report)
		}
		if err == nil && (res.Model == nil || len(res.Weights) == 0) {
			t.Fatal("Import returned no error and no model")
		}
	})
}
