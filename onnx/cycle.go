package onnx

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vecgen/vecgen/internal/onnxpb"
)

// maxCycleNames bounds the nodes a cycle's error names.
const maxCycleNames = 8

// checkAcyclic returns an error naming the nodes of a cycle when the graph
// has one: a node that reads, through any number of others, a value it
// writes. The walk along the chain and the growth of elementwise patterns
// assume there is none (an Identity reading its own output would send the
// walk round forever). It takes time linear in the graph, however many
// nodes write one value and read it: Kahn's topological sort over
// im.users, then, only when nodes are left, one walk back along their
// inputs.
func (im *importer) checkAcyclic() error {
	nodes := im.g.Nodes
	// writersLeft counts the nodes not yet sorted that write a value;
	// pending[j] counts node j's inputs that such nodes write.
	writersLeft := map[string]int32{}
	for i := range nodes {
		im.eachOutput(i, func(o string) { writersLeft[o]++ })
	}
	pending := make([]int32, len(nodes))
	for v, readers := range im.users {
		if writersLeft[v] > 0 {
			for _, j := range readers {
				pending[j]++
			}
		}
	}
	ready := make([]int32, 0, len(nodes)) // the sorted nodes, then those whose inputs are all written
	for j, p := range pending {
		if p == 0 {
			ready = append(ready, int32(j))
		}
	}
	for sorted := 0; sorted < len(ready); sorted++ {
		im.eachOutput(int(ready[sorted]), func(o string) {
			if writersLeft[o]--; writersLeft[o] > 0 {
				return
			}
			for _, j := range im.users[o] {
				if pending[j]--; pending[j] == 0 {
					ready = append(ready, int32(j))
				}
			}
		})
	}
	if len(ready) == len(nodes) {
		return nil
	}
	return im.cycleErr(im.cycleAmong(pending))
}

// eachOutput calls f for each distinct, non-empty output of node i.
func (im *importer) eachOutput(i int, f func(string)) {
	outs := im.g.Nodes[i].Outputs
	for k, o := range outs {
		if o != "" && slices.Index(outs, o) == k {
			f(o)
		}
	}
}

// cycleAmong returns the nodes of one cycle, in the order values flow,
// starting at the lowest index, among the nodes whose pending count is
// still positive: each of those reads a value that another of them
// writes, so walking back from one along such inputs comes round to a
// node already seen.
func (im *importer) cycleAmong(pending []int32) []int {
	writers := map[string][]int{}
	for i, p := range pending {
		if p > 0 {
			im.eachOutput(i, func(o string) { writers[o] = append(writers[o], i) })
		}
	}
	seen := map[int]int{} // node → its place in path
	var path []int
	for i := slices.IndexFunc(pending, func(p int32) bool { return p > 0 }); i >= 0; i = im.writerAmong(i, writers) {
		if at, ok := seen[i]; ok {
			cycle := path[at:]
			slices.Reverse(cycle)
			first := slices.Index(cycle, slices.Min(cycle))
			return append(cycle[first:], cycle[:first]...)
		}
		seen[i] = len(path)
		path = append(path, i)
	}
	return path // not reached: every node left has a writer left
}

// writerAmong returns a node in writers that writes one of node i's
// inputs, or -1.
func (im *importer) writerAmong(i int, writers map[string][]int) int {
	for _, in := range im.g.Nodes[i].Inputs {
		if w := writers[in]; len(w) > 0 {
			return w[0]
		}
	}
	return -1
}

// cycleErr describes a cycle by its first nodes.
func (im *importer) cycleErr(cycle []int) error {
	var b strings.Builder
	for k, i := range cycle[:min(len(cycle), maxCycleNames)] {
		if k > 0 {
			b.WriteString(" → ")
		}
		fmt.Fprintf(&b, "node %d (%s %s)", i, im.opName(i), onnxpb.QuoteName(im.g.Nodes[i].Name))
	}
	if len(cycle) > maxCycleNames {
		fmt.Fprintf(&b, " → ... %d more", len(cycle)-maxCycleNames)
	}
	fmt.Fprintf(&b, " → node %d", cycle[0])
	return fmt.Errorf("onnx: the graph has a cycle: %s; an ONNX graph is acyclic: re-export the model (torch.onnx.export writes none)", b.String())
}
