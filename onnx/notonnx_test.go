package onnx_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/nn"
)

// A file that is not an ONNX model at all (a spec, a weights file, an
// archive, text) says so, rather than naming a protobuf wire type; a
// damaged ONNX model still says where it is damaged.
func TestImportNotONNX(t *testing.T) {
	var weights bytes.Buffer
	require.NoError(t, nn.EncodeTensors(&weights, map[string]nn.Tensor{"0.bias": {Shape: []int{1}, Data: []float32{1}}}, nil))
	for name, data := range map[string][]byte{
		"a vecgen spec":      []byte("name: Seed\nbatch: 3\ninput: 4\nlayers:\n  - {dense: 2}\nloss: mse\n"),
		"an imported spec":   []byte("# Imported by vecgen from m.onnx\nname: M\n"),
		"a safetensors":      weights.Bytes(),
		"a zip (torch.save)": []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"),
		"JSON":               []byte(`{"a": 1}`),
		"an empty file":      nil,
	} {
		_, err := importBytes(data)
		require.Error(t, err, name)
		assert.ErrorIs(t, err, onnxpb.ErrNotONNX, name)
		assert.Contains(t, err.Error(), "onnx: not an ONNX model", name)
		t.Logf("%s: %v", name, err)
	}
	_, err := importBytes(validModel()[:40])
	require.Error(t, err)
	assert.NotErrorIs(t, err, onnxpb.ErrNotONNX)
	assert.Contains(t, err.Error(), "truncated")
}
