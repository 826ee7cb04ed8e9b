// Package train is the command line the examples share: flags for the
// optimizer, seed and workers, a Fit with per-epoch lines, the test
// accuracy, and an optional save.
package train

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/nn"
)

// Flags are the options every example takes.
type Flags struct {
	Epochs    int
	LR        float64
	Optimizer string
	Seed      uint64
	Workers   int
	Save      string
}

// Register defines the flags on fs with the given defaults.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.IntVar(&f.Epochs, "epochs", f.Epochs, "passes over the training set")
	fs.Float64Var(&f.LR, "lr", f.LR, "learning rate of the first epoch, decayed to 0 on a cosine")
	fs.StringVar(&f.Optimizer, "optimizer", f.Optimizer, "sgd, momentum, nesterov, adam or adamw")
	fs.Uint64Var(&f.Seed, "seed", f.Seed, "seed of the initial weights and the shuffling")
	fs.IntVar(&f.Workers, "workers", f.Workers, "goroutines per step (0: GOMAXPROCS)")
	fs.StringVar(&f.Save, "save", f.Save, "write the trained weights to this safetensors file")
}

// Rule returns the update rule the flags name.
func (f *Flags) Rule() (nn.Optimizer, error) {
	lr := float32(f.LR)
	switch strings.ToLower(f.Optimizer) {
	case "sgd":
		return nn.SGD{LR: lr}, nil
	case "momentum":
		return nn.SGD{LR: lr, Momentum: 0.9}, nil
	case "nesterov":
		return nn.SGD{LR: lr, Momentum: 0.9, Nesterov: true}, nil
	case "adam":
		return nn.Adam{LR: lr}, nil
	case "adamw":
		return nn.AdamW{LR: lr}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (want sgd, momentum, nesterov, adam or adamw)", f.Optimizer)
}

// Run trains desc on train, validating on test after each epoch, prints a
// line per epoch to out and ends with the line "test accuracy: 0.XXXX".
func Run(desc compiled.Network, f Flags, train, test dataset.Set, out io.Writer) error {
	opt, err := f.Rule()
	if err != nil {
		return err
	}
	net, err := nn.New(desc, nn.Options{Seed: f.Seed, Workers: f.Workers, Optimizer: opt})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d training and %d test samples, %s, %d workers\n",
		desc.Name, train.Len(), test.Len(), f.Optimizer, net.Workers())
	testY := test.OneHot()
	cfg := nn.FitConfig{Epochs: f.Epochs, ValX: test.X, ValY: testY, Progress: out,
		Schedule: nn.CosineDecay(float32(f.LR), f.Epochs)}
	if _, err := net.Fit(train.X, train.OneHot(), cfg); err != nil {
		return err
	}
	m, err := net.Evaluate(test.X, testY)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "test accuracy: %.4f\n", m.Accuracy)
	if f.Save != "" {
		if err := net.Save(f.Save); err != nil {
			return err
		}
		fmt.Fprintf(out, "saved %s\n", f.Save)
	}
	return nil
}

// Main runs an example: parses the flags, loads the data, runs, and exits
// 1 with a one-line error on failure.
func Main(f Flags, desc compiled.Network, data func() (train, test dataset.Set, err error)) {
	f.Register(flag.CommandLine)
	flag.Parse()
	train, test, err := data()
	if err == nil {
		err = Run(desc, f, train, test, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
