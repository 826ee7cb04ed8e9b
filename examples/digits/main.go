// Command digits trains spec/digits.yaml (64 → 32 tanh → 10 softmax) on the
// UCI optical digits set that package dataset embeds: 1,438 images to train
// on and 359 held out to test. Its output is the same for any -workers;
// it runs on one by default.
package main

import (
	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/examples/internal/train"
	"github.com/vecgen/vecgen/kernels"
)

func main() {
	flags := train.Flags{Epochs: 30, LR: 0.01, Optimizer: "adam", Seed: 1, Workers: 1}
	train.Main(flags, kernels.DigitsNetwork(), func() (dataset.Set, dataset.Set, error) {
		return dataset.Digits().Split(0.2, 1)
	})
}
