package nn_test

import (
	"fmt"
	"testing"

	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// BenchmarkTrainStep is one Adam step of spec/fashion.yaml on a full step
// (Workers × 64 samples): forward, backward, the reduction and the update.
func BenchmarkTrainStep(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			desc := kernels.FashionNetwork()
			net, err := nn.New(desc, nn.Options{Workers: workers, Optimizer: nn.Adam{LR: 1e-3}})
			if err != nil {
				b.Fatal(err)
			}
			x, y := samples(desc, net.StepSize(), 1)
			for b.Loop() {
				if _, err := net.TrainStep(x, y); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(net.StepSize())*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkPredict is spec/fashion.yaml's forward pass on one batch.
func BenchmarkPredict(b *testing.B) {
	desc := kernels.FashionNetwork()
	net, err := nn.New(desc, nn.Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	x, _ := samples(desc, desc.Batch, 1)
	out := make([]float32, desc.Batch*desc.Output())
	for b.Loop() {
		if err := net.Predict(x, out); err != nil {
			b.Fatal(err)
		}
	}
}
