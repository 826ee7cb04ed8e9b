// Command regression trains spec/scorer.yaml (12 features → 1 value, mse)
// to predict a price in thousands from twelve features, with both the
// features and the target standardized by the training set's statistics,
// and reports R² and the mean absolute error in the target's own units:
// the network's outputs are standardized prices, which the target's
// Standardizer turns back into thousands (Invert).
//
// The data is synthetic (the generator is below, so that the example
// needs no download): a price of about 300 thousand, linear in some
// features, curved in others, with noise of 5 thousand.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"slices"

	"github.com/vecgen/vecgen/dataset"
	model "github.com/vecgen/vecgen/kernels" // your package, generated from your spec
	"github.com/vecgen/vecgen/nn"
)

func main() {
	epochs := flag.Int("epochs", 60, "passes over the training set")
	flag.Parse()
	r, err := run(*epochs, os.Stdout)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("test R² %.3f, mean absolute error %.2f thousand\n", r.R2[0], r.MAE[0])
}

// run trains on prices and returns the test set's metrics in thousands.
func run(epochs int, progress io.Writer) (nn.Regression, error) {
	train, test := prices(2000, 1), prices(500, 2)
	features, err := dataset.FitStandardizer(train.X, train.Features)
	if err != nil {
		return nn.Regression{}, err
	}
	target, err := dataset.FitStandardizer(train.Y, train.Targets) // the target scaler
	if err != nil {
		return nn.Regression{}, err
	}
	if err := features.Apply(train.X, test.X); err != nil {
		return nn.Regression{}, err
	}
	trainY := slices.Clone(train.Y) // test.Y stays in thousands
	if err := target.Apply(trainY); err != nil {
		return nn.Regression{}, err
	}
	net, err := nn.New(model.ScorerNetwork(), nn.Options{Seed: 1, Optimizer: nn.Adam{LR: 0.003}})
	if err != nil {
		return nn.Regression{}, err
	}
	if _, err := net.Fit(train.X, trainY, nn.FitConfig{Epochs: epochs, Schedule: nn.CosineDecay(0.003, epochs), Progress: progress}); err != nil {
		return nn.Regression{}, err
	}
	pred := make([]float32, test.Len())
	if err := net.Predict(test.X, pred); err != nil {
		return nn.Regression{}, err
	}
	if err := target.Invert(pred); err != nil { // standardized prices back to thousands
		return nn.Regression{}, err
	}
	return nn.RegressionMetrics(pred, test.Y, 1)
}

// prices is n samples of the synthetic price data, from seed.
func prices(n int, seed uint64) dataset.Set {
	r := rand.New(rand.NewPCG(seed, 7))
	s := dataset.Set{Features: 12, Targets: 1}
	for range n {
		var x [12]float32
		for j := range x {
			x[j] = float32(r.NormFloat64())
		}
		// Features in their own scales: a surface in m², rooms, an age in
		// years, and nine others.
		x[0] = 60 + 40*x[0]*x[0]
		x[1] = float32(math.Round(float64(3 + x[1])))
		x[2] = 30 + 15*x[2]
		price := 300 + 2*(x[0]-100) + 15*x[1] - 1.5*x[2] + 20*float32(math.Sin(float64(x[3]))) + 10*x[4]*x[5] + 5*float32(r.NormFloat64())
		s.X = append(s.X, x[:]...)
		s.Y = append(s.Y, price)
	}
	return s
}
