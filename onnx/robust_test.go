package onnx_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/internal/alloctest"
	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/onnx"
	"github.com/vecgen/vecgen/spec"
)

// builder makes small ONNX graphs for the tests.
type builder struct {
	g     onnxpb.Graph
	opset int64
	next  int
}

func newBuilder(in int) *builder {
	b := &builder{opset: 13}
	b.g.Inputs = []onnxpb.ValueInfo{{Name: "x", ElemType: onnxpb.Float, HasShape: true,
		Dims: []onnxpb.Dim{{Param: "N"}, {Value: int64(in), Known: true}}}}
	return b
}

func floats(vals ...float32) []byte {
	var raw []byte
	for _, v := range vals {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	return raw
}

// init adds an initializer of the given dims, filled with a ramp.
func (b *builder) init(name string, dims ...int64) string {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(i%7)/8 - 0.3
	}
	b.g.Initializers = append(b.g.Initializers, onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.Float, RawData: floats(vals...)})
	return name
}

// node appends a node and returns its output.
func (b *builder) node(op string, attrs []onnxpb.Attribute, inputs ...string) string {
	b.next++
	out := op + "_" + string(rune('a'+b.next%26)) + strings.Repeat("'", b.next/26)
	b.g.Nodes = append(b.g.Nodes, onnxpb.Node{OpType: op, Name: "/" + out, Inputs: inputs, Outputs: []string{out}})
	b.g.Nodes[len(b.g.Nodes)-1].Attrs = attrs
	return out
}

// identities appends a chain of n Identity nodes from value in, named
// shortly (the names node makes grow with the node count), and returns its
// end.
func (b *builder) identities(in string, n int) string {
	for i := range n {
		out := fmt.Sprint("v", i)
		b.g.Nodes = append(b.g.Nodes, onnxpb.Node{OpType: "Identity", Inputs: []string{in}, Outputs: []string{out}})
		in = out
	}
	return in
}

func (b *builder) gemm(in string, inputs, outputs int) string {
	w := b.init(in+".weight", int64(outputs), int64(inputs))
	bias := b.init(in+".bias", int64(outputs))
	return b.node("Gemm", []onnxpb.Attribute{{Name: "transB", Type: onnxpb.AttrInt, I: 1}}, in, w, bias)
}

func (b *builder) bytes(out string) []byte {
	b.g.Outputs = []onnxpb.ValueInfo{{Name: out, ElemType: onnxpb.Float}}
	return onnxpb.Encode(&onnxpb.Model{IRVersion: 7, Opsets: []onnxpb.Opset{{Version: b.opset}}, Graph: &b.g})
}

func importBytes(data []byte) (*onnx.Result, error) {
	return onnx.Import(data, onnx.Options{Name: "Test", Batch: 2})
}

// validModel is 5 → 7 relu → 3 softmax.
func validModel() []byte {
	b := newBuilder(5)
	h := b.node("Relu", nil, b.gemm("x", 5, 7))
	return b.bytes(b.node("Softmax", []onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrInt, I: -1}}, b.gemm(h, 7, 3)))
}

func TestImportBuilt(t *testing.T) {
	res, err := importBytes(validModel())
	require.NoError(t, err)
	assert.Equal(t, []spec.Layer{{In: 5, Out: 7, Activation: spec.ReLU}, {In: 7, Out: 3, Activation: spec.Softmax}}, res.Model.Layers)
	assert.Equal(t, spec.CrossEntropy, res.Model.Loss)
	assert.True(t, strings.HasPrefix(string(res.Spec), onnx.SpecHeader))
	assert.Contains(t, res.Notes[0], "cross_entropy")

	// The losses that fit the last activation.
	for act, loss := range map[string]spec.Loss{"Sigmoid": spec.BinaryCrossEntropy, "Tanh": spec.MSE, "": spec.MSE} {
		b := newBuilder(4)
		out := b.gemm("x", 4, 2)
		if act != "" {
			out = b.node(act, nil, out)
		}
		res, err := importBytes(b.bytes(out))
		require.NoError(t, err, act)
		assert.Equal(t, loss, res.Model.Loss, act)
	}
}

func TestImportErrors(t *testing.T) {
	softmax := func(axis int64) []onnxpb.Attribute {
		return []onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrInt, I: axis}}
	}
	for _, c := range []struct {
		name  string
		model func() []byte
		want  []string
	}{
		{"conv", func() []byte {
			b := newBuilder(5)
			return b.bytes(b.node("Relu", nil, b.node("Conv", nil, "x", b.init("k", 1, 1, 3))))
		}, []string{"node 0 (Conv", "op Conv is not supported", "Gemm"}},
		{"residual", func() []byte {
			b := newBuilder(5)
			h := b.node("Relu", nil, b.gemm("x", 5, 5))
			return b.bytes(b.node("Add", nil, h, "x"))
		}, []string{"node 0 (Gemm", "residual"}},
		{"residual after a layer", func() []byte {
			b := newBuilder(5)
			h := b.gemm("x", 5, 5)
			r := b.node("Relu", nil, b.gemm(h, 5, 5))
			return b.bytes(b.node("Add", nil, r, h))
		}, []string{"residual"}},
		{"shape mismatch", func() []byte {
			b := newBuilder(5)
			h := b.node("Relu", nil, b.gemm("x", 5, 7))
			return b.bytes(b.gemm(h, 6, 3))
		}, []string{"node 2 (Gemm", "shape mismatch", "takes 6 inputs", "has 7"}},
		{"input width mismatch", func() []byte {
			b := newBuilder(4)
			return b.bytes(b.gemm("x", 5, 3))
		}, []string{"shape mismatch"}},
		{"leaky slope", func() []byte {
			b := newBuilder(5)
			return b.bytes(b.node("LeakyRelu", []onnxpb.Attribute{{Name: "alpha", Type: onnxpb.AttrFloat, F: 0.2}}, b.gemm("x", 5, 3)))
		}, []string{"node 1 (LeakyRelu", "alpha is 0.2", "0.01"}},
		{"softmax not last", func() []byte {
			b := newBuilder(5)
			return b.bytes(b.gemm(b.node("Softmax", softmax(-1), b.gemm("x", 5, 3)), 3, 2))
		}, []string{"node 2 (Gemm", "softmax on the last layer only"}},
		{"softmax axis", func() []byte {
			b := newBuilder(5)
			return b.bytes(b.node("Softmax", softmax(0), b.gemm("x", 5, 3)))
		}, []string{"Softmax over axis 0"}},
		{"two activations", func() []byte {
			b := newBuilder(5)
			return b.bytes(b.node("Tanh", nil, b.node("Relu", nil, b.gemm("x", 5, 3))))
		}, []string{"node 2 (Tanh", "second activation"}},
		{"activation first", func() []byte {
			b := newBuilder(5)
			return b.bytes(b.gemm(b.node("Relu", nil, "x"), 5, 3))
		}, []string{"node 0 (Relu", "before the first dense layer"}},
		{"other pattern", func() []byte {
			b := newBuilder(5)
			z := b.gemm("x", 5, 3)
			return b.bytes(b.node("Mul", nil, z, b.node("Tanh", nil, z)))
		}, []string{"neither GELU (its tanh or exact form) nor SiLU"}},
		{"weights of the wrong type", func() []byte {
			b := newBuilder(5)
			out := b.gemm("x", 5, 3)
			b.g.Initializers[0].DataType = 7 // INT64
			return b.bytes(out)
		}, []string{"node 0 (Gemm", "data type INT64, want FLOAT"}},
		{"double input", func() []byte {
			b := newBuilder(5)
			b.g.Inputs[0].ElemType = onnxpb.Double
			return b.bytes(b.gemm("x", 5, 3))
		}, []string{"element type DOUBLE"}},
		{"2 GB tensor in a small file", func() []byte {
			b := newBuilder(1 << 14)
			out := b.gemm("x", 1, 1)
			b.g.Initializers[0].Dims = []int64{1 << 15, 1 << 14}
			return b.bytes(out)
		}, []string{"declares dims [32768 16384]", "holds 1"}},
		{"huge dims", func() []byte {
			b := newBuilder(5)
			out := b.gemm("x", 5, 3)
			b.g.Initializers[0].Dims = []int64{1 << 62, 1 << 62}
			return b.bytes(out)
		}, []string{"declares dims"}},
		{"opset 18", func() []byte {
			b := newBuilder(5)
			b.opset = 18
			return b.bytes(b.gemm("x", 5, 3))
		}, []string{"opset 18", "9 to 17"}},
		{"dangling node", func() []byte {
			b := newBuilder(5)
			out := b.gemm("x", 5, 3)
			b.node("Relu", nil, "elsewhere")
			return b.bytes(out)
		}, []string{"node 1 (Relu", "not on the chain"}},
		{"two outputs", func() []byte {
			b := newBuilder(5)
			h := b.gemm("x", 5, 3)
			b.bytes(h)
			b.g.Outputs = append(b.g.Outputs, onnxpb.ValueInfo{Name: "x", ElemType: onnxpb.Float})
			return onnxpb.Encode(&onnxpb.Model{Opsets: []onnxpb.Opset{{Version: 13}}, Graph: &b.g})
		}, []string{"graph has 2 outputs [\"Gemm_b\", \"x\"]; vecgen takes one"}},
		{"many outputs", func() []byte {
			b := newBuilder(5)
			out := b.node("Relu", nil, b.gemm("x", 5, 3))
			b.g.Nodes[1].Outputs = append(b.g.Nodes[1].Outputs, "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8")
			return b.bytes(out)
		}, []string{"node 1 (Relu", "with 1 inputs and 9 outputs is not supported"}},
		{"graph field as a varint", func() []byte {
			return []byte{7<<3 | 0, 1}
		}, []string{"model", "field 7 has wire type 0"}},
		{"no graph", func() []byte { return nil }, []string{"no graph"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := importBytes(c.model())
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			t.Log(err)
		})
	}
}

func TestImportTruncated(t *testing.T) {
	data := validModel()
	for cut := range len(data) {
		_, err := importBytes(data[:cut])
		require.Error(t, err, "cut to %d of %d bytes", cut, len(data))
	}
	_, err := importBytes(data[:len(data)/2])
	assert.ErrorContains(t, err, "truncated")
}

func TestHugeDeclaredTensorAllocatesLittle(t *testing.T) {
	b := newBuilder(1 << 14)
	out := b.gemm("x", 1, 1)
	b.g.Initializers[0].Dims = []int64{1 << 15, 1 << 14}
	data := b.bytes(out)
	require.Less(t, len(data), 1024)
	var err error
	alloc := alloctest.Allocated(func() { _, err = importBytes(data) })
	require.Error(t, err)
	assert.Less(t, alloc, uint64(1<<20), "a 2 GiB claim in %d bytes allocated %d", len(data), alloc)
}

func TestNameFromFile(t *testing.T) {
	for in, want := range map[string]string{
		"mnist_mlp-v2.onnx": "MnistMlpV2",
		"dir/model.onnx":    "Model",
		"2layer.onnx":       "M2layer",
		"ünï.onnx":          "N",
		".onnx":             "M",
	} {
		assert.Equal(t, want, onnx.NameFromFile(in), in)
	}
}

// The nodes skipped between layers are named in the spec's comments up
// to a few: 60,000 Identity nodes made a comment line past the spec's
// 1 MiB limit.
func TestImportLongIdentityChain(t *testing.T) {
	b := newBuilder(5)
	res, err := importBytes(b.bytes(b.identities(b.gemm("x", 5, 3), 60_000)))
	require.NoError(t, err)
	assert.Contains(t, string(res.Spec), "node 8 Identity; and 59992 more nodes skipped")
	assert.Less(t, len(res.Spec), 1000)
}

// An error about a tensor with many dims names a few: a Gemm weight of
// 200,000 dims gave a 400 KB message.
func TestImportErrorsStayShort(t *testing.T) {
	for _, role := range []int{0, 1} {
		b := newBuilder(5)
		out := b.gemm("x", 5, 3)
		b.g.Initializers[role].Dims = make([]int64, 200_000)
		for i := range b.g.Initializers[role].Dims {
			b.g.Initializers[role].Dims[i] = 1
		}
		_, err := importBytes(b.bytes(out))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "[1 1 1 1 1 1 1 1 ...] (200000 dims)")
		assert.Less(t, len(err.Error()), 1000)
	}
}

// An operator's type and domain come from the file too: a message names
// them cut as names are, where a 1 MiB op_type gave a 2 MiB message and a
// 1 MiB domain a 1 MiB one.
func TestImportErrorsCutOperatorNames(t *testing.T) {
	long := strings.Repeat("Q", 1<<20)
	for _, c := range []struct {
		name string
		edit func(n *onnxpb.Node)
		want string
	}{
		{"op_type", func(n *onnxpb.Node) { n.OpType = long }, `op ` + long[:64] + `... is not supported`},
		{"domain", func(n *onnxpb.Node) { n.Domain = long }, `operator domain "` + long[:64] + `..."`},
		{"op_type of many outputs", func(n *onnxpb.Node) { n.OpType = long; n.Outputs = strings.Split("a b c d e f g h i", " ") }, `op ` + long[:64] + `... with 1 inputs and 9 outputs`},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newBuilder(5)
			out := b.node("Relu", nil, b.gemm("x", 5, 3))
			c.edit(&b.g.Nodes[len(b.g.Nodes)-1])
			_, err := importBytes(b.bytes(out))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Less(t, len(err.Error()), 1000)
		})
	}
}
