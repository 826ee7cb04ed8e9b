package onnxpb

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	m := &Model{IRVersion: 7, Opsets: []Opset{{Version: 13}}, ProducerName: "p", Graph: &Graph{
		Name:         "g",
		Nodes:        []Node{{Inputs: []string{"x", "w"}, Outputs: []string{"y"}, OpType: "MatMul", Attrs: []Attribute{{Name: "a", Type: AttrInt, I: -1}, {Name: "f", Type: AttrFloat, F: 0.25}}}},
		Initializers: []Tensor{{Name: "w", Dims: []int64{2, 1}, DataType: Float, FloatData: []float32{1.5, -2}}},
		Inputs:       []ValueInfo{{Name: "x", ElemType: Float, HasShape: true, Dims: []Dim{{Param: "N"}, {Value: 2, Known: true}}}},
		Outputs:      []ValueInfo{{Name: "y", ElemType: Float}},
	}}
	got, err := Decode(Encode(m))
	require.NoError(t, err)
	assert.Equal(t, m, got)
	v, err := got.Graph.Initializers[0].Floats()
	require.NoError(t, err)
	assert.Equal(t, []float32{1.5, -2}, v)
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"varint past 64 bits", []byte{1 << 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, "overflows"},
		{"length past the end", []byte{7<<3 | 2, 100, 0}, "runs past"},
		{"field number 0", []byte{0, 1}, "invalid field number"},
		{"group", []byte{9<<3 | 3}, "wire type 3"},
		{"dims as a fixed32 in a tensor", []byte{7<<3 | 2, 7, 5<<3 | 2, 5, 1<<3 | 5, 0, 0, 0, 0}, "dims"},
		{"two shapes", []byte{7<<3 | 2, 10, 11<<3 | 2, 8, 2<<3 | 2, 6, 1<<3 | 2, 4, 2<<3 | 2, 0, 2<<3 | 2, 0}, "the value has two shapes"},
		{"odd float_data", []byte{7<<3 | 2, 6, 5<<3 | 2, 4, 4<<3 | 2, 2, 0, 0}, "not a whole number"},
	} {
		_, err := Decode(c.data)
		require.Error(t, err, c.name)
		assert.Contains(t, err.Error(), c.want, c.name)
	}
}
