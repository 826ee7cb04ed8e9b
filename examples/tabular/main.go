// Command tabular is the README's CSV classifier, as written there: it
// trains spec/digits.yaml (64 → 32 tanh → 10 softmax) on a CSV file with a
// header row and the class in column "class", reports on a held-out test
// set, saves the network with its standardizer, then loads it as a server
// would and classifies the file's first row.
//
//	go run ./examples/tabular -csv digits.csv
//
// Without -csv it writes the UCI digits that package dataset embeds to a
// CSV file first, so that it runs as it is.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vecgen/vecgen/dataset"
	model "github.com/vecgen/vecgen/kernels" // your package, generated from your spec
	"github.com/vecgen/vecgen/nn"
)

func main() {
	csvPath := flag.String("csv", "", "the CSV `file` (a header row; the class in column \"class\"); default: the UCI digits")
	out := flag.String("out", "tabular.safetensors", "where to save the network")
	flag.Parse()
	if *csvPath == "" {
		*csvPath = filepath.Join(os.TempDir(), "digits.csv")
		if err := writeDigits(*csvPath); err != nil {
			log.Fatal(err)
		}
	}
	if err := train(*csvPath, *out); err != nil {
		log.Fatal(err)
	}
	data, err := dataset.LoadCSV(*csvPath, dataset.CSVOptions{Header: true, Target: []string{"class"}})
	if err != nil {
		log.Fatal(err)
	}
	class, err := serve(*out, data.X[:data.Features])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("the first row is class %d (labelled %d)\n", class, data.Labels[0])
}

// README: tabular

// train fits a classifier to the CSV file at path and saves it to out.
func train(path, out string) error {
	data, err := dataset.LoadCSV(path, dataset.CSVOptions{Header: true, Target: []string{"class"}})
	if err != nil {
		return err
	}
	rest, test, err := data.StratifiedSplit(0.2, 1) // hold out a test set,
	if err != nil {
		return err
	}
	train, val, err := rest.StratifiedSplit(0.2, 2) // and a validation set for early stopping
	if err != nil {
		return err
	}
	st, err := dataset.FitStandardizer(train.X, train.Features) // the training set's statistics only
	if err != nil {
		return err
	}
	if err := st.Apply(train.X, val.X, test.X); err != nil {
		return err
	}
	net, err := nn.New(model.DigitsNetwork(), nn.Options{Seed: 1, Optimizer: nn.Adam{LR: 0.003}})
	if err != nil {
		return err
	}
	_, err = net.Fit(train.X, train.OneHot(), nn.FitConfig{Epochs: 200, ValX: val.X, ValY: val.OneHot(),
		EarlyStopping: &nn.EarlyStopping{Patience: 10}, Progress: os.Stdout})
	if err != nil {
		return err
	}
	report, err := net.ConfusionOf(test.X, test.Labels) // accuracy, precision, recall and F1 per class
	if err != nil {
		return err
	}
	fmt.Print(report)
	if err := net.SetMetadata(dataset.StandardizerKey, st.String()); err != nil {
		return err
	}
	return net.Save(out)
}

// serve loads the network saved at path and classifies one raw row.
func serve(path string, row []float32) (int, error) {
	net, err := nn.New(model.DigitsNetwork(), nn.Options{})
	if err != nil {
		return 0, err
	}
	if err := net.Load(path); err != nil {
		return 0, err
	}
	st, err := dataset.ParseStandardizer(net.Metadata()[dataset.StandardizerKey])
	if err != nil {
		return 0, err
	}
	x := slices.Clone(row)
	if err := st.Apply(x); err != nil {
		return 0, err
	}
	class := make([]int, 1)
	err = net.Classify(x, class)
	return class[0], err
}

// README: end

// writeDigits writes the embedded UCI digits as a CSV file with a header.
func writeDigits(path string) error {
	d := dataset.Digits()
	var b strings.Builder
	for j := range d.Features {
		fmt.Fprintf(&b, "x%d,", j)
	}
	b.WriteString("class\n")
	for i := range d.Len() {
		for _, v := range d.X[i*d.Features : (i+1)*d.Features] {
			fmt.Fprintf(&b, "%g,", v)
		}
		fmt.Fprintf(&b, "%d\n", d.Labels[i])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
