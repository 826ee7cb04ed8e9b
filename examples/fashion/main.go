// Command fashion trains spec/fashion.yaml (784 → 256 relu → 128 relu → 10
// softmax) on Fashion-MNIST's 60,000 training images and reports the
// accuracy on its 10,000 test images. The data comes from -data, by
// default where Debian's dataset-fashion-mnist package installs it.
package main

import (
	"flag"

	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/examples/internal/train"
	"github.com/vecgen/vecgen/kernels"
)

func main() {
	dir := flag.String("data", "/usr/share/datasets/fashion-mnist", "directory of the Fashion-MNIST IDX files")
	flags := train.Flags{Epochs: 20, LR: 0.001, Optimizer: "adam", Seed: 1}
	train.Main(flags, kernels.FashionNetwork(), func() (dataset.Set, dataset.Set, error) {
		return dataset.FashionMNIST(*dir)
	})
}
