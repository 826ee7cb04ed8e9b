package nn

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/scalar"
)

// ExportOpset is the ONNX opset ExportONNX writes, and exportIR the IR
// version that goes with it.
const (
	ExportOpset = 13
	exportIR    = 7
)

// ExportONNX writes the network as an ONNX model (opset 13): input
// "input" of shape [N, Input], output "output" of [N, Output], and per
// layer a Gemm (transB = 1) whose weight and bias are initializers named
// as in the weights file ("0.weight", Out×In as PyTorch's Linear.weight,
// and "0.bias", then "2.weight", ...), followed by its activation: Relu,
// LeakyRelu (alpha 0.01), Sigmoid, Tanh, Softmax (axis −1), GELU's tanh
// form as Mul, Add and Tanh nodes (opset 13 has no Gelu), the exact GELU
// as Div, Erf, Add and Mul nodes, or SiLU as x·Sigmoid(x). The values are the parameters' float32 bits.
func (n *Network) ExportONNX(w io.Writer) error {
	g := &onnxpb.Graph{Name: n.desc.Name}
	value := "input"
	node := func(op, name string, inputs ...string) string {
		out := name + "_output"
		g.Nodes = append(g.Nodes, onnxpb.Node{OpType: op, Name: name, Inputs: inputs, Outputs: []string{out}})
		return out
	}
	scalarConst := func(name string, v float32) string {
		raw := binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))
		g.Initializers = append(g.Initializers, onnxpb.Tensor{Name: name, DataType: onnxpb.Float, RawData: raw})
		return name
	}
	for i, l := range n.desc.Layers {
		wn, bn := tensorNames(i)
		wt := make([]byte, 0, 4*l.In*l.Out)
		for j := range l.Out {
			for k := range l.In {
				wt = binary.LittleEndian.AppendUint32(wt, math.Float32bits(n.w[i][k*l.Out+j]))
			}
		}
		b := make([]byte, 0, 4*l.Out)
		for _, v := range n.b[i] {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		g.Initializers = append(g.Initializers,
			onnxpb.Tensor{Name: wn, Dims: []int64{int64(l.Out), int64(l.In)}, DataType: onnxpb.Float, RawData: wt},
			onnxpb.Tensor{Name: bn, Dims: []int64{int64(l.Out)}, DataType: onnxpb.Float, RawData: b})
		p := "/" + strconv.Itoa(2*i) // PyTorch's module numbering
		a := "/" + strconv.Itoa(2*i+1)
		value = node("Gemm", p+"/Gemm", value, wn, bn)
		g.Nodes[len(g.Nodes)-1].Attrs = []onnxpb.Attribute{
			{Name: "alpha", Type: onnxpb.AttrFloat, F: 1},
			{Name: "beta", Type: onnxpb.AttrFloat, F: 1},
			{Name: "transB", Type: onnxpb.AttrInt, I: 1},
		}
		switch l.Activation {
		case scalar.Identity:
		case scalar.ReLU:
			value = node("Relu", a+"/Relu", value)
		case scalar.LeakyReLU:
			value = node("LeakyRelu", a+"/LeakyRelu", value)
			g.Nodes[len(g.Nodes)-1].Attrs = []onnxpb.Attribute{{Name: "alpha", Type: onnxpb.AttrFloat, F: scalar.LeakySlope}}
		case scalar.Sigmoid:
			value = node("Sigmoid", a+"/Sigmoid", value)
		case scalar.Tanh:
			value = node("Tanh", a+"/Tanh", value)
		case scalar.Softmax:
			value = node("Softmax", a+"/Softmax", value)
			g.Nodes[len(g.Nodes)-1].Attrs = []onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrInt, I: -1}}
		case scalar.SiLU:
			s := node("Sigmoid", a+"/Sigmoid", value)
			value = node("Mul", a+"/Mul", value, s)
		case scalar.GELU:
			// 0.5·z·(1 + tanh(√(2/π)·(z + 0.044715·z³))), as PyTorch
			// exports GELU(approximate="tanh").
			z := value
			z2 := node("Mul", a+"/Mul", z, z)
			z3 := node("Mul", a+"/Mul_1", z, z2)
			c := node("Mul", a+"/Mul_2", scalarConst(a+"/cubic", scalar.GELUCubic), z3)
			inner := node("Add", a+"/Add", z, c)
			u := node("Mul", a+"/Mul_3", scalarConst(a+"/scale", scalar.GELUScale), inner)
			t := node("Tanh", a+"/Tanh", u)
			t1 := node("Add", a+"/Add_1", scalarConst(a+"/one", 1), t)
			zt := node("Mul", a+"/Mul_4", z, t1)
			value = node("Mul", a+"/Mul_5", scalarConst(a+"/half", 0.5), zt)
		case scalar.GELUErf:
			// z·0.5·(1 + erf(z/√2)), as PyTorch exports nn.GELU().
			z := value
			e := node("Erf", a+"/Erf", node("Div", a+"/Div", z, scalarConst(a+"/sqrt2", math.Sqrt2)))
			t1 := node("Add", a+"/Add", e, scalarConst(a+"/one", 1))
			zt := node("Mul", a+"/Mul", z, t1)
			value = node("Mul", a+"/Mul_1", zt, scalarConst(a+"/half", 0.5))
		default:
			return fmt.Errorf("nn: layer %d's activation %v has no ONNX form", i+1, l.Activation)
		}
	}
	g.Nodes[len(g.Nodes)-1].Outputs[0] = "output"
	tensor := func(name string, width int) onnxpb.ValueInfo {
		return onnxpb.ValueInfo{Name: name, ElemType: onnxpb.Float, HasShape: true,
			Dims: []onnxpb.Dim{{Param: "N"}, {Value: int64(width), Known: true}}}
	}
	g.Inputs = []onnxpb.ValueInfo{tensor("input", n.desc.Input)}
	g.Outputs = []onnxpb.ValueInfo{tensor("output", n.desc.Output())}
	m := &onnxpb.Model{
		IRVersion:    exportIR,
		Opsets:       []onnxpb.Opset{{Domain: "", Version: ExportOpset}},
		ProducerName: "vecgen",
		Graph:        g,
	}
	_, err := w.Write(onnxpb.Encode(m))
	return err
}
