package onnxpb

import (
	"strings"
	"testing"
	"time"

	"github.com/vecgen/vecgen/internal/alloctest"
)

// decodeTime is the most time Decode may take on n bytes of input: a
// second, and a microsecond per byte, hold on a loaded machine what takes
// tens of nanoseconds per byte on an idle one.
func decodeTime(n int) time.Duration {
	return time.Second + time.Duration(n)*time.Microsecond
}

// hostileModels are inputs shaped to make a decoder allocate or work more
// than linearly: names that an error path formatted once per element (a
// 64 KiB name and 20,000 attributes took 23 s; the 0.9 MB files,
// eighty times the work, half an hour).
func hostileModels() []struct {
	name string
	data []byte
} {
	bigName := strings.Repeat("n", 512<<10)
	return []struct {
		name string
		data []byte
	}{
		{"a node with a 512 KiB name and 200,000 empty attributes", Encode(&Model{Graph: &Graph{Nodes: []Node{{Name: bigName, Attrs: make([]Attribute, 200_000)}}}})},
		{"an input with a 512 KiB name and 200,000 dims", Encode(&Model{Graph: &Graph{Inputs: []ValueInfo{{Name: bigName, HasShape: true, Dims: make([]Dim, 200_000)}}}})},
	}
}

// Decode takes time linear in its input, within decodeTime, whatever the
// input's shape.
func TestDecodeTimePerByte(t *testing.T) {
	for _, c := range hostileModels() {
		maxTime := decodeTime(len(c.data))
		took, alloc := alloctest.Measure(2*maxTime, func() { Decode(c.data) })
		t.Logf("%s: %d bytes, %.1f bytes allocated and %.1f ns per byte", c.name, len(c.data), float64(alloc)/float64(len(c.data)), float64(took.Nanoseconds())/float64(len(c.data)))
		if took > maxTime {
			t.Errorf("%s: Decode took %v for %d bytes (budget %v)", c.name, took, len(c.data), maxTime)
		}
	}
}
