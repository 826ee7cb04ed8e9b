package onnxpb

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vecgen/vecgen/internal/alloctest"
)

// decodeBudget is the most Decode may take on n bytes of input. Memory: a
// constant for the fixed costs, and per byte what the largest struct an
// element decodes into (a Node, 120 bytes, from an empty NodeProto of two
// bytes) costs when every slice is allocated once, at its final size.
// Time: a second, and a microsecond per byte, hold on a loaded machine
// what takes tens of nanoseconds per byte on an idle one.
var decodeBudget = alloctest.Budget{Time: time.Second, TimePerByte: time.Microsecond, Bytes: 1 << 20, BytesPerByte: 64}

// hostileModels are inputs shaped to make a decoder allocate or work more
// than linearly: names that an error path formatted once per element (a
// 64 KiB name and 20,000 attributes took 23 s; the 0.9 MB files,
// eighty times the work, half an hour), and many elements of the smallest
// encoding each (1M empty NodeProtos in 2 MiB allocated 737 MiB, as slices
// grown by append).
func hostileModels() []struct {
	name string
	data []byte
} {
	graph := func(fields ...[]byte) []byte { return appendBytesField(nil, 7, bytes.Join(fields, nil)) }
	field := func(num int, body ...[]byte) []byte { return appendBytesField(nil, num, bytes.Join(body, nil)) }
	// repeat is n copies of field num holding nothing: an empty message
	// or string of wire type bytes, else a zero.
	repeat := func(num, wire, n int) []byte {
		one := map[int][]byte{wireBytes: {0}, wireVarint: {0}, wireFixed32: {0, 0, 0, 0}}[wire]
		return bytes.Repeat(append([]byte{byte(num<<3 | wire)}, one...), n)
	}
	bigName := strings.Repeat("n", 512<<10)
	const many = 1 << 18
	return []struct {
		name string
		data []byte
	}{
		{"a node with a 512 KiB name and 200,000 empty attributes", Encode(&Model{Graph: &Graph{Nodes: []Node{{Name: bigName, Attrs: make([]Attribute, 200_000)}}}})},
		{"an input with a 512 KiB name and 200,000 dims", Encode(&Model{Graph: &Graph{Inputs: []ValueInfo{{Name: bigName, HasShape: true, Dims: make([]Dim, 200_000)}}}})},
		{"1M empty nodes", graph(repeat(1, wireBytes, 1<<20))},
		{"empty initializers", graph(repeat(5, wireBytes, many))},
		{"empty inputs", graph(repeat(11, wireBytes, many))},
		{"empty outputs", graph(repeat(12, wireBytes, many))},
		{"empty opset imports", repeat(8, wireBytes, many)},
		{"a node of empty inputs", graph(field(1, repeat(1, wireBytes, many)))},
		{"a node of empty attributes", graph(field(1, repeat(5, wireBytes, many)))},
		{"a node of attribute tensors", graph(field(1, bytes.Repeat(field(5, field(5)), many)))},
		{"a tensor of unpacked dims", graph(field(5, repeat(1, wireVarint, many)))},
		{"a tensor of packed dims", graph(field(5, field(1, make([]byte, many))))},
		{"a tensor of unpacked floats", graph(field(5, repeat(4, wireFixed32, many)))},
		{"a tensor of packed float runs", graph(field(5, bytes.Repeat(field(4, make([]byte, 4)), many)))},
		{"an input of empty dims", graph(field(11, field(2, field(1, field(2, repeat(1, wireBytes, many))))))},
	}
}

// Decode takes time and memory linear in its input, within decodeBudget,
// whatever the input's shape.
func TestDecodeBoundedPerByte(t *testing.T) {
	for _, c := range hostileModels() {
		report, ok := decodeBudget.Within(len(c.data), func() { Decode(c.data) })
		t.Logf("%s: %s", c.name, report)
		if !ok {
			t.Errorf("%s: Decode took more than its budget: %s", c.name, report)
		}
	}
}
