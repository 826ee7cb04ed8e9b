package onnxpb

import (
	"encoding/binary"
	"math"
)

// Encode writes m as a ModelProto: the fields this package reads, in
// field-number order.
func Encode(m *Model) []byte {
	var b []byte
	b = appendVarintField(b, 1, uint64(m.IRVersion))
	b = appendStringField(b, 2, m.ProducerName)
	b = appendStringField(b, 3, m.ProducerVersion)
	if m.Graph != nil {
		b = appendBytesField(b, 7, encodeGraph(m.Graph))
	}
	for _, o := range m.Opsets {
		var ob []byte
		ob = appendStringField(ob, 1, o.Domain)
		ob = appendVarintField(ob, 2, uint64(o.Version))
		b = appendBytesField(b, 8, ob)
	}
	return b
}

func encodeGraph(g *Graph) []byte {
	var b []byte
	for i := range g.Nodes {
		b = appendBytesField(b, 1, encodeNode(&g.Nodes[i]))
	}
	b = appendStringField(b, 2, g.Name)
	for i := range g.Initializers {
		b = appendBytesField(b, 5, encodeTensor(&g.Initializers[i]))
	}
	for i := range g.Inputs {
		b = appendBytesField(b, 11, encodeValueInfo(&g.Inputs[i]))
	}
	for i := range g.Outputs {
		b = appendBytesField(b, 12, encodeValueInfo(&g.Outputs[i]))
	}
	return b
}

func encodeNode(n *Node) []byte {
	var b []byte
	for _, s := range n.Inputs {
		b = appendBytesField(b, 1, []byte(s))
	}
	for _, s := range n.Outputs {
		b = appendBytesField(b, 2, []byte(s))
	}
	b = appendStringField(b, 3, n.Name)
	b = appendStringField(b, 4, n.OpType)
	for i := range n.Attrs {
		b = appendBytesField(b, 5, encodeAttribute(&n.Attrs[i]))
	}
	b = appendStringField(b, 7, n.Domain)
	return b
}

func encodeAttribute(a *Attribute) []byte {
	var b []byte
	b = appendStringField(b, 1, a.Name)
	switch a.Type {
	case AttrFloat:
		b = binary.AppendUvarint(b, 2<<3|wireFixed32)
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(a.F))
	case AttrInt:
		b = binary.AppendUvarint(b, 3<<3|wireVarint)
		b = binary.AppendUvarint(b, uint64(a.I))
	case AttrString:
		b = appendBytesField(b, 4, a.S)
	case AttrTensor:
		b = appendBytesField(b, 5, encodeTensor(a.T))
	}
	b = appendVarintField(b, 20, uint64(a.Type))
	return b
}

func encodeTensor(t *Tensor) []byte {
	var b []byte
	if len(t.Dims) > 0 {
		var dims []byte
		for _, d := range t.Dims {
			dims = binary.AppendUvarint(dims, uint64(d))
		}
		b = appendBytesField(b, 1, dims)
	}
	b = appendVarintField(b, 2, uint64(t.DataType))
	if len(t.FloatData) > 0 {
		data := make([]byte, 0, 4*len(t.FloatData))
		for _, v := range t.FloatData {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		b = appendBytesField(b, 4, data)
	}
	b = appendStringField(b, 8, t.Name)
	if t.RawData != nil {
		b = appendBytesField(b, 9, t.RawData)
	}
	return b
}

func encodeValueInfo(v *ValueInfo) []byte {
	var tt []byte
	tt = appendVarintField(tt, 1, uint64(v.ElemType))
	if v.HasShape {
		var shape []byte
		for _, d := range v.Dims {
			var db []byte
			if d.Known {
				db = binary.AppendUvarint(db, 1<<3|wireVarint)
				db = binary.AppendUvarint(db, uint64(d.Value))
			}
			db = appendStringField(db, 2, d.Param)
			shape = appendBytesField(shape, 1, db)
		}
		tt = binary.AppendUvarint(tt, 2<<3|wireBytes)
		tt = binary.AppendUvarint(tt, uint64(len(shape)))
		tt = append(tt, shape...)
	}
	var b []byte
	b = appendStringField(b, 1, v.Name)
	b = appendBytesField(b, 2, appendBytesField(nil, 1, tt))
	return b
}

// appendVarintField appends a varint field, omitted when zero as proto3
// does.
func appendVarintField(b []byte, num int, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = binary.AppendUvarint(b, uint64(num)<<3|wireVarint)
	return binary.AppendUvarint(b, v)
}

// appendStringField appends a string field, omitted when empty.
func appendStringField(b []byte, num int, s string) []byte {
	if s == "" {
		return b
	}
	return appendBytesField(b, num, []byte(s))
}

func appendBytesField(b []byte, num int, data []byte) []byte {
	b = binary.AppendUvarint(b, uint64(num)<<3|wireBytes)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}
