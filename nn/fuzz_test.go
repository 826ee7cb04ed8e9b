package nn_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// FuzzDecodeQuantized feeds arbitrary bytes to the int8 network's
// decoder: it must return an error or an int8 network that predicts, never
// panic, and never take more time or allocate more than the budget for
// the file's size.
func FuzzDecodeQuantized(f *testing.F) {
	desc := kernels.SeedNetwork()
	net, err := nn.New(desc, nn.Options{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	q, err := nn.Quantize(net)
	if err != nil {
		f.Fatal(err)
	}
	var good, float bytes.Buffer
	if err := q.Encode(&good); err != nil {
		f.Fatal(err)
	}
	if err := net.Encode(&float); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add(float.Bytes())
	f.Add(safetensors(`{"0.weight":{"dtype":"I8","shape":[3],"data_offsets":[0,3]}}`, make([]byte, 3)))
	x := make([]float32, desc.Input)
	out := make([]float32, desc.Output())
	f.Fuzz(func(t *testing.T, file []byte) {
		var loaded *nn.Quantized
		var err error
		decodeBudget.Check(t, "DecodeQuantized", len(file), func() { loaded, err = nn.DecodeQuantized(desc, file) })
		if err == nil {
			if err := loaded.Predict(x, out); err != nil && !strings.Contains(err.Error(), "overflowed") {
				t.Fatalf("a decoded int8 network fails to predict: %v", err)
			}
		}
	})
}

// FuzzDecode feeds arbitrary bytes to the weights decoder: it must return
// an error or load a network, never panic, never take more time or
// allocate more than the budget for the file's size, and never change the
// network when it fails.
func FuzzDecode(f *testing.F) {
	net, err := nn.New(kernels.SeedNetwork(), nn.Options{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	var good bytes.Buffer
	if err := net.Encode(&good); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	torch, err := os.ReadFile("testdata/torch_digits.safetensors")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(torch)
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '})
	f.Add(safetensors(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Fuzz(func(t *testing.T, file []byte) {
		before := append([]float32(nil), net.Params()...)
		var err error
		decodeBudget.Check(t, "Decode", len(file), func() { err = net.Decode(file) })
		if err != nil {
			for i, v := range net.Params() {
				if v != before[i] {
					t.Fatalf("a failed decode changed parameter %d", i)
				}
			}
		}
		decodeBudget.Check(t, "DecodeTensors", len(file), func() { nn.DecodeTensors(file) })
	})
}

// FuzzDecodeCheckpoint feeds arbitrary bytes to the checkpoint decoder,
// for a Fit with or without a plateau schedule and early stopping: it
// must return an error or restore a checkpoint whose every value is
// finite and count in range, never panic, never take more time or
// allocate more than the budget for the file's size, and never change the
// network when it fails.
func FuzzDecodeCheckpoint(f *testing.F) {
	opts := nn.Options{Seed: 1, Workers: 1, Optimizer: nn.Adam{LR: 0.01}}
	trained, err := nn.New(kernels.SeedNetwork(), opts)
	if err != nil {
		f.Fatal(err)
	}
	x, y := samples(kernels.SeedNetwork(), 12, 1)
	dir := f.TempDir()
	for _, c := range []struct{ plateau, stop bool }{{false, false}, {true, true}} {
		path := filepath.Join(dir, "c.safetensors")
		cfg := nn.FitConfig{Epochs: 2, Checkpoint: path}
		if c.plateau {
			cfg.Plateau = &nn.ReduceOnPlateau{}
		}
		if c.stop {
			cfg.EarlyStopping = &nn.EarlyStopping{Patience: 5}
		}
		if _, err := trained.Fit(x, y, cfg); err != nil {
			f.Fatal(err)
		}
		file, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(file, c.plateau, c.stop)
	}
	net, err := nn.New(kernels.SeedNetwork(), opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, file []byte, plateau, stop bool) {
		before := slices.Clone(net.Params())
		m, v, step := net.OptimizerState()
		m, v = slices.Clone(m), slices.Clone(v)
		var err error
		decodeBudget.Check(t, "DecodeCheckpoint", len(file), func() { _, err = net.DecodeCheckpoint(file, plateau, stop) })
		nowM, nowV, nowStep := net.OptimizerState()
		if err != nil {
			if !slices.Equal(before, net.Params()) || !slices.Equal(m, nowM) || !slices.Equal(v, nowV) || step != nowStep {
				t.Fatalf("a failed decode changed the network: %v", err)
			}
			return
		}
		for _, values := range [][]float32{net.Params(), nowM, nowV} {
			if i := slices.IndexFunc(values, func(v float32) bool { return v-v != 0 }); i >= 0 {
				t.Fatalf("restored a value %v", values[i])
			}
		}
		if nowStep < 0 || nowStep > 1<<53 {
			t.Fatalf("restored step %d", nowStep)
		}
	})
}
