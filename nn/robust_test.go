package nn_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/internal/alloctest"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// safetensors assembles a file from a JSON header and the data.
func safetensors(header string, data []byte) []byte {
	for len(header)%8 != 0 {
		header += " "
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

// decodeBudget is what decoding a file may spend: the JSON header's
// entries cost a few times their size (a header of 4000 tensor entries 14
// bytes a byte, of 40,000 one-character metadata keys 18: Go's map and
// strings), the tensors no more than the data. The time allows some 20
// times what a megabyte of header takes here.
var decodeBudget = alloctest.Budget{Time: time.Second, TimePerByte: time.Microsecond, Bytes: 64 << 10, BytesPerByte: 24}

func TestSafetensorsHeaderChecks(t *testing.T) {
	f32 := func(name string, shape string, begin, end int) string {
		return fmt.Sprintf(`%q: {"dtype": "F32", "shape": %s, "data_offsets": [%d, %d]}`, name, shape, begin, end)
	}
	data := make([]byte, 16)
	for _, c := range []struct{ name, header, err string }{
		{"overlap", "{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[2]", 4, 12) + "," + f32("c", "[1]", 12, 16) + "}", `tensor "b": bytes 4..12 overlap another tensor's`},
		{"alias", "{" + f32("a", "[4]", 0, 16) + "," + f32("b", "[4]", 0, 16) + "}", "overlap"},
		{"gap", "{" + f32("a", "[1]", 0, 4) + "," + f32("b", "[2]", 8, 16) + "}", `tensor "b": bytes 8..16 leave bytes 4..8 of the data unused`},
		{"short", "{" + f32("a", "[2]", 0, 8) + "}", "the tensors cover 8 of the 16 bytes of data"},
		{"unaligned", "{" + f32("a", "[1]", 2, 6) + "}", "not aligned"},
		{"outside", "{" + f32("a", "[8]", 0, 32) + "}", "outside"},
		{"duplicate", "{" + f32("a", "[4]", 0, 16) + "," + f32("a", "[4]", 0, 16) + "}", `"a" appears twice`},
		{"metadata", `{"__metadata__": 12,` + f32("a", "[4]", 0, 16) + "}", "__metadata__ is not a map of strings"},
		{"metadata values", `{"__metadata__": {"a": 1},` + f32("a", "[4]", 0, 16) + "}", "__metadata__ is not a map of strings"},
		{"metadata key twice", `{"__metadata__": {"k": "a", "k": "b"},` + f32("a", "[4]", 0, 16) + "}", `safetensors header: __metadata__ is not a map of strings, each key once: "k" appears twice`},
		{"key case", `{"a": {"DTYPE": "F32", "shape": [4], "data_offsets": [0, 16]}}`, `tensor "a": unknown key "DTYPE"; the keys are "dtype", "shape", "data_offsets"`},
		{"key twice", `{"a": {"dtype": "F16", "dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}`, `tensor "a": "dtype" appears twice`},
		{"trailing", "{" + f32("a", "[4]", 0, 16) + "} x", "data after the JSON object"},
		{"not an object", "[]", "not a JSON object"},
	} {
		_, err := nn.DecodeTensors(safetensors(c.header, data))
		assert.ErrorContains(t, err, c.err, c.name)
	}
	tensors, err := nn.DecodeTensors(safetensors("{"+f32("b", "[2]", 8, 16)+","+f32("a", "[1, 2]", 0, 8)+`, "__metadata__": {"k": "v"}}`, data))
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, tensors["a"].Shape)
	assert.Len(t, tensors["b"].Data, 2)
}

// Entries that all alias one range must fail before any is decoded: the
// decoder allocates in proportion to the file, not to the entries' claims.
func TestSafetensorsAliasBomb(t *testing.T) {
	data := make([]byte, 4<<10)
	var h strings.Builder
	h.WriteString("{")
	for i := range 4000 {
		if i > 0 {
			h.WriteString(",")
		}
		fmt.Fprintf(&h, `"t%d": {"dtype": "F32", "shape": [1024], "data_offsets": [0, 4096]}`, i)
	}
	h.WriteString("}")
	file := safetensors(h.String(), data)
	var err error
	decodeBudget.Check(t, "DecodeTensors", len(file), func() { _, err = nn.DecodeTensors(file) })
	assert.ErrorContains(t, err, "overlap")
}

func TestLoadRefusesWhatIsNotAWeightsFile(t *testing.T) {
	net, err := nn.New(kernels.SeedNetwork(), nn.Options{Seed: 1})
	require.NoError(t, err)
	before := slices.Clone(net.Params())
	assert.EqualError(t, net.Load("/dev/zero"), "nn: loading weights: /dev/zero is not a regular file")
	dir := t.TempDir()
	assert.ErrorContains(t, net.Load(dir), "not a regular file")
	assert.Equal(t, before, net.Params())
}

func TestLoadRefusesNonFiniteWeights(t *testing.T) {
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		src, err := nn.New(kernels.SeedNetwork(), nn.Options{Seed: 1})
		require.NoError(t, err)
		var good, file bytes.Buffer
		require.NoError(t, src.Encode(&good))
		ts, err := nn.DecodeTensors(good.Bytes()) // Encode refuses a bad value: write it with EncodeTensors
		require.NoError(t, err)
		ts["0.bias"].Data[1] = bad // layer 1's bias, entry 1
		require.NoError(t, nn.EncodeTensors(&file, ts, map[string]string{"format": "pt"}))
		dst, err := nn.New(kernels.SeedNetwork(), nn.Options{Seed: 2})
		require.NoError(t, err)
		before := slices.Clone(dst.Params())
		err = dst.Decode(file.Bytes())
		assert.EqualError(t, err, fmt.Sprintf(`tensor "0.bias": value 1 is %v; weights must be finite`, bad))
		assert.Equal(t, before, dst.Params())
	}
}

func TestNewBoundsItsOptions(t *testing.T) {
	for _, w := range []int{-1, nn.MaxWorkers + 1, 1 << 20, 1 << 40, math.MaxInt} {
		_, err := nn.New(kernels.SeedNetwork(), nn.Options{Workers: w})
		assert.ErrorContains(t, err, "Options.Workers must be 0 (GOMAXPROCS) or 1 to 256", "%d workers", w)
	}
	net, err := nn.New(kernels.SeedNetwork(), nn.Options{Workers: nn.MaxWorkers})
	require.NoError(t, err)
	assert.Equal(t, nn.MaxWorkers, net.Workers())
	batch := kernels.SeedNetwork().Batch
	for _, size := range []int{-1, nn.MaxStepTiles*batch + 1, 1 << 40, math.MaxInt} {
		_, err := nn.New(kernels.SeedNetwork(), nn.Options{StepSize: size})
		assert.ErrorContains(t, err, fmt.Sprintf("Options.StepSize %d; it must be 0 (the batch, %d) or 1 to %d", size, batch, nn.MaxStepTiles*batch))
	}
	for _, size := range []int{1, batch + 1, nn.MaxStepTiles * batch} {
		net, err := nn.New(kernels.SeedNetwork(), nn.Options{StepSize: size})
		require.NoError(t, err)
		assert.Equal(t, size, net.StepSize())
	}
	for _, init := range []nn.Init{-1, nn.InitSmall + 1, 99} {
		_, err := nn.New(kernels.SeedNetwork(), nn.Options{Init: init})
		assert.EqualError(t, err, fmt.Sprintf("nn: unknown Init %d", init))
	}
}

func TestLayerOutOfRange(t *testing.T) {
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1})
	require.NoError(t, err)
	for _, i := range []int{-1, 2, math.MaxInt} {
		_, _, err := net.Layer(i)
		assert.EqualError(t, err, fmt.Sprintf("nn: no layer %d; the network has layers 0 to 1", i))
	}
	w, b, err := net.Layer(1)
	require.NoError(t, err)
	assert.Len(t, w, 32*10)
	assert.Len(t, b, 10)
}

func TestOptimizerHyperparameters(t *testing.T) {
	nan := float32(math.NaN())
	net, err := nn.New(kernels.SeedNetwork(), nn.Options{Seed: 1})
	require.NoError(t, err)
	for _, c := range []struct {
		opt nn.Optimizer
		err string
	}{
		{nn.SGD{LR: 0.1, Momentum: nan}, "Momentum NaN"},
		{nn.SGD{LR: 0.1, WeightDecay: float32(math.Inf(1))}, "WeightDecay +Inf"},
		{nn.SGD{LR: 0.1, Momentum: -0.5}, "Momentum -0.5"},
		{nn.Adam{LR: 0.1, Beta1: nan}, "Beta1 NaN is not in [0, 1)"},
		{nn.Adam{LR: 0.1, Beta2: 1}, "Beta2 1 is not in [0, 1)"},
		{nn.AdamW{LR: 0.1, Eps: -1}, "Eps -1"},
		{nn.Adam{LR: 0.1, Eps: 1e-20}, "Eps 1e-20 is below 1e-15"},
		{nn.AdamW{LR: nan}, "learning rate NaN"},
	} {
		assert.ErrorContains(t, net.SetOptimizer(c.opt), c.err, "%+v", c.opt)
	}
	assert.NoError(t, net.SetOptimizer(nn.Adam{LR: 0.1, Eps: nn.MinEps}))
}

// Fit checks every sample before its first step, and stops at a step
// whose loss or gradient is not finite without taking it.
func TestFitRefusesNonFinite(t *testing.T) {
	desc := kernels.SeedNetwork()
	x, y := samples(desc, 20, 1)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		name string
		cfg  func(x, y []float32) ([]float32, []float32, nn.FitConfig)
		err  string
	}{
		{"NaN feature", func(x, y []float32) ([]float32, []float32, nn.FitConfig) {
			x[17*4+2] = nan
			return x, y, nn.FitConfig{Epochs: 1}
		}, "nn: sample 17: feature 2 is NaN"},
		{"infinite target", func(x, y []float32) ([]float32, []float32, nn.FitConfig) {
			y[5*2+1] = inf
			return x, y, nn.FitConfig{Epochs: 1}
		}, "nn: sample 5: target 1 is +Inf"},
		{"NaN validation", func(x, y []float32) ([]float32, []float32, nn.FitConfig) {
			vx := slices.Clone(x[:8])
			vx[7] = nan
			return x, y, nn.FitConfig{Epochs: 1, ValX: vx, ValY: y[:4]}
		}, "validation: nn: sample 1: feature 3 is NaN"},
		{"empty validation", func(x, y []float32) ([]float32, []float32, nn.FitConfig) {
			return x, y, nn.FitConfig{Epochs: 1, ValX: []float32{}, ValY: []float32{}}
		}, "validation: nn: no validation samples (leave ValX and ValY nil to train without)"},
		{"NaN schedule", func(x, y []float32) ([]float32, []float32, nn.FitConfig) {
			return x, y, nn.FitConfig{Epochs: 1, Schedule: func(int) float32 { return nan }}
		}, "epoch 1: nn: learning rate NaN is not a positive number"},
	} {
		t.Run(c.name, func(t *testing.T) {
			net, err := nn.New(desc, nn.Options{Seed: 1, Workers: 1})
			require.NoError(t, err)
			before := slices.Clone(net.Params())
			cx, cy, cfg := c.cfg(slices.Clone(x), slices.Clone(y))
			history, err := net.Fit(cx, cy, cfg)
			assert.EqualError(t, err, c.err)
			assert.Empty(t, history)
			assert.Equal(t, before, net.Params(), "the network changed")
		})
	}
}

// A learning rate that makes training diverge: the step whose loss
// overflows is not taken, and the network keeps the finite parameters it
// had before it.
func TestDivergingStepIsNotTaken(t *testing.T) {
	for _, workers := range []int{1, 2} {
		desc := kernels.SeedNetwork()
		net, err := nn.New(desc, nn.Options{Seed: 1, Workers: workers, Optimizer: nn.SGD{LR: 1e12}})
		require.NoError(t, err)
		x, y := samples(desc, net.StepSize(), 1)
		var stepErr error
		for step := 0; step < 20 && stepErr == nil; step++ {
			before := slices.Clone(net.Params())
			if _, stepErr = net.TrainStep(x, y); stepErr != nil {
				assert.Equal(t, before, net.Params(), "a refused step changed the parameters")
				assert.Equal(t, -1, slices.IndexFunc(net.Params(), func(v float32) bool { return v-v != 0 }))
			}
		}
		assert.ErrorContains(t, stepErr, "no step taken")

		// Fit names the step.
		net, err = nn.New(desc, nn.Options{Seed: 1, Workers: workers, Optimizer: nn.SGD{LR: 1e12}})
		require.NoError(t, err)
		_, err = net.Fit(x, y, nn.FitConfig{Epochs: 20})
		assert.ErrorContains(t, err, "step 1 (samples 0 to")
		assert.Equal(t, -1, slices.IndexFunc(net.Params(), func(v float32) bool { return v-v != 0 }))
	}
}

// Save refuses weights Load would refuse, naming the value as the file
// would hold it, and writes nothing: a NaN written through Params.
func TestSaveRefusesNonFiniteWeights(t *testing.T) {
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1})
	require.NoError(t, err)
	desc := kernels.DigitsNetwork()
	in, out := desc.Layers[0].In, desc.Layers[0].Out
	// Parameter k·Out+j of layer 0's w is row j, column k of "0.weight".
	k, j := 2, 3
	net.Params()[k*out+j] = float32(math.NaN())
	path := filepath.Join(t.TempDir(), "w.safetensors")
	err = net.Save(path)
	assert.EqualError(t, err, fmt.Sprintf(`nn: saving %s: tensor "0.weight": value %d is NaN; weights must be finite, and Load would refuse them: not saved`, path, j*in+k))
	assert.NoFileExists(t, path)
	net.Params()[k*out+j] = 0
	b := len(net.Params()) - 1 // the last bias
	net.Params()[b] = float32(math.Inf(-1))
	assert.ErrorContains(t, net.Encode(io.Discard), fmt.Sprintf(`tensor "2.bias": value %d is -Inf`, desc.Layers[1].Out-1))
}
