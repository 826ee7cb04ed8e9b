package nn_test

import (
	"fmt"
	"testing"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// BenchmarkTrainStep is one step of spec/fashion.yaml on a full step
// (Workers × 64 samples): forward, backward, the reduction and the update,
// with plain SGD and with Adam.
func BenchmarkTrainStep(b *testing.B) {
	optimizers := []struct {
		name string
		opt  nn.Optimizer
	}{{"sgd", nn.SGD{LR: 1e-3}}, {"adam", nn.Adam{LR: 1e-3}}}
	for _, o := range optimizers {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", o.name, workers), func(b *testing.B) {
				trainSteps(b, workers, o.opt)
			})
		}
	}
}

func trainSteps(b *testing.B, workers int, opt nn.Optimizer) {
	desc := kernels.FashionNetwork()
	net, err := nn.New(desc, nn.Options{Workers: workers, Optimizer: opt})
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
}

// BenchmarkPredict is spec/fashion.yaml's forward pass on one batch.
func BenchmarkPredict(b *testing.B) { predict(b, kernels.FashionNetwork()) }

// BenchmarkPredictOne is the forward pass of one sample through
// spec/fashion1.yaml, the batch-1 twin: serving latency.
func BenchmarkPredictOne(b *testing.B) { predict(b, kernels.Fashion1Network()) }

func predict(b *testing.B, desc compiled.Network) {
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
