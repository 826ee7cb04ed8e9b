package onnx_test

import (
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

// An untrained BatchNorm1d after a Linear: its running mean and variance
// are Identity copies of its bias and weight. The error is about the op,
// not about computed inputs, and says how to fold it away.
func TestImportBatchNorm(t *testing.T) {
	b := newBuilder(4)
	z := b.gemm("x", 4, 3)
	scale, bias := b.init("1.weight", 3), b.init("1.bias", 3)
	b.identity(scale, "1.running_var")
	b.identity(bias, "1.running_mean")
	out := b.node("BatchNormalization", nil, z, scale, bias, "1.running_mean", "1.running_var")
	_, err := importBytes(b.bytes(out))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `node 3 (BatchNormalization "/BatchNormalization_c"): op BatchNormalization is not supported`)
	assert.Contains(t, err.Error(), "torch.nn.utils.fusion.fuse_linear_bn_eval")
}
