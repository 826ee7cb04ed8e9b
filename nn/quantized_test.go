package nn_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
	"github.com/vecgen/vecgen/scalar"
)

// The int8 network computes each sample as scalar.DenseInt8 does, layer
// after layer (within the kernels' activations' few ulp; the generated
// tests hold each kernel to it), the same bit for bit whatever the number
// of samples and the goroutines sharing them; and it stays near the float
// network.
func TestQuantizedPredict(t *testing.T) {
	for _, desc := range []compiled.Network{kernels.DigitsNetwork(), kernels.FashionNetwork(), kernels.ScorerNetwork()} {
		net, err := nn.New(desc, nn.Options{Seed: 5})
		require.NoError(t, err)
		q, err := nn.Quantize(net)
		require.NoError(t, err)
		count, width := 3*64+5, desc.Output()
		x, _ := samples(desc, count, 9)
		got := make([]float32, count*width)
		require.NoError(t, q.Predict(x, got))

		if q.RunsInt8() {
			want := int8Forward(t, net, desc, x, count)
			for i := range want {
				require.InDelta(t, want[i], got[i], 1e-5*(1+math.Abs(float64(want[i]))), "%s: output %d", desc.Name, i)
			}
		} else { // the float kernels on the dequantized weights, bit for bit
			want := make([]float32, len(got))
			require.NoError(t, dequantized(t, net, desc).Predict(x, want))
			assert.Equal(t, want, got, "%s: the float kernels on the dequantized weights", desc.Name)
		}
		one := make([]float32, width)
		for _, r := range []int{0, 100, count - 1} {
			require.NoError(t, q.Predict(x[r*desc.Input:(r+1)*desc.Input], one))
			assert.Equal(t, got[r*width:(r+1)*width], one, "%s: sample %d alone", desc.Name, r)
		}

		float := make([]float32, count*width)
		require.NoError(t, net.Predict(x, float))
		worst := 0.0
		for i := range got {
			worst = max(worst, math.Abs(float64(got[i])-float64(float[i])))
		}
		assert.Less(t, worst, 0.05, "%s: the int8 outputs stay near the float ones", desc.Name)
	}
}

// int8Forward runs count samples through the network's layers with the
// int8 reference, from a quantization of the weights of its own.
func int8Forward(t *testing.T, net *nn.Network, desc compiled.Network, x []float32, count int) []float32 {
	a := x
	for i, l := range desc.Layers {
		w, b, err := net.Layer(i)
		require.NoError(t, err)
		qw, sw, colsum := make([]int8, l.In*l.Out), make([]float32, l.Out), make([]int32, l.Out)
		scalar.QuantizeWeights(w, l.In, l.Out, qw, sw, colsum)
		next := make([]float32, count*l.Out)
		scalar.DenseInt8(a, qw, sw, colsum, b, next, make([]uint8, l.In), make([]int32, l.Out), count, l.In, l.Out, l.Activation)
		a = next
	}
	return a
}

// dequantized is a float network whose weights are net's quantized and
// dequantized: each int8 weight times its output's scale.
func dequantized(t *testing.T, net *nn.Network, desc compiled.Network) *nn.Network {
	float, err := nn.New(desc, nn.Options{})
	require.NoError(t, err)
	for i, l := range desc.Layers {
		w, b, err := net.Layer(i)
		require.NoError(t, err)
		qw, sw := make([]int8, l.In*l.Out), make([]float32, l.Out)
		scalar.QuantizeWeights(w, l.In, l.Out, qw, sw, make([]int32, l.Out))
		fw, fb, err := float.Layer(i)
		require.NoError(t, err)
		for k := range qw {
			fw[k] = sw[k%l.Out] * float32(qw[k])
		}
		copy(fb, b)
	}
	return float
}

// Where the CPU runs float kernels but no int8 ones, the int8 network runs
// them on its dequantized weights; elsewhere it computes in int8.
func TestQuantizedRunsInt8(t *testing.T) {
	desc := kernels.FashionNetwork()
	net, err := nn.New(desc, nn.Options{Seed: 1})
	require.NoError(t, err)
	q, err := nn.Quantize(net)
	require.NoError(t, err)
	assert.Equal(t, desc.Int8Tier != compiled.Reference || desc.Tier == compiled.Reference, q.RunsInt8(),
		"float tier %v, int8 tier %v", desc.Tier, desc.Int8Tier)
}

// Quantize copies: training the float network on does not change the
// int8 one.
func TestQuantizeCopies(t *testing.T) {
	desc := kernels.DigitsNetwork()
	net, err := nn.New(desc, nn.Options{Seed: 1})
	require.NoError(t, err)
	q, err := nn.Quantize(net)
	require.NoError(t, err)
	x, y := samples(desc, desc.Batch, 2)
	before := make([]float32, desc.Batch*desc.Output())
	require.NoError(t, q.Predict(x, before))
	_, err = net.TrainStep(x, y)
	require.NoError(t, err)
	after := make([]float32, len(before))
	require.NoError(t, q.Predict(x, after))
	assert.Equal(t, before, after)
}

func TestQuantizedErrors(t *testing.T) {
	desc := kernels.DigitsNetwork()
	net, err := nn.New(desc, nn.Options{Seed: 1})
	require.NoError(t, err)
	q, err := nn.Quantize(net)
	require.NoError(t, err)
	x, y := samples(desc, 3, 4)
	out := make([]float32, 3*desc.Output())
	assert.ErrorContains(t, q.Predict(x[:desc.Input+1], out), "x")
	assert.ErrorContains(t, q.Predict(x, out[:5]), "room")
	x[desc.Input+7] = float32(math.NaN())
	assert.EqualError(t, q.Predict(x, out), "nn: sample 1: feature 7 is NaN; int8 inputs must be finite")
	x[desc.Input+7] = 0
	_, err = q.Evaluate(x, y[:4])
	assert.Error(t, err, "targets of another shape")

	// Last-layer weights of ±1e38 overflow float32 in the epilogue, and
	// softmax turns the infinities into NaN: an error naming the sample,
	// not a NaN output.
	w, _, err := net.Layer(len(desc.Layers) - 1)
	require.NoError(t, err)
	for i := range w {
		w[i] = float32(1-2*(i%2)) * 1e38
	}
	huge, err := nn.Quantize(net)
	require.NoError(t, err)
	assert.ErrorContains(t, huge.Predict(x, out), "nn: sample 0: output 0 is NaN: the int8 network overflowed")

	p := net.Params()
	p[3] = float32(math.Inf(-1))
	_, err = nn.Quantize(net)
	assert.EqualError(t, err, "nn: layer 1: weight 3 is -Inf; only finite weights quantize")
}

// Save and LoadQuantized keep the int8 network bit for bit, with its
// metadata; the float and int8 loaders refuse each other's files, naming
// the tensor; and a damaged file is refused.
func TestQuantizedSaveLoad(t *testing.T) {
	desc := kernels.DigitsNetwork()
	net, err := nn.New(desc, nn.Options{Seed: 4})
	require.NoError(t, err)
	require.NoError(t, net.SetMetadata("note", "kept"))
	q, err := nn.Quantize(net)
	require.NoError(t, err)
	dir := t.TempDir()
	path := dir + "/int8.safetensors"
	require.NoError(t, q.Save(path))

	loaded, err := nn.LoadQuantized(desc, path)
	require.NoError(t, err)
	x, _ := samples(desc, 70, 3)
	want, got := make([]float32, 70*desc.Output()), make([]float32, 70*desc.Output())
	require.NoError(t, q.Predict(x, want))
	require.NoError(t, loaded.Predict(x, got))
	assert.Equal(t, want, got)
	assert.Equal(t, map[string]string{"note": "kept"}, loaded.Metadata())

	// The int8 file is about a quarter of the float one.
	floatPath := dir + "/float.safetensors"
	require.NoError(t, net.Save(floatPath))
	intInfo, err := os.Stat(path)
	require.NoError(t, err)
	floatInfo, err := os.Stat(floatPath)
	require.NoError(t, err)
	assert.Less(t, intInfo.Size(), floatInfo.Size()/3)

	_, err = nn.LoadQuantized(desc, floatPath)
	assert.ErrorContains(t, err, `tensor "0.weight" has dtype F32, an int8 network's weights are I8`)
	assert.ErrorContains(t, net.Load(path), `tensor "0.weight" has dtype "I8", want F32 (an int8 network's file: nn.LoadQuantized reads it)`)

	_, err = nn.LoadQuantized(kernels.FashionNetwork(), path)
	assert.ErrorContains(t, err, "holds model Digits")

	file, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, c := range []struct {
		name   string
		damage func([]byte) []byte
		err    string
	}{
		{"a weight of -128", func(f []byte) []byte { f[len(f)-1] = 0x80; return f }, "is −128"},
		{"a NaN scale", func(f []byte) []byte { return plantFloat(t, f, `"0.weight_scale"`, float32(math.NaN())) }, `tensor "0.weight_scale": value 0 is NaN`},
		{"a zero scale", func(f []byte) []byte { return plantFloat(t, f, `"0.weight_scale"`, 0) }, "scales must be finite and positive"},
		{"an infinite bias", func(f []byte) []byte { return plantFloat(t, f, `"0.bias"`, float32(math.Inf(1))) }, `tensor "0.bias": value 0 is +Inf`},
		{"cut short", func(f []byte) []byte { return f[:len(f)-1] }, "lie outside"},
	} {
		_, err := nn.DecodeQuantized(desc, c.damage(slices.Clone(file)))
		assert.ErrorContains(t, err, c.err, c.name)
	}
}

// plantFloat writes v over the first value of the tensor whose header
// entry starts with name.
func plantFloat(t *testing.T, file []byte, name string, v float32) []byte {
	size := binary.LittleEndian.Uint64(file)
	var header map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(file[8:8+size], &header))
	var info struct {
		DataOffsets []int `json:"data_offsets"`
	}
	require.NoError(t, json.Unmarshal(header[strings.Trim(name, `"`)], &info))
	binary.LittleEndian.PutUint32(file[8+int(size)+info.DataOffsets[0]:], math.Float32bits(v))
	return file
}

// QuantizeFile makes of a float weights file, ours or PyTorch's, the int8
// file Quantize and Save would make, and refuses what is not a network.
func TestQuantizeFile(t *testing.T) {
	desc := kernels.DigitsNetwork()
	net, err := nn.New(desc, nn.Options{Seed: 8})
	require.NoError(t, err)
	torch, err := os.ReadFile("testdata/torch_digits.safetensors")
	require.NoError(t, err)
	var ours bytes.Buffer
	require.NoError(t, net.Encode(&ours))
	for name, file := range map[string][]byte{"ours": ours.Bytes(), "PyTorch's": torch} {
		require.NoError(t, net.Decode(file), name)
		want, err := nn.Quantize(net)
		require.NoError(t, err, name)
		quantized, err := nn.QuantizeFile(file)
		require.NoError(t, err, name)
		got, err := nn.DecodeQuantized(desc, quantized)
		require.NoError(t, err, name)
		x, _ := samples(desc, 9, 5)
		a, b := make([]float32, 9*desc.Output()), make([]float32, 9*desc.Output())
		require.NoError(t, want.Predict(x, a))
		require.NoError(t, got.Predict(x, b))
		assert.Equal(t, a, b, name)
	}
	_, err = nn.QuantizeFile(safetensorsOf(t, map[string]nn.Tensor{"w": {Shape: []int{1}, Data: []float32{1}}}))
	assert.ErrorContains(t, err, `no tensor "0.weight"`)
	_, err = nn.QuantizeFile(safetensorsOf(t, map[string]nn.Tensor{"0.weight": {Shape: []int{1, 2}, Data: []float32{1, 2}}}))
	assert.ErrorContains(t, err, `tensor "0.bias" is missing`)
	_, err = nn.QuantizeFile(safetensorsOf(t, map[string]nn.Tensor{
		"0.weight": {Shape: []int{1, 2}, Data: []float32{1, float32(math.Inf(1))}}, "0.bias": {Shape: []int{1}, Data: []float32{0}}}))
	assert.ErrorContains(t, err, `tensor "0.weight": value 1 is +Inf`)
	_, err = nn.QuantizeFile(safetensorsOf(t, map[string]nn.Tensor{
		"0.weight": {Shape: []int{1, 2}, Data: []float32{1, 2}}, "0.bias": {Shape: []int{1}, Data: []float32{0}}, "extra": {Shape: []int{1}, Data: []float32{0}}}))
	assert.ErrorContains(t, err, `tensor "extra" is not part of a chain of 1 layers`)
}

func safetensorsOf(t *testing.T, tensors map[string]nn.Tensor) []byte {
	var b bytes.Buffer
	require.NoError(t, nn.EncodeTensors(&b, tensors, nil))
	return b.Bytes()
}
