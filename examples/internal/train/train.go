// Package train is the command line the examples share: flags for the
// optimizer, seed and workers, a Fit with per-epoch lines, the test
// accuracy, and optionally the weights (-save), a CSV log (-log), a plot
// of the curves (-plot), a checkpoint after every epoch (-checkpoint) and
// a resumed run (-resume).
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
	"github.com/vecgen/vecgen/nn/curves"
)

// Flags are the options every example takes.
type Flags struct {
	Epochs    int
	LR        float64
	Optimizer string
	Seed      uint64
	Workers   int
	StepSize  int // samples per optimizer step; 0 is the spec's batch
	Save      string
	Plot      string // loss/accuracy curves, PNG or SVG
	Log       string // one CSV row per epoch
	// Checkpoint is rewritten after every epoch; Resume continues the run
	// a checkpoint recorded (they may name the same file).
	Checkpoint, Resume string
	StopAfter          int  // stop after this epoch, as if interrupted; 0 runs them all
	Int8               bool // also report the test accuracy of the network quantized to int8
}

// Register defines the flags on fs with the given defaults.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.IntVar(&f.Epochs, "epochs", f.Epochs, "passes over the training set")
	fs.Float64Var(&f.LR, "lr", f.LR, "learning rate of the first epoch, decayed to 0 on a cosine")
	fs.StringVar(&f.Optimizer, "optimizer", f.Optimizer, "sgd, momentum, nesterov, adam or adamw")
	fs.Uint64Var(&f.Seed, "seed", f.Seed, "seed of the initial weights and the shuffling")
	fs.IntVar(&f.Workers, "workers", f.Workers, "goroutines sharing a step's tiles (0: GOMAXPROCS); changes the speed, not the result")
	fs.IntVar(&f.StepSize, "step-size", f.StepSize, "samples per optimizer step (0: the spec's batch)")
	fs.StringVar(&f.Save, "save", f.Save, "write the trained weights to this safetensors file")
	fs.StringVar(&f.Plot, "plot", f.Plot, "draw the loss and accuracy per epoch to this `file` (.png or .svg)")
	fs.StringVar(&f.Log, "log", f.Log, "write one CSV row per epoch to this `file`")
	fs.StringVar(&f.Checkpoint, "checkpoint", f.Checkpoint, "rewrite this `file` after every epoch with what resuming needs")
	fs.StringVar(&f.Resume, "resume", f.Resume, "continue the run this checkpoint `file` recorded, with the same flags but a larger -epochs if it finished (another optimizer, rate or step size is refused)")
	fs.IntVar(&f.StopAfter, "stop-after", f.StopAfter, "stop after this epoch (continue later with -resume)")
	fs.BoolVar(&f.Int8, "int8", f.Int8, "quantize the trained network to int8 (nn.Quantize) and print its test accuracy too")
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
// line per epoch to out and then the line "test accuracy: 0.XXXX", and
// with f.Int8 the line "int8 test accuracy: 0.XXXX" of the network
// quantized to int8.
func Run(desc compiled.Network, f Flags, train, test dataset.Set, out io.Writer) error {
	opt, err := f.Rule()
	if err != nil {
		return err
	}
	net, err := nn.New(desc, nn.Options{Seed: f.Seed, Workers: f.Workers, StepSize: f.StepSize, Optimizer: opt})
	if err != nil {
		return err
	}
	workers := "workers"
	if net.Workers() == 1 {
		workers = "worker"
	}
	fmt.Fprintf(out, "%s: %d training and %d test samples, %s, steps of %d, %d %s\n",
		desc.Name, train.Len(), test.Len(), f.Optimizer, net.StepSize(), net.Workers(), workers)
	testY, err := test.TargetsFor(desc)
	if err != nil {
		return err
	}
	trainY, err := train.TargetsFor(desc)
	if err != nil {
		return err
	}
	cfg := nn.FitConfig{Epochs: f.Epochs, ValX: test.X, ValY: testY, Progress: out,
		Schedule: nn.CosineDecay(float32(f.LR), f.Epochs), Checkpoint: f.Checkpoint, Resume: f.Resume}
	if f.StopAfter > 0 {
		cfg.OnEpoch = func(e nn.Epoch) bool { return e.Epoch < f.StopAfter }
	}
	history, err := net.Fit(train.X, trainY, cfg)
	if err != nil {
		return err
	}
	if f.Log != "" {
		if err := writeLog(f.Log, history); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s\n", f.Log)
	}
	if f.Plot != "" && len(history) > 0 {
		if err := curves.Save(f.Plot, history); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s\n", f.Plot)
	}
	m, err := net.Evaluate(test.X, testY)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "test accuracy: %.4f\n", m.Accuracy)
	if f.Int8 {
		q, err := nn.Quantize(net)
		if err != nil {
			return err
		}
		m, err := q.Evaluate(test.X, testY)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "int8 test accuracy: %.4f\n", m.Accuracy)
	}
	if f.Save != "" {
		if err := net.Save(f.Save); err != nil {
			return err
		}
		fmt.Fprintf(out, "saved %s\n", f.Save)
	}
	return nil
}

// writeLog writes history as CSV to path.
func writeLog(path string, history []nn.Epoch) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := curves.WriteCSV(file, history); err != nil {
		file.Close()
		return err
	}
	return file.Close()
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
