package nn_test

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// TestConcurrentReaders runs at once, on one network, every method
// Network's doc allows to run concurrently: the metadata's setter and
// getter beside the encoders (SetMetadata during Save crashed the process:
// concurrent map iteration and map write) and the predictions. make
// test-race runs it under the race detector, which checks the contract.
func TestConcurrentReaders(t *testing.T) {
	desc := kernels.DigitsNetwork()
	net, err := nn.New(desc, nn.Options{Seed: 1, Workers: 2, Optimizer: nn.Adam{LR: 0.01}})
	require.NoError(t, err)
	dir := t.TempDir()
	x, y := samples(desc, 40, 1)
	calls := []func(i int) error{
		func(i int) error { return net.SetMetadata(fmt.Sprint("k", i%7), fmt.Sprint(i)) },
		func(i int) error { _ = net.Metadata(); return nil },
		func(i int) error { return net.Encode(io.Discard) },
		func(i int) error { return net.Save(filepath.Join(dir, "w.safetensors")) },
		func(i int) error { return net.SaveCheckpoint(filepath.Join(dir, "c.safetensors"), i) },
		func(i int) error { return net.ExportONNX(&bytes.Buffer{}) },
		func(i int) error { return net.Predict(x, make([]float32, 40*desc.Output())) },
		func(i int) error { return net.Classify(x, make([]int, 40)) },
		func(i int) error { _, err := net.Evaluate(x, y); return err },
		func(i int) error { _ = net.Summary(); return nil },
	}
	var wg sync.WaitGroup
	for _, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				if err := call(i); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
