package gen

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vecgen/vecgen/spec"
)

// largestSpec is a model at the edge of every size limit a spec may
// reach: 32 layers, widths alternating 1024 and 1023 (so every product
// has a tail), batch 1024.
func largestSpec() string {
	var b strings.Builder
	b.WriteString("name: Largest\nbatch: 1024\ninput: 1024\nlayers:\n")
	for i := range 31 {
		fmt.Fprintf(&b, "  - {dense: %d, activation: relu}\n", 1024-i%2)
	}
	b.WriteString("  - {dense: 10, activation: softmax}\nloss: cross_entropy\n")
	return b.String()
}

// BenchmarkGenerateLargest times Generate on largestSpec, every tier's
// assembly and the Go around it, in memory; "MB" is the output's size.
func BenchmarkGenerateLargest(b *testing.B) {
	m, err := spec.Parse("largest.yaml", []byte(largestSpec()))
	if err != nil {
		b.Fatal(err)
	}
	var size int
	for b.Loop() {
		files, err := Generate(m, "largest.yaml", "largest")
		if err != nil {
			b.Fatal(err)
		}
		size = 0
		for _, f := range files {
			size += len(f.Data)
		}
	}
	b.ReportMetric(float64(size)/1e6, "MB")
}
