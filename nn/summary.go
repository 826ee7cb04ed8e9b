package nn

import (
	"fmt"
	"strings"
)

// FLOPs is the floating-point work of one sample's forward pass: two per
// weight (a multiply and an add) and one per bias, activations aside.
func (n *Network) FLOPs() int {
	f := 0
	for _, l := range n.desc.Layers {
		f += 2*l.In*l.Out + l.Out
	}
	return f
}

// Summary is a one-screen description of the network: each layer's shape,
// activation and parameters, the totals, the forward FLOPs per sample,
// the batch and loss, and the CPU tier whose kernels run it.
func (n *Network) Summary() string {
	var b strings.Builder
	d := &n.desc
	fmt.Fprintf(&b, "%s: batch %d, loss %s, %s kernels, %d %s\n", d.Name, d.Batch, d.Loss, d.Tier, len(n.workers), plural(len(n.workers), "worker", "workers"))
	fmt.Fprintf(&b, "%-6s %-14s %-11s %10s\n", "layer", "shape", "activation", "params")
	fmt.Fprintf(&b, "%-6s %d\n", "input", d.Input)
	for i, l := range d.Layers {
		fmt.Fprintf(&b, "%-6d %-14s %-11s %10d\n", i+1, fmt.Sprintf("%d → %d", l.In, l.Out), l.Activation, l.In*l.Out+l.Out)
	}
	fmt.Fprintf(&b, "total: %d parameters (%d bytes as float32), %d FLOPs per sample forward\n", d.Params, 4*d.Params, n.FLOPs())
	return b.String()
}

// plural picks the word for count.
func plural(count int, one, many string) string {
	if count == 1 {
		return one
	}
	return many
}
