package nn_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/vecgen/vecgen/internal/alloctest"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// FuzzDecode feeds arbitrary bytes to the weights decoder: it must return
// an error or load a network, never panic, never allocate more than the
// budget for the file's size, and never change the network when it fails.
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
		if alloc := alloctest.Allocated(func() { err = net.Decode(file) }); alloc > decodeBudget(len(file)) {
			t.Fatalf("Decode allocated %d bytes for a file of %d", alloc, len(file))
		}
		if err != nil {
			for i, v := range net.Params() {
				if v != before[i] {
					t.Fatalf("a failed decode changed parameter %d", i)
				}
			}
		}
		if alloc := alloctest.Allocated(func() { nn.DecodeTensors(file) }); alloc > decodeBudget(len(file)) {
			t.Fatalf("DecodeTensors allocated %d bytes for a file of %d", alloc, len(file))
		}
	})
}
