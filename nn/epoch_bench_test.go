package nn_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// fashionDir is where Debian's dataset-fashion-mnist installs the IDX files.
const fashionDir = "/usr/share/datasets/fashion-mnist"

// epochData is a training set: samples rows of features in x and of
// targets in y.
type epochData struct {
	x, y    []float32
	samples int
}

// fashionTrain is Fashion-MNIST's training set with spec/fashion.yaml's
// one-hot targets, loaded once per test binary: every run of -count
// shares it.
var fashionTrain = sync.OnceValues(func() (epochData, error) {
	train, _, err := dataset.FashionMNIST(fashionDir)
	if err != nil {
		return epochData{}, err
	}
	y, err := train.TargetsFor(kernels.FashionNetwork())
	return epochData{train.X, y, train.Len()}, err
})

// BenchmarkFitEpoch is one epoch of spec/fashion.yaml on Fashion-MNIST's
// 60,000 training images through Fit (shuffled, no validation, Adam at
// 1e-3, seed 1), with 1 and 2 workers: an op is an epoch of one Fit of
// b.N epochs, as users train, so Fit's checks of the data (about 17 ms)
// are shared by the epochs. Every run builds its network afresh. It skips
// when dataset-fashion-mnist is not installed (make deps installs it);
// -benchtime 2x is enough.
func BenchmarkFitEpoch(b *testing.B) {
	if _, err := os.Stat(fashionDir); err != nil {
		b.Skipf("Fashion-MNIST is not in %s: install dataset-fashion-mnist (make deps)", fashionDir)
	}
	data, err := fashionTrain()
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			net, err := nn.New(kernels.FashionNetwork(), nn.Options{Seed: 1, Workers: workers, Optimizer: nn.Adam{LR: 1e-3}})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			if _, err := net.Fit(data.x, data.y, nn.FitConfig{Epochs: b.N}); err != nil {
				b.Fatal(err)
			}
			n := data.samples
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
			b.ReportMetric(float64((n+net.StepSize()-1)/net.StepSize()), "steps/op")
		})
	}
}
