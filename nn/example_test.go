package nn_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// The whole use: a package vecgen generated (here kernels, from
// spec/digits.yaml) provides the descriptor; nn builds the network, fits it,
// predicts and saves the weights in PyTorch's layout.
func Example() {
	train, test, err := dataset.Digits().Split(0.2, 1)
	if err != nil {
		panic(err)
	}

	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1, Workers: 1, Optimizer: nn.Adam{LR: 0.01}})
	if err != nil {
		panic(err)
	}
	if _, err := net.Fit(train.X, train.OneHot(), nn.FitConfig{Epochs: 20, Schedule: nn.CosineDecay(0.01, 20)}); err != nil {
		panic(err)
	}
	m, err := net.Evaluate(test.X, test.OneHot())
	if err != nil {
		panic(err)
	}
	fmt.Printf("test accuracy above 0.95: %v\n", m.Accuracy > 0.95)

	classes := make([]int, 5)
	if err := net.Classify(test.X[:5*64], classes); err != nil {
		panic(err)
	}
	fmt.Println("predicted:", classes)
	fmt.Println("labels:   ", test.Labels[:5])

	dir, err := os.MkdirTemp("", "digits")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := net.Save(filepath.Join(dir, "digits.safetensors")); err != nil {
		panic(err)
	}
	// Output:
	// test accuracy above 0.95: true
	// predicted: [0 6 0 1 7]
	// labels:    [0 6 0 1 7]
}
