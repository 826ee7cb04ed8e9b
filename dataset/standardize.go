package dataset

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/internal/strictjson"
)

// Standardizer maps each feature to (x − Mean)/Std. Fit it on the
// training set only, then apply it to the training set, the test set and
// every sample served. Its String form is what nn.Network.SetMetadata
// stores in the weights file, so the served model needs that one file:
//
//	st, _ := dataset.FitStandardizer(train.X, train.Features)
//	net.SetMetadata(dataset.StandardizerKey, st.String())
//	...
//	st, _ := dataset.ParseStandardizer(net.Metadata()[dataset.StandardizerKey])
type Standardizer struct {
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"` // 1 for a constant feature
}

// StandardizerKey is the metadata key the examples store a Standardizer
// under.
const StandardizerKey = "standardizer"

// MinStd is the smallest deviation a Standardizer takes: the smallest
// float32 whose reciprocal is finite (just above 2⁻¹²⁸), below which a
// feature one unit from its mean would standardize to infinity.
const MinStd float32 = 0x1p-128 + 0x1p-149

// FitStandardizer computes each feature's mean and standard deviation
// (the population's, as scikit-learn's StandardScaler) over the samples x
// of features values each, in float64. A feature with no spread, or less
// than MinStd, gets Std 1.
func FitStandardizer(x []float32, features int) (Standardizer, error) {
	if features <= 0 || len(x) == 0 || len(x)%features != 0 {
		return Standardizer{}, fmt.Errorf("dataset: %d values are not one or more samples of %d features", len(x), features)
	}
	n := len(x) / features
	mean := make([]float64, features)
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Standardizer{}, fmt.Errorf("dataset: sample %d: feature %d is %v", i/features, i%features, v)
		}
		mean[i%features] += float64(v)
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	sq := make([]float64, features)
	for i, v := range x {
		d := float64(v) - mean[i%features]
		sq[i%features] += d * d
	}
	st := Standardizer{Mean: make([]float32, features), Std: make([]float32, features)}
	for j := range mean {
		st.Mean[j] = float32(mean[j])
		sd := float32(math.Sqrt(sq[j] / float64(n)))
		if !(sd >= MinStd) {
			sd = 1
		}
		st.Std[j] = sd
	}
	return st, nil
}

// Apply standardizes the samples in each of xs in place (the training,
// validation and test sets in one call, say): x[i] = (x[i] − Mean[j]) /
// Std[j] for feature j. A value whose result is not finite (a NaN, or a
// deviation so far beyond a tiny Std that it overflows float32) is an
// error naming it, and every x is then left as it was.
func (s Standardizer) Apply(xs ...[]float32) error {
	f := len(s.Mean)
	for k, x := range xs {
		of := ""
		if len(xs) > 1 {
			of = fmt.Sprintf("set %d: ", k)
		}
		if f == 0 || len(s.Std) != f || len(x)%f != 0 {
			return fmt.Errorf("dataset: %s%d values are not samples of the standardizer's %d features", of, len(x), f)
		}
		for i, v := range x {
			j := i % f
			if z := (v - s.Mean[j]) / s.Std[j]; math.IsNaN(float64(z)) || math.IsInf(float64(z), 0) {
				return fmt.Errorf("dataset: %ssample %d, feature %d: (%v − mean %v) / std %v is not finite", of, i/f, j, v, s.Mean[j], s.Std[j])
			}
		}
	}
	for _, x := range xs {
		for i := range x {
			x[i] = (x[i] - s.Mean[i%f]) / s.Std[i%f]
		}
	}
	return nil
}

// Invert undoes Apply in place: x[i] = x[i]·Std[j] + Mean[j] for feature
// j, so that a model trained on standardized targets predicts in the
// targets' units. A result that is not finite is an error naming it, and
// x is then left as it was.
func (s Standardizer) Invert(x []float32) error {
	f := len(s.Mean)
	if f == 0 || len(s.Std) != f || len(x)%f != 0 {
		return fmt.Errorf("dataset: %d values are not samples of the standardizer's %d features", len(x), f)
	}
	for i, v := range x {
		j := i % f
		if y := v*s.Std[j] + s.Mean[j]; math.IsNaN(float64(y)) || math.IsInf(float64(y), 0) {
			return fmt.Errorf("dataset: sample %d, feature %d: %v · std %v + mean %v is not finite", i/f, j, v, s.Std[j], s.Mean[j])
		}
	}
	for i := range x {
		x[i] = x[i]*s.Std[i%f] + s.Mean[i%f]
	}
	return nil
}

// String encodes the standardizer as JSON; ParseStandardizer reads it
// back exactly.
func (s Standardizer) String() string {
	b, _ := json.Marshal(s) // float32 values are finite: Marshal cannot fail
	return string(b)
}

// ParseStandardizer decodes String's form as strictly as the Python
// reader in the README sees it (json.loads, then st["mean"]): the keys
// "mean" and "std" exactly, each once, and no other; as many means as
// deviations, every mean finite and every deviation finite and at least
// MinStd, as FitStandardizer gives them.
func ParseStandardizer(text string) (Standardizer, error) {
	var s Standardizer
	if err := strictjson.Unmarshal([]byte(text), &s); err != nil {
		return Standardizer{}, fmt.Errorf("dataset: standardizer: %w", err)
	}
	if len(s.Mean) == 0 || len(s.Mean) != len(s.Std) {
		return Standardizer{}, fmt.Errorf("dataset: standardizer has %d means and %d deviations", len(s.Mean), len(s.Std))
	}
	for j := range s.Std {
		if !(s.Std[j] >= MinStd) || math.IsInf(float64(s.Std[j]), 0) {
			return Standardizer{}, fmt.Errorf("dataset: standardizer: feature %d has deviation %v; a deviation must be finite and at least %v (MinStd), as FitStandardizer gives", j, s.Std[j], MinStd)
		}
	}
	return s, nil
}

// TargetsFor returns the targets a model with descriptor desc trains on,
// checked against its input width, its loss and its output width: one-hot
// rows of Classes == Output for cross-entropy; for binary cross-entropy
// with one output, labels that are 0 or 1; for mse, Y with Targets ==
// Output. Each error says what to change: the set or the model.
func (s Set) TargetsFor(desc compiled.Network) ([]float32, error) {
	out := desc.Output()
	if s.Features != desc.Input {
		return nil, fmt.Errorf("dataset: the set has %d features per sample; %s takes %d (its spec's input)", s.Features, desc.Name, desc.Input)
	}
	switch {
	case desc.Loss == compiled.MSE:
		if s.Y == nil || s.Targets != out {
			return nil, fmt.Errorf("dataset: %s (mse) needs %d numeric targets per sample; the set has %d (read them with CSVOptions.Regression)", desc.Name, out, s.Targets)
		}
		return s.Y, nil
	case s.Labels == nil:
		return nil, fmt.Errorf("dataset: %s (%s) needs class labels; the set has none", desc.Name, desc.Loss)
	case desc.Loss == compiled.BinaryCrossEntropy && out == 1:
		return s.Binary()
	case desc.Loss == compiled.BinaryCrossEntropy:
		return nil, fmt.Errorf("dataset: %s (%s) has %d outputs, each its own 0/1 target; a class label is one per sample (read %d targets with CSVOptions.Regression)", desc.Name, desc.Loss, out, out)
	case s.Classes > out:
		return nil, fmt.Errorf("dataset: %s (%s) has %d outputs; the set has %d classes: train a model whose last layer has %d outputs (its spec's last dense width)", desc.Name, desc.Loss, out, s.Classes, s.Classes)
	case s.Classes < out:
		return nil, fmt.Errorf("dataset: %s (%s) has %d outputs; the set has %d classes: if the file lacks the last classes, set CSVOptions.Classes to %d", desc.Name, desc.Loss, out, s.Classes, out)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return s.OneHot(), nil
}
