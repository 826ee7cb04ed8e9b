package nn_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

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
