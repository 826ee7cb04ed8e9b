package onnx_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/nn"
)

// identity adds an Identity node from one value to another, at the start
// of the graph, as torch.onnx.export writes those it makes of equal
// initializers.
func (b *builder) identity(from, to string) {
	b.g.Nodes = append([]onnxpb.Node{{OpType: "Identity", Name: "Identity_" + to, Inputs: []string{from}, Outputs: []string{to}}}, b.g.Nodes...)
}

// PyTorch writes one initializer for equal ones and Identity nodes for
// the others: a second Linear's zero bias is the first's through an
// Identity (here through two, listed before the node they copy).
func TestImportIdentityOfConstant(t *testing.T) {
	b := newBuilder(4)
	h := b.node("Relu", nil, b.gemm("x", 4, 3))
	w := b.init("2.weight", 3, 3)
	out := b.node("Gemm", []onnxpb.Attribute{{Name: "transB", Type: onnxpb.AttrInt, I: 1}}, h, w, "2.bias")
	b.identity("copy", "2.bias")
	b.identity(b.g.Initializers[1].Name, "copy")
	res, err := importBytes(b.bytes(out))
	require.NoError(t, err)
	ts, err := nn.DecodeTensors(res.Weights)
	require.NoError(t, err)
	assert.Equal(t, ts["0.bias"].Data, ts["2.bias"].Data)
	assert.Contains(t, string(res.Spec), `bias "2.bias"`)
}

// values adds an initializer of the given values.
func (b *builder) values(name string, vals ...float32) string {
	b.g.Initializers = append(b.g.Initializers, onnxpb.Tensor{Name: name, Dims: []int64{int64(len(vals))}, DataType: onnxpb.Float, RawData: floats(vals...)})
	return name
}

// A BatchNorm1d between a Linear and its activation, in eval mode, is
// folded into the Linear: w·a and a·(b − mean) + B with a = scale/√(var+ε),
// and a note says so. An untrained one's running mean and variance are
// Identity copies of its bias and weight (PyTorch writes equal
// initializers once), which fold as well.
func TestImportBatchNorm(t *testing.T) {
	scale, shift, mean, variance := []float32{1.5, -0.5, 2}, []float32{0.1, 0.2, -0.3}, []float32{0.25, -1, 3}, []float32{4, 0.5, 9}
	b := newBuilder(4)
	z := b.gemm("x", 4, 3)
	bn := b.node("BatchNormalization", []onnxpb.Attribute{{Name: "epsilon", Type: onnxpb.AttrFloat, F: 0.01}},
		z, b.values("bn.weight", scale...), b.values("bn.bias", shift...), b.values("bn.running_mean", mean...), b.values("bn.running_var", variance...))
	out := b.node("Relu", nil, bn)
	w, err := b.g.Initializers[0].Floats() // [out=3, in=4]
	require.NoError(t, err)
	bias, err := b.g.Initializers[1].Floats()
	require.NoError(t, err)
	res, err := importBytes(b.bytes(out))
	require.NoError(t, err)
	ts, err := nn.DecodeTensors(res.Weights)
	require.NoError(t, err)
	for j := range 3 {
		a := float64(scale[j]) / math.Sqrt(float64(variance[j])+float64(float32(0.01)))
		for k := range 4 {
			assert.Equal(t, float32(float64(w[j*4+k])*a), ts["0.weight"].Data[j*4+k], "w[%d][%d]", j, k)
		}
		assert.Equal(t, float32(a*(float64(bias[j])-float64(mean[j]))+float64(shift[j])), ts["0.bias"].Data[j], "b[%d]", j)
	}
	assert.Equal(t, "relu", string(res.Model.Layers[0].Activation))
	assert.Contains(t, string(res.Spec), `node 1 BatchNormalization "/BatchNormalization_c": folded into the weights and bias`)
	assert.Contains(t, res.Notes[0], "folded into layer 1's weights and bias")
	assert.Equal(t, w, mustFloats(t, b.g.Initializers[0]), "the model's own tensor is unchanged")

	// Untrained: var and mean are copies of the weight (ones) and bias (zeros).
	b = newBuilder(4)
	z = b.gemm("x", 4, 3)
	one, zero := b.values("1.weight", 1, 1, 1), b.values("1.bias", 0, 0, 0)
	b.identity(one, "1.running_var")
	b.identity(zero, "1.running_mean")
	_, err = importBytes(b.bytes(b.node("BatchNormalization", nil, z, one, zero, "1.running_mean", "1.running_var")))
	require.NoError(t, err)

	for _, c := range []struct {
		name string
		edit func(b *builder, z string) string
		err  string
	}{
		{"after the activation", func(b *builder, z string) string {
			return b.node("BatchNormalization", nil, b.node("Relu", nil, z), b.values("s", 1, 1, 1), b.values("B", 0, 0, 0), b.values("m", 0, 0, 0), b.values("v", 1, 1, 1))
		}, "BatchNormalization after the relu activation; vecgen folds a BatchNormalization into the Linear before it"},
		{"training mode", func(b *builder, z string) string {
			return b.node("BatchNormalization", []onnxpb.Attribute{{Name: "training_mode", Type: onnxpb.AttrInt, I: 1}}, z, b.values("s", 1, 1, 1), b.values("B", 0, 0, 0), b.values("m", 0, 0, 0), b.values("v", 1, 1, 1))
		}, "training_mode = 1; export the model in eval mode"},
		{"negative variance", func(b *builder, z string) string {
			return b.node("BatchNormalization", nil, z, b.values("s", 1, 1, 1), b.values("B", 0, 0, 0), b.values("m", 0, 0, 0), b.values("v", 1, -2, 1))
		}, "feature 1: var -2 + epsilon 1e-05 is not a positive number"},
		{"wrong width", func(b *builder, z string) string {
			return b.node("BatchNormalization", nil, z, b.values("s", 1, 1), b.values("B", 0, 0, 0), b.values("m", 0, 0, 0), b.values("v", 1, 1, 1))
		}, `its scale "s" has dims [2]; the layer before has 3 outputs`},
	} {
		b := newBuilder(4)
		_, err := importBytes(b.bytes(c.edit(b, b.gemm("x", 4, 3))))
		assert.ErrorContains(t, err, c.err, c.name)
	}
}

func mustFloats(t *testing.T, tensor onnxpb.Tensor) []float32 {
	t.Helper()
	v, err := tensor.Floats()
	require.NoError(t, err)
	return v
}

// LogSoftmax on the last layer is imported as its softmax, with a note
// that the outputs are probabilities.
func TestImportLogSoftmax(t *testing.T) {
	b := newBuilder(4)
	out := b.node("LogSoftmax", []onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrInt, I: -1}}, b.gemm("x", 4, 3))
	res, err := importBytes(b.bytes(out))
	require.NoError(t, err)
	assert.Equal(t, "softmax", string(res.Model.Layers[0].Activation))
	assert.Equal(t, "cross_entropy", string(res.Model.Loss))
	assert.Contains(t, res.Notes[0], "LogSoftmax node 1 (\"/LogSoftmax_c\") imported as softmax: the network's outputs are probabilities, whose logs are LogSoftmax's outputs")
}

// A LayerNormalization depends on each sample's values: its error says
// why it cannot be folded as a BatchNormalization is.
func TestImportLayerNorm(t *testing.T) {
	b := newBuilder(4)
	_, err := importBytes(b.bytes(b.node("LayerNormalization", nil, b.gemm("x", 4, 3), b.values("s", 1, 1, 1))))
	assert.ErrorContains(t, err, "op LayerNormalization is not supported: vecgen's layers normalize nothing; a LayerNorm depends on each sample's own values and cannot be folded into a Linear")
}

// The exact GELU as PyTorch exports nn.GELU(): z·0.5·(1 + erf(z/√2)).
func TestImportExactGELU(t *testing.T) {
	b := newBuilder(5)
	z := b.gemm("x", 5, 3)
	e := b.node("Erf", nil, b.node("Div", nil, z, b.values("sqrt2", math.Sqrt2)))
	out := b.node("Mul", nil, b.node("Mul", nil, z, b.node("Add", nil, e, b.values("one", 1))), b.values("half", 0.5))
	res, err := importBytes(b.bytes(out))
	require.NoError(t, err)
	assert.Equal(t, "gelu_erf", string(res.Model.Layers[0].Activation))
	assert.Contains(t, string(res.Spec), "gelu_erf as 5 elementwise ops")
}
