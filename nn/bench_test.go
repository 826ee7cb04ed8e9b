package nn_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// BenchmarkTrainStep is one step of spec/fashion.yaml (forward, backward,
// the reduction and the update, with plain SGD and with Adam) over 64
// samples and over 256 (four tiles of 64, whose gradients are summed), with
// as many workers as cores: GOMAXPROCS 1 or 2.
func BenchmarkTrainStep(b *testing.B) {
	optimizers := []struct {
		name string
		opt  nn.Optimizer
	}{{"sgd", nn.SGD{LR: 1e-3}}, {"adam", nn.Adam{LR: 1e-3}}}
	shapes := []struct{ samples, procs int }{{64, 1}, {64, 2}, {256, 1}, {256, 2}}
	for _, o := range optimizers {
		for _, s := range shapes {
			b.Run(fmt.Sprintf("%s/samples=%d/procs=%d", o.name, s.samples, s.procs), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(s.procs))
				trainSteps(b, s.procs, s.samples, o.opt)
			})
		}
	}
}

// BenchmarkStepWorkers is the SGD step of 256 samples with 1 to 4 workers
// at GOMAXPROCS 1, 2 and 4 (the machine may have fewer cores: then the
// workers share them), to show how the speed-up grows with workers.
func BenchmarkStepWorkers(b *testing.B) {
	for _, procs := range []int{1, 2, 4} {
		for _, workers := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("procs=%d/workers=%d", procs, workers), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				trainSteps(b, workers, 256, nn.SGD{LR: 1e-3})
			})
		}
	}
}

// BenchmarkTrainStepWide is one SGD step of spec/wide.yaml over its
// batch of 128 samples, with 1 and 2 workers on as many cores: products
// whose w outgrows L2, computed on packed operands.
func BenchmarkTrainStepWide(b *testing.B) {
	for _, procs := range []int{1, 2} {
		b.Run(fmt.Sprintf("sgd/samples=128/procs=%d", procs), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			trainStepsOf(b, kernels.WideNetwork(), procs, 128, nn.SGD{LR: 1e-3})
		})
	}
}

func trainSteps(b *testing.B, workers, stepSize int, opt nn.Optimizer) {
	trainStepsOf(b, kernels.FashionNetwork(), workers, stepSize, opt)
}

func trainStepsOf(b *testing.B, desc compiled.Network, workers, stepSize int, opt nn.Optimizer) {
	net, err := nn.New(desc, nn.Options{Workers: workers, StepSize: stepSize, Optimizer: opt})
	if err != nil {
		b.Fatal(err)
	}
	x, y := samples(desc, net.StepSize(), 1)
	// Outside the timing: the first step's page faults on the gradients and
	// activations (about 50 MB for spec/wide.yaml) and the workers' stack
	// growth, which a run of 200 ms, ten wide steps, would average in.
	if _, err := net.TrainStep(x, y); err != nil {
		b.Fatal(err)
	}
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
// spec/testdata/fashion1.yaml, fashion at batch 1: the way one request was
// served before the serving kernels, beside BenchmarkPredictRows/rows=1.
func BenchmarkPredictOne(b *testing.B) { predict(b, kernels.Fashion1Network()) }

// BenchmarkPredictOneInt8 is the int8 forward pass of one sample through
// spec/fashion.yaml quantized (nn.Quantize), beside BenchmarkPredictOne.
func BenchmarkPredictOneInt8(b *testing.B) { predictInt8(b, kernels.FashionNetwork(), 1) }

// BenchmarkPredictInt8 is the int8 forward pass of 64 samples through
// spec/fashion.yaml quantized, beside BenchmarkPredict.
func BenchmarkPredictInt8(b *testing.B) { predictInt8(b, kernels.FashionNetwork(), 64) }

func predictInt8(b *testing.B, desc compiled.Network, rows int) {
	net, err := nn.New(desc, nn.Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	q, err := nn.Quantize(net)
	if err != nil {
		b.Fatal(err)
	}
	x, _ := samples(desc, rows, 1)
	out := make([]float32, rows*desc.Output())
	for b.Loop() {
		if err := q.Predict(x, out); err != nil {
			b.Fatal(err)
		}
	}
}

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
