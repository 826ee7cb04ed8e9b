package onnxpb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrNotONNX is the error Decode wraps when its input is not an ONNX
// model at all (a spec, a weights file, text) rather than a damaged one.
var ErrNotONNX = errors.New("onnx: not an ONNX model")

// readsWhat tells the user of ErrNotONNX what to give instead.
const readsWhat = "vecgen import reads the .onnx files torch.onnx.export writes"

// Decode parses a ModelProto. When the input holds none of a ModelProto's
// fields before its first error, or none at all, the error wraps
// ErrNotONNX.
func Decode(data []byte) (*Model, error) {
	m := &Model{Opsets: sized[Opset](tally(data, nil)[8])}
	known := false // a ModelProto field was read
	err := decodeMessage(data, 0, where{field: "model", index: -1}, func(num int, v value) error {
		err := m.field(num, v)
		known = known || err == nil && isModelField(num)
		return err
	})
	var fe *fieldError
	switch {
	case err != nil && !known && errors.As(err, &fe) && fe.in.field == "model":
		return nil, fmt.Errorf("%w (its bytes do not decode as a ModelProto: %v at byte %d); %s", ErrNotONNX, fe.err, fe.at, readsWhat)
	case err != nil:
		return nil, err
	case !known:
		return nil, fmt.Errorf("%w (it holds no graph, no IR version and no opset import); %s", ErrNotONNX, readsWhat)
	}
	return m, nil
}

// isModelField reports whether num is a ModelProto field Decode reads.
func isModelField(num int) bool {
	switch num {
	case 1, 2, 3, 7, 8:
		return true
	}
	return false
}

// expect returns the error for field num when v's wire type is not want;
// what names the field for the message.
func expect(num int, v value, want int, what string) error {
	if v.wire == want {
		return nil
	}
	return wrongWire(num, v.wire, what)
}

func (m *Model) field(num int, v value) error {
	switch num {
	case 1: // ir_version
		if err := expect(num, v, wireVarint, "varint (ir_version)"); err != nil {
			return err
		}
		m.IRVersion = int64(v.u)
	case 2, 3: // producer_name, producer_version
		if err := expect(num, v, wireBytes, "bytes (producer)"); err != nil {
			return err
		}
		if num == 2 {
			m.ProducerName = string(v.b)
		} else {
			m.ProducerVersion = string(v.b)
		}
	case 7: // graph
		if err := expect(num, v, wireBytes, "message (graph)"); err != nil {
			return err
		}
		if m.Graph != nil {
			return errors.New("the model has two graphs")
		}
		m.Graph = &Graph{}
		return m.Graph.decode(v)
	case 8: // opset_import
		if err := expect(num, v, wireBytes, "message (opset_import)"); err != nil {
			return err
		}
		m.Opsets = append(m.Opsets, Opset{})
		return decodeMessage(v.b, v.at, where{field: "opset_import", index: len(m.Opsets) - 1}, m.Opsets[len(m.Opsets)-1].field)
	}
	return nil
}

func (o *Opset) field(num int, v value) error {
	switch num {
	case 1:
		if err := expect(num, v, wireBytes, "bytes (domain)"); err != nil {
			return err
		}
		o.Domain = string(v.b)
	case 2:
		if err := expect(num, v, wireVarint, "varint (version)"); err != nil {
			return err
		}
		o.Version = int64(v.u)
	}
	return nil
}

// decode reads a GraphProto, its repeated fields allocated at their size.
func (g *Graph) decode(v value) error {
	counts := tally(v.b, nil)
	g.Nodes = sized[Node](counts[1])
	g.Initializers = sized[Tensor](counts[5])
	g.Inputs = sized[ValueInfo](counts[11])
	g.Outputs = sized[ValueInfo](counts[12])
	return decodeMessage(v.b, v.at, where{field: "graph", index: -1}, g.field)
}

func (g *Graph) field(num int, v value) error {
	switch num {
	case 1:
		if err := expect(num, v, wireBytes, "message (node)"); err != nil {
			return err
		}
		g.Nodes = append(g.Nodes, Node{})
		return g.Nodes[len(g.Nodes)-1].decode(v, len(g.Nodes)-1)
	case 5:
		if err := expect(num, v, wireBytes, "message (initializer)"); err != nil {
			return err
		}
		g.Initializers = append(g.Initializers, Tensor{})
		return g.Initializers[len(g.Initializers)-1].decode(v, where{field: "graph.initializer", index: len(g.Initializers) - 1})
	case 11, 12:
		list, field := &g.Inputs, "graph.input"
		if num == 12 {
			list, field = &g.Outputs, "graph.output"
		}
		if err := expect(num, v, wireBytes, "message ("+field[len("graph."):]+")"); err != nil {
			return err
		}
		*list = append(*list, ValueInfo{})
		vi := &(*list)[len(*list)-1]
		return decodeMessage(v.b, v.at, where{field: field, index: len(*list) - 1}, vi.field)
	case 2:
		if err := expect(num, v, wireBytes, "bytes (name)"); err != nil {
			return err
		}
		g.Name = string(v.b)
	}
	return nil
}

// decode reads the NodeProto at index i of its graph.
func (n *Node) decode(v value, i int) error {
	counts := tally(v.b, nil)
	n.Inputs = sized[string](counts[1])
	n.Outputs = sized[string](counts[2])
	n.Attrs = sized[Attribute](counts[5])
	return decodeMessage(v.b, v.at, where{field: "graph.node", index: i}, n.field)
}

func (n *Node) field(num int, v value) error {
	switch num {
	case 1, 2, 3, 4, 7:
		if err := expect(num, v, wireBytes, "bytes"); err != nil {
			return err
		}
		switch num {
		case 1:
			n.Inputs = append(n.Inputs, string(v.b))
		case 2:
			n.Outputs = append(n.Outputs, string(v.b))
		case 3:
			n.Name = string(v.b)
		case 4:
			n.OpType = string(v.b)
		case 7:
			n.Domain = string(v.b)
		}
	case 5:
		if err := expect(num, v, wireBytes, "message (attribute)"); err != nil {
			return err
		}
		n.Attrs = append(n.Attrs, Attribute{})
		a := &n.Attrs[len(n.Attrs)-1]
		return decodeMessage(v.b, v.at, where{owner: "node", name: n.Name, field: "attribute", index: len(n.Attrs) - 1}, a.field)
	}
	return nil
}

func (a *Attribute) field(num int, v value) error {
	switch num {
	case 1, 4:
		if err := expect(num, v, wireBytes, "bytes"); err != nil {
			return err
		}
		if num == 1 {
			a.Name = string(v.b)
		} else {
			a.S = v.b
		}
	case 2:
		if err := expect(num, v, wireFixed32, "fixed32 (f)"); err != nil {
			return err
		}
		a.F = math.Float32frombits(uint32(v.u))
	case 3, 20:
		if err := expect(num, v, wireVarint, "varint"); err != nil {
			return err
		}
		if num == 3 {
			a.I = int64(v.u)
		} else {
			a.Type = int32(v.u)
		}
	case 5:
		if err := expect(num, v, wireBytes, "message (t)"); err != nil {
			return err
		}
		if a.T != nil {
			return errors.New("attribute has two tensors")
		}
		a.T = &Tensor{}
		return a.T.decode(v, where{owner: "attribute", name: a.Name, field: "tensor", index: -1})
	}
	return nil
}

// decode reads a TensorProto, its dims and float_data allocated at their
// size.
func (t *Tensor) decode(v value, w where) error {
	counts := tally(v.b, func(num int, data []byte) int {
		switch num {
		case 1:
			return countVarints(data)
		case 4:
			return len(data) / 4
		}
		return 1
	})
	t.Dims = sized[int64](counts[1])
	t.FloatData = sized[float32](counts[4])
	return decodeMessage(v.b, v.at, w, t.field)
}

// countVarints is the number of varints in packed data: the bytes that
// end one.
func countVarints(data []byte) int {
	n := 0
	for _, c := range data {
		if c < 0x80 {
			n++
		}
	}
	return n
}

func (t *Tensor) field(num int, v value) error {
	switch num {
	case 1: // dims: repeated int64, packed or not
		if v.wire == wireVarint {
			t.Dims = append(t.Dims, int64(v.u))
			return nil
		}
		if err := expect(num, v, wireBytes, "varint or packed varints (dims)"); err != nil {
			return err
		}
		p := reader{b: v.b}
		for !p.done() {
			d, err := p.varint()
			if err != nil {
				return fmt.Errorf("dims: %w", err)
			}
			t.Dims = append(t.Dims, int64(d))
		}
	case 2:
		if err := expect(num, v, wireVarint, "varint (data_type)"); err != nil {
			return err
		}
		t.DataType = int32(v.u)
	case 4: // float_data: repeated float, packed or not
		if v.wire == wireFixed32 {
			t.FloatData = append(t.FloatData, math.Float32frombits(uint32(v.u)))
			return nil
		}
		if err := expect(num, v, wireBytes, "fixed32 or packed floats (float_data)"); err != nil {
			return err
		}
		if len(v.b)%4 != 0 {
			return fmt.Errorf("float_data of %d bytes is not a whole number of floats", len(v.b))
		}
		for i := 0; i < len(v.b); i += 4 {
			t.FloatData = append(t.FloatData, math.Float32frombits(binary.LittleEndian.Uint32(v.b[i:])))
		}
	case 5, 7, 11: // int32_data, int64_data, uint64_data: varints
		return t.countOther(num, v, wireVarint, countVarints)
	case 10: // double_data
		return t.countOther(num, v, wireFixed64, func(b []byte) int { return len(b) / 8 })
	case 6: // string_data
		if err := expect(num, v, wireBytes, "bytes (string_data)"); err != nil {
			return err
		}
		t.OtherData++
	case 8:
		if err := expect(num, v, wireBytes, "bytes (name)"); err != nil {
			return err
		}
		t.Name = string(v.b)
	case 9:
		if err := expect(num, v, wireBytes, "bytes (raw_data)"); err != nil {
			return err
		}
		t.RawData = v.b
	case 13: // external_data
		t.External = true
	case 14: // data_location
		if err := expect(num, v, wireVarint, "varint (data_location)"); err != nil {
			return err
		}
		if v.u != 0 {
			t.External = true
		}
	}
	return nil
}

// countOther counts the values of a repeated numeric field this package
// does not keep: one when unpacked (of wire type scalar), packed(bytes)
// when packed.
func (t *Tensor) countOther(num int, v value, scalar int, packed func([]byte) int) error {
	switch v.wire {
	case scalar:
		t.OtherData++
	case wireBytes:
		t.OtherData += packed(v.b)
	default:
		return wrongWire(num, v.wire, "a repeated number")
	}
	return nil
}

func (vi *ValueInfo) field(num int, v value) error {
	switch num {
	case 1:
		if err := expect(num, v, wireBytes, "bytes (name)"); err != nil {
			return err
		}
		vi.Name = string(v.b)
	case 2:
		if err := expect(num, v, wireBytes, "message (type)"); err != nil {
			return err
		}
		return decodeMessage(v.b, v.at, vi.where("type"), vi.typeField)
	}
	return nil
}

// where names a message inside the value for errors.
func (vi *ValueInfo) where(field string) where {
	return where{owner: "value", name: vi.Name, field: field, index: -1}
}

// typeField reads TypeProto: only tensor_type.
func (vi *ValueInfo) typeField(num int, v value) error {
	if num != 1 {
		return nil
	}
	if err := expect(num, v, wireBytes, "message (tensor_type)"); err != nil {
		return err
	}
	return decodeMessage(v.b, v.at, vi.where("tensor type"), vi.tensorTypeField)
}

func (vi *ValueInfo) tensorTypeField(num int, v value) error {
	switch num {
	case 1:
		if err := expect(num, v, wireVarint, "varint (elem_type)"); err != nil {
			return err
		}
		vi.ElemType = int32(v.u)
	case 2:
		if err := expect(num, v, wireBytes, "message (shape)"); err != nil {
			return err
		}
		if vi.HasShape {
			return errors.New("the value has two shapes")
		}
		vi.HasShape = true
		vi.Dims = sized[Dim](tally(v.b, nil)[1])
		return decodeMessage(v.b, v.at, vi.where("shape"), vi.shapeField)
	}
	return nil
}

func (vi *ValueInfo) shapeField(num int, v value) error {
	if num != 1 {
		return nil
	}
	if err := expect(num, v, wireBytes, "message (dim)"); err != nil {
		return err
	}
	vi.Dims = append(vi.Dims, Dim{})
	w := vi.where("dim")
	w.index = len(vi.Dims) - 1
	return decodeMessage(v.b, v.at, w, vi.Dims[len(vi.Dims)-1].field)
}

func (d *Dim) field(num int, v value) error {
	switch num {
	case 1:
		if err := expect(num, v, wireVarint, "varint (dim_value)"); err != nil {
			return err
		}
		d.Value, d.Known = int64(v.u), true
	case 2:
		if err := expect(num, v, wireBytes, "bytes (dim_param)"); err != nil {
			return err
		}
		d.Param = string(v.b)
	}
	return nil
}
