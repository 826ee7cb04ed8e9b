package onnx_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/internal/alloctest"
	"github.com/vecgen/vecgen/internal/onnxpb"
)

// importWithin imports data, and stops the whole test binary when Import
// has not returned within limit: a hang that allocates as it loops would
// otherwise keep running beside the other tests.
func importWithin(limit time.Duration, data []byte) error {
	var err error
	alloctest.Measure(limit, func() { _, err = importBytes(data) })
	return err
}

// A cycle of any kind is an error naming its nodes, found before the walk
// along the chain (which went round an Identity or Dropout cycle forever,
// allocating as it went).
func TestImportCycles(t *testing.T) {
	// model is a Gemm x → h and then the given nodes, "h" standing for
	// the Gemm's output.
	type node struct {
		op      string
		in, out []string
	}
	model := func(nodes ...node) []byte {
		b := newBuilder(5)
		h := b.gemm("x", 5, 3)
		for i, n := range nodes {
			for _, list := range [][]string{n.in, n.out} {
				for k, v := range list {
					if v == "h" {
						list[k] = h
					}
				}
			}
			b.g.Nodes = append(b.g.Nodes, onnxpb.Node{OpType: n.op, Name: fmt.Sprintf("/cyc%d", i), Inputs: n.in, Outputs: n.out})
		}
		return b.bytes(h)
	}
	for _, c := range []struct {
		name  string
		nodes []node
		want  string
	}{
		{"Identity on itself", []node{{"Identity", []string{"h"}, []string{"h"}}},
			`node 1 (Identity "/cyc0") → node 1`},
		{"Identity pair", []node{{"Identity", []string{"h"}, []string{"a"}}, {"Identity", []string{"a"}, []string{"h"}}},
			`node 1 (Identity "/cyc0") → node 2 (Identity "/cyc1") → node 1`},
		{"Dropout on itself", []node{{"Dropout", []string{"h"}, []string{"h", "mask"}}},
			`node 1 (Dropout "/cyc0") → node 1`},
		{"Relu on itself", []node{{"Relu", []string{"h"}, []string{"h"}}},
			`node 1 (Relu "/cyc0") → node 1`},
		{"off the chain", []node{{"Identity", []string{"p"}, []string{"q"}}, {"Tanh", []string{"q"}, []string{"p"}}},
			`node 1 (Identity "/cyc0") → node 2 (Tanh "/cyc1") → node 1`},
		{"inside an elementwise pattern", []node{{"Mul", []string{"h", "t"}, []string{"m"}}, {"Tanh", []string{"m"}, []string{"t"}}},
			`node 1 (Mul "/cyc0") → node 2 (Tanh "/cyc1") → node 1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := importWithin(5*time.Second, model(c.nodes...))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "onnx: the graph has a cycle: "+c.want)
			assert.Contains(t, err.Error(), "re-export")
			t.Log(err)
		})
	}
}

// A long cycle is named by its first nodes, and found in time linear in
// the graph.
func TestImportLongCycle(t *testing.T) {
	const n = 100_000
	b := newBuilder(5)
	h := b.gemm("x", 5, 3)
	for i := range n {
		b.g.Nodes = append(b.g.Nodes, onnxpb.Node{OpType: "Identity", Inputs: []string{fmt.Sprint("v", i)}, Outputs: []string{fmt.Sprint("v", (i+1)%n)}})
	}
	start := time.Now()
	err := importWithin(20*time.Second, b.bytes(h))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `onnx: the graph has a cycle: node 1 (Identity "") → node 2 (Identity "") → `)
	assert.Contains(t, err.Error(), "→ ... 99992 more")
	assert.Less(t, time.Since(start), 5*time.Second)
}
