package onnxpb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Decode parses a ModelProto.
func Decode(data []byte) (*Model, error) {
	m := &Model{}
	if err := decodeMessage(&reader{b: data}, where{field: "model", index: -1}, m.field); err != nil {
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
		return decodeMessage(r.sub(b), where{field: "graph", index: -1}, m.Graph.field)
	case 8: // opset_import
		if wire != wireBytes {
			return wrongWire(num, wire, "message (opset_import)")
		}
		b, err := r.bytes()
		if err != nil {
			return err
		}
		var o Opset
		if err := decodeMessage(r.sub(b), where{field: "opset_import", index: len(m.Opsets)}, o.field); err != nil {
			return err
		}
		m.Opsets = append(m.Opsets, o)
		return nil
	}
	return r.skip(wire)
}

// decodeMessage runs field over every field of r's message; errors name
// the message (w) and the offset of the field.
func decodeMessage(r *reader, w where, field func(r *reader, num, wire int) error) error {
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
			return &fieldError{w, r.base + start, err}
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
			err = decodeMessage(sub, where{field: "graph.node", index: len(g.Nodes)}, n.field)
			g.Nodes = append(g.Nodes, n)
		case 5:
			var t Tensor
			err = decodeMessage(sub, where{field: "graph.initializer", index: len(g.Initializers)}, t.field)
			g.Initializers = append(g.Initializers, t)
		case 11:
			var v ValueInfo
			err = decodeMessage(sub, where{field: "graph.input", index: len(g.Inputs)}, v.field)
			g.Inputs = append(g.Inputs, v)
		case 12:
			var v ValueInfo
			err = decodeMessage(sub, where{field: "graph.output", index: len(g.Outputs)}, v.field)
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
		if err := decodeMessage(r.sub(b), where{owner: "node", name: n.Name, field: "attribute", index: len(n.Attrs)}, a.field); err != nil {
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
		return decodeMessage(r.sub(b), where{owner: "attribute", name: a.Name, field: "tensor", index: -1}, a.T.field)
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
		return decodeMessage(r.sub(b), v.where("type", -1), v.typeField)
	}
	return r.skip(wire)
}

// where names a message inside the value for errors.
func (v *ValueInfo) where(field string, index int) where {
	return where{owner: "value", name: v.Name, field: field, index: index}
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
	return decodeMessage(r.sub(b), v.where("tensor type", -1), v.tensorTypeField)
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
		return decodeMessage(r.sub(b), v.where("shape", -1), v.shapeField)
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
	err = decodeMessage(r.sub(b), v.where("dim", len(v.Dims)), d.field)
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
