// Package onnxpb reads and writes the part of the ONNX format
// (onnx/onnx.proto3, protobuf) that a chain of dense layers needs: the
// model's IR version and opset imports, and its graph's nodes, attributes,
// initializers and typed inputs and outputs. Every other field is skipped.
//
// Decode never reads outside its input and allocates in proportion to it,
// at most 60 bytes per byte (an empty NodeProto of 2 bytes is a 120-byte
// Node): lengths are checked against the bytes that remain before anything
// is sliced, byte fields alias the input, nothing is sized from a count
// the input declares, each repeated field is allocated once at the number
// of elements it holds, and names are formatted only into errors.
// Subgraphs (attributes of type GRAPH) are skipped, so messages nest at
// most seven deep (a value's dim).
package onnxpb

import (
	"encoding/binary"
	"fmt"
	"math"
)

// TensorProto data types used here.
const (
	Float  = 1  // float32
	Double = 11 // float64
)

// AttributeProto types used here.
const (
	AttrFloat  = 1
	AttrInt    = 2
	AttrString = 3
	AttrTensor = 4
)

// Model is a ModelProto.
type Model struct {
	IRVersion       int64
	Opsets          []Opset
	ProducerName    string
	ProducerVersion string
	Graph           *Graph // nil when the model has none
}

// Opset is an OperatorSetIdProto: "" is the default (ai.onnx) domain.
type Opset struct {
	Domain  string
	Version int64
}

// Graph is a GraphProto.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Node is a NodeProto.
type Node struct {
	Inputs, Outputs []string
	Name, OpType    string
	Domain          string
	Attrs           []Attribute
}

// Attribute is an AttributeProto; only the scalar, string and tensor
// values are kept.
type Attribute struct {
	Name string
	Type int32
	F    float32
	I    int64
	S    []byte
	T    *Tensor
}

// Tensor is a TensorProto.
type Tensor struct {
	Name      string
	Dims      []int64
	DataType  int32
	RawData   []byte
	FloatData []float32
	// External is set when the values live in another file
	// (data_location EXTERNAL or external_data entries).
	External bool
	// OtherData counts values in typed fields other than float_data
	// (int32_data, int64_data, double_data, ...), which this package does
	// not keep.
	OtherData int
}

// ValueInfo is a ValueInfoProto of a tensor type.
type ValueInfo struct {
	Name     string
	ElemType int32 // 0 when the type is missing or not a tensor
	HasShape bool
	Dims     []Dim
}

// Dim is one dimension of a tensor shape: a value, a symbolic name, or
// neither (unknown).
type Dim struct {
	Value int64
	Param string
	Known bool // Value holds the size
}

// Attr returns the node's attribute called name, or nil.
func (n *Node) Attr(name string) *Attribute {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			return &n.Attrs[i]
		}
	}
	return nil
}

// Elements is the product of the tensor's dims, or an error when a dim is
// negative or the product exceeds limit.
func (t *Tensor) Elements(limit int64) (int64, error) {
	n := int64(1)
	for _, d := range t.Dims {
		if d < 0 {
			return 0, fmt.Errorf("tensor %s has a negative dimension in %s", QuoteName(t.Name), FormatDims(t.Dims))
		}
		if d != 0 && n > limit/d {
			return 0, fmt.Errorf("tensor %s declares dims %s, more than %d values", QuoteName(t.Name), FormatDims(t.Dims), limit)
		}
		n *= d
	}
	if n > limit {
		return 0, fmt.Errorf("tensor %s declares dims %s, more than %d values", QuoteName(t.Name), FormatDims(t.Dims), limit)
	}
	return n, nil
}

// Floats returns the tensor's values as float32: it must be of type
// Float, hold them in raw_data or float_data (not in an external file),
// and hold exactly as many as its dims declare. The check comes before
// any allocation, so a tensor declaring more values than it holds costs
// nothing.
func (t *Tensor) Floats() ([]float32, error) {
	if t.External {
		return nil, fmt.Errorf("tensor %s keeps its values in an external file; export the model with its weights inside it", QuoteName(t.Name))
	}
	if t.DataType != Float {
		return nil, fmt.Errorf("tensor %s has data type %s, want FLOAT", QuoteName(t.Name), DataTypeName(t.DataType))
	}
	if t.OtherData > 0 {
		return nil, fmt.Errorf("tensor %s of type FLOAT holds values in another type's field", QuoteName(t.Name))
	}
	held := int64(len(t.FloatData))
	if t.RawData != nil {
		if len(t.FloatData) > 0 {
			return nil, fmt.Errorf("tensor %s has both raw_data and float_data", QuoteName(t.Name))
		}
		if len(t.RawData)%4 != 0 {
			return nil, fmt.Errorf("tensor %s has %d bytes of raw_data, not a whole number of float32 values", QuoteName(t.Name), len(t.RawData))
		}
		held = int64(len(t.RawData) / 4)
	}
	n, err := t.Elements(held)
	if err != nil {
		return nil, fmt.Errorf("tensor %s declares dims %s but holds %d values", QuoteName(t.Name), FormatDims(t.Dims), held)
	}
	if n != held {
		return nil, fmt.Errorf("tensor %s declares dims %s (%d values) but holds %d", QuoteName(t.Name), FormatDims(t.Dims), n, held)
	}
	if t.RawData == nil {
		return t.FloatData, nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.RawData[4*i:]))
	}
	return out, nil
}

// FormatDims writes a tensor's dims for a message as fmt's %v does, cut to
// the first 8 and their count: a tensor may declare millions.
func FormatDims(dims []int64) string {
	const most = 8
	if len(dims) <= most {
		return fmt.Sprint(dims)
	}
	s := fmt.Sprint(dims[:most])
	return fmt.Sprintf("%s ...] (%d dims)", s[:len(s)-1], len(dims))
}

var dataTypeNames = map[int32]string{
	0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
	8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64",
	15: "COMPLEX128", 16: "BFLOAT16",
}

// DataTypeName is the TensorProto.DataType's name.
func DataTypeName(t int32) string {
	if s, ok := dataTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("data type %d", t)
}
