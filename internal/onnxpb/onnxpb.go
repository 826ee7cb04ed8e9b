// Package onnxpb reads and writes the part of the ONNX format
// (onnx/onnx.proto3, protobuf) that a chain of dense layers needs: the
// model's IR version and opset imports, and its graph's nodes, attributes,
// initializers and typed inputs and outputs. Every other field is skipped.
//
// Decode never reads outside its input and allocates in proportion to it:
// lengths are checked against the bytes that remain before anything is
// sliced, byte fields alias the input, and nothing is sized from a count
// the input declares. Subgraphs (attributes of type GRAPH) are skipped, so
// messages nest at most five deep.
package onnxpb

import (
	"encoding/binary"
	"errors"
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
			return 0, fmt.Errorf("tensor %q has a negative dimension in %v", t.Name, t.Dims)
		}
		if d != 0 && n > limit/d {
			return 0, fmt.Errorf("tensor %q declares dims %v, more than %d values", t.Name, t.Dims, limit)
		}
		n *= d
	}
	if n > limit {
		return 0, fmt.Errorf("tensor %q declares dims %v, more than %d values", t.Name, t.Dims, limit)
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
		return nil, fmt.Errorf("tensor %q keeps its values in an external file; export the model with its weights inside it", t.Name)
	}
	if t.DataType != Float {
		return nil, fmt.Errorf("tensor %q has data type %s, want FLOAT", t.Name, DataTypeName(t.DataType))
	}
	if t.OtherData > 0 {
		return nil, fmt.Errorf("tensor %q of type FLOAT holds values in another type's field", t.Name)
	}
	held := int64(len(t.FloatData))
	if t.RawData != nil {
		if len(t.FloatData) > 0 {
			return nil, fmt.Errorf("tensor %q has both raw_data and float_data", t.Name)
		}
		if len(t.RawData)%4 != 0 {
			return nil, fmt.Errorf("tensor %q has %d bytes of raw_data, not a whole number of float32 values", t.Name, len(t.RawData))
		}
		held = int64(len(t.RawData) / 4)
	}
	n, err := t.Elements(held)
	if err != nil {
		return nil, fmt.Errorf("tensor %q declares dims %v but holds %d values", t.Name, t.Dims, held)
	}
	if n != held {
		return nil, fmt.Errorf("tensor %q declares dims %v (%d values) but holds %d", t.Name, t.Dims, n, held)
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

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

var errTruncated = errors.New("truncated")

// reader walks the fields of one message.
type reader struct {
	b   []byte
	off int
	// base is the message's offset in the whole input, for errors.
	base int
}

func (r *reader) done() bool { return r.off >= len(r.b) }

func (r *reader) varint() (uint64, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		if r.off >= len(r.b) {
			return 0, errTruncated
		}
		c := r.b[r.off]
		r.off++
		if i == 9 && c > 1 {
			return 0, errors.New("varint overflows 64 bits")
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint longer than 10 bytes")
}

// field reads a field's tag.
func (r *reader) field() (num int, wire int, err error) {
	tag, err := r.varint()
	if err != nil {
		return 0, 0, err
	}
	num, wire = int(tag>>3), int(tag&7)
	if tag>>3 == 0 || tag>>3 > 1<<29-1 {
		return 0, 0, fmt.Errorf("invalid field number %d", tag>>3)
	}
	return num, wire, nil
}

func (r *reader) bytes() ([]byte, error) {
	n, err := r.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("length %d runs past the %d bytes left: %w", n, len(r.b)-r.off, errTruncated)
	}
	b := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *reader) fixed32() (uint32, error) {
	if len(r.b)-r.off < 4 {
		return 0, errTruncated
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v, nil
}

func (r *reader) skip(wire int) error {
	switch wire {
	case wireVarint:
		_, err := r.varint()
		return err
	case wireFixed64:
		if len(r.b)-r.off < 8 {
			return errTruncated
		}
		r.off += 8
		return nil
	case wireBytes:
		_, err := r.bytes()
		return err
	case wireFixed32:
		_, err := r.fixed32()
		return err
	}
	return fmt.Errorf("unsupported wire type %d", wire)
}

// sub returns a reader for an embedded message's bytes.
func (r *reader) sub(b []byte) *reader { return &reader{b: b, base: r.base + r.off - len(b)} }

// fieldError is a problem with a field of a message, at a byte offset of
// the whole input.
type fieldError struct {
	path string
	at   int
	err  error
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("onnx: %s: %v (at byte %d)", e.path, e.err, e.at)
}

func (e *fieldError) Unwrap() error { return e.err }

// wrongWire is the error for a known field encoded with the wrong type.
func wrongWire(num, got int, want string) error {
	return fmt.Errorf("field %d has wire type %d, want %s", num, got, want)
}

// Decode parses a ModelProto.
func Decode(data []byte) (*Model, error) {
	m := &Model{}
	if err := decodeMessage(&reader{b: data}, "model", m.field); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) field(r *reader, num, wire int) error {
	switch num {
	case 1: // ir_version
		if wire != wireVarint {
			return wrongWire(num, wire, "varint (ir_version)")
		}
		v, err := r.varint()
		m.IRVersion = int64(v)
		return err
	case 2, 3: // producer_name, producer_version
		if wire != wireBytes {
			return wrongWire(num, wire, "bytes (producer)")
		}
		b, err := r.bytes()
		if num == 2 {
			m.ProducerName = string(b)
		} else {
			m.ProducerVersion = string(b)
		}
		return err
	case 7: // graph
		if wire != wireBytes {
			return wrongWire(num, wire, "message (graph)")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		if m.Graph != nil {
			return errors.New("the model has two graphs")
		}
		m.Graph = &Graph{}
		return decodeMessage(r.sub(b), "graph", m.Graph.field)
	case 8: // opset_import
		if wire != wireBytes {
			return wrongWire(num, wire, "message (opset_import)")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		var o Opset
		if err := decodeMessage(r.sub(b), fmt.Sprintf("opset_import[%d]", len(m.Opsets)), o.field); err != nil {
			return err
		}
		m.Opsets = append(m.Opsets, o)
		return nil
	}
	return r.skip(wire)
}

// decodeMessage runs field over every field of r's message; errors name
// path and the offset of the field.
func decodeMessage(r *reader, path string, field func(r *reader, num, wire int) error) error {
	for !r.done() {
		start := r.off
		num, wire, err := r.field()
		if err == nil {
			err = field(r, num, wire)
		}
		if err != nil {
			var fe *fieldError
			if errors.As(err, &fe) {
				return err
			}
			return &fieldError{path, r.base + start, err}
		}
	}
	return nil
}

func (o *Opset) field(r *reader, num, wire int) error {
	switch num {
	case 1:
		if wire != wireBytes {
			return wrongWire(num, wire, "bytes (domain)")
		}
		b, err := r.bytes()
		o.Domain = string(b)
		return err
	case 2:
		if wire != wireVarint {
			return wrongWire(num, wire, "varint (version)")
		}
		v, err := r.varint()
		o.Version = int64(v)
		return err
	}
	return r.skip(wire)
}

func (g *Graph) field(r *reader, num, wire int) error {
	switch num {
	case 1, 5, 11, 12:
		if wire != wireBytes {
			return wrongWire(num, wire, "message")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		sub := r.sub(b)
		switch num {
		case 1:
			var n Node
			err = decodeMessage(sub, fmt.Sprintf("graph.node[%d]", len(g.Nodes)), n.field)
			g.Nodes = append(g.Nodes, n)
		case 5:
			var t Tensor
			err = decodeMessage(sub, fmt.Sprintf("graph.initializer[%d]", len(g.Initializers)), t.field)
			g.Initializers = append(g.Initializers, t)
		case 11:
			var v ValueInfo
			err = decodeMessage(sub, fmt.Sprintf("graph.input[%d]", len(g.Inputs)), v.field)
			g.Inputs = append(g.Inputs, v)
		case 12:
			var v ValueInfo
			err = decodeMessage(sub, fmt.Sprintf("graph.output[%d]", len(g.Outputs)), v.field)
			g.Outputs = append(g.Outputs, v)
		}
		return err
	case 2:
		if wire != wireBytes {
			return wrongWire(num, wire, "bytes (name)")
		}
		b, err := r.bytes()
		g.Name = string(b)
		return err
	}
	return r.skip(wire)
}

func (n *Node) field(r *reader, num, wire int) error {
	switch num {
	case 1, 2, 3, 4, 7:
		if wire != wireBytes {
			return wrongWire(num, wire, "bytes")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		switch num {
		case 1:
			n.Inputs = append(n.Inputs, string(b))
		case 2:
			n.Outputs = append(n.Outputs, string(b))
		case 3:
			n.Name = string(b)
		case 4:
			n.OpType = string(b)
		case 7:
			n.Domain = string(b)
		}
		return nil
	case 5:
		if wire != wireBytes {
			return wrongWire(num, wire, "message (attribute)")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		var a Attribute
		if err := decodeMessage(r.sub(b), fmt.Sprintf("node %q attribute[%d]", n.Name, len(n.Attrs)), a.field); err != nil {
			return err
		}
		n.Attrs = append(n.Attrs, a)
		return nil
	}
	return r.skip(wire)
}

func (a *Attribute) field(r *reader, num, wire int) error {
	switch num {
	case 1, 4:
		if wire != wireBytes {
			return wrongWire(num, wire, "bytes")
		}
		b, err := r.bytes()
		if num == 1 {
			a.Name = string(b)
		} else {
			a.S = b
		}
		return err
	case 2:
		if wire != wireFixed32 {
			return wrongWire(num, wire, "fixed32 (f)")
		}
		v, err := r.fixed32()
		a.F = math.Float32frombits(v)
		return err
	case 3, 20:
		if wire != wireVarint {
			return wrongWire(num, wire, "varint")
		}
		v, err := r.varint()
		if num == 3 {
			a.I = int64(v)
		} else {
			a.Type = int32(v)
		}
		return err
	case 5:
		if wire != wireBytes {
			return wrongWire(num, wire, "message (t)")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		if a.T != nil {
			return errors.New("attribute has two tensors")
		}
		a.T = &Tensor{}
		return decodeMessage(r.sub(b), fmt.Sprintf("attribute %q tensor", a.Name), a.T.field)
	}
	return r.skip(wire)
}

func (t *Tensor) field(r *reader, num, wire int) error {
	switch num {
	case 1: // dims: repeated int64, packed or not
		if wire == wireVarint {
			v, err := r.varint()
			t.Dims = append(t.Dims, int64(v))
			return err
		}
		if wire != wireBytes {
			return wrongWire(num, wire, "varint or packed varints (dims)")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		p := r.sub(b)
		for !p.done() {
			v, err := p.varint()
			if err != nil {
				return fmt.Errorf("dims: %w", err)
			}
			t.Dims = append(t.Dims, int64(v))
		}
		return nil
	case 2:
		if wire != wireVarint {
			return wrongWire(num, wire, "varint (data_type)")
		}
		v, err := r.varint()
		t.DataType = int32(v)
		return err
	case 4: // float_data: repeated float, packed or not
		if wire == wireFixed32 {
			v, err := r.fixed32()
			t.FloatData = append(t.FloatData, math.Float32frombits(v))
			return err
		}
		if wire != wireBytes {
			return wrongWire(num, wire, "fixed32 or packed floats (float_data)")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		if len(b)%4 != 0 {
			return fmt.Errorf("float_data of %d bytes is not a whole number of floats", len(b))
		}
		if t.FloatData == nil {
			t.FloatData = make([]float32, 0, len(b)/4)
		}
		for i := 0; i < len(b); i += 4 {
			t.FloatData = append(t.FloatData, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
		}
		return nil
	case 5, 7, 11: // int32_data, int64_data, uint64_data: varints
		return t.countOther(r, num, wire, wireVarint, 0)
	case 10: // double_data
		return t.countOther(r, num, wire, wireFixed64, 8)
	case 6: // string_data
		if wire != wireBytes {
			return wrongWire(num, wire, "bytes (string_data)")
		}
		t.OtherData++
		_, err := r.bytes()
		return err
	case 8:
		if wire != wireBytes {
			return wrongWire(num, wire, "bytes (name)")
		}
		b, err := r.bytes()
		t.Name = string(b)
		return err
	case 9:
		if wire != wireBytes {
			return wrongWire(num, wire, "bytes (raw_data)")
		}
		b, err := r.bytes()
		t.RawData = b
		return err
	case 13: // external_data
		t.External = true
		return r.skip(wire)
	case 14: // data_location
		if wire != wireVarint {
			return wrongWire(num, wire, "varint (data_location)")
		}
		v, err := r.varint()
		if v != 0 {
			t.External = true
		}
		return err
	}
	return r.skip(wire)
}

// countOther skips a repeated numeric field, counting its values.
func (t *Tensor) countOther(r *reader, num, wire, scalarWire, size int) error {
	if wire == scalarWire {
		t.OtherData++
		return r.skip(wire)
	}
	if wire != wireBytes {
		return wrongWire(num, wire, "a repeated number")
	}
	b, err := r.bytes()
	if err != nil {
		return err
	}
	if size > 0 {
		t.OtherData += len(b) / size
		return nil
	}
	for _, c := range b {
		if c < 0x80 {
			t.OtherData++
		}
	}
	return nil
}

func (v *ValueInfo) field(r *reader, num, wire int) error {
	switch num {
	case 1:
		if wire != wireBytes {
			return wrongWire(num, wire, "bytes (name)")
		}
		b, err := r.bytes()
		v.Name = string(b)
		return err
	case 2:
		if wire != wireBytes {
			return wrongWire(num, wire, "message (type)")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		return decodeMessage(r.sub(b), fmt.Sprintf("value %q type", v.Name), v.typeField)
	}
	return r.skip(wire)
}

// typeField reads TypeProto: only tensor_type.
func (v *ValueInfo) typeField(r *reader, num, wire int) error {
	if num != 1 {
		return r.skip(wire)
	}
	if wire != wireBytes {
		return wrongWire(num, wire, "message (tensor_type)")
	}
	b, err := r.bytes()
	if err != nil {
		return err
	}
	return decodeMessage(r.sub(b), fmt.Sprintf("value %q tensor type", v.Name), v.tensorTypeField)
}

func (v *ValueInfo) tensorTypeField(r *reader, num, wire int) error {
	switch num {
	case 1:
		if wire != wireVarint {
			return wrongWire(num, wire, "varint (elem_type)")
		}
		x, err := r.varint()
		v.ElemType = int32(x)
		return err
	case 2:
		if wire != wireBytes {
			return wrongWire(num, wire, "message (shape)")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		v.HasShape = true
		return decodeMessage(r.sub(b), fmt.Sprintf("value %q shape", v.Name), v.shapeField)
	}
	return r.skip(wire)
}

func (v *ValueInfo) shapeField(r *reader, num, wire int) error {
	if num != 1 {
		return r.skip(wire)
	}
	if wire != wireBytes {
		return wrongWire(num, wire, "message (dim)")
	}
	b, err := r.bytes()
	if err != nil {
		return err
	}
	var d Dim
	err = decodeMessage(r.sub(b), fmt.Sprintf("value %q dim %d", v.Name, len(v.Dims)), d.field)
	v.Dims = append(v.Dims, d)
	return err
}

func (d *Dim) field(r *reader, num, wire int) error {
	switch num {
	case 1:
		if wire != wireVarint {
			return wrongWire(num, wire, "varint (dim_value)")
		}
		x, err := r.varint()
		d.Value, d.Known = int64(x), true
		return err
	case 2:
		if wire != wireBytes {
			return wrongWire(num, wire, "bytes (dim_param)")
		}
		b, err := r.bytes()
		d.Param = string(b)
		return err
	}
	return r.skip(wire)
}
