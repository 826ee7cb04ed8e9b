package nn_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/dataset"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

func TestConfusion(t *testing.T) {
	// scikit-learn: precision_recall_fscore_support([0,0,1,1,2,2], [0,1,1,1,0,2])
	// gives precision [.5, .6667, 1], recall [.5, 1, .5], F1 [.5, .8, .6667].
	c, err := nn.NewConfusion([]int{0, 1, 1, 1, 0, 2}, []int{0, 0, 1, 1, 2, 2}, 3)
	require.NoError(t, err)
	assert.Equal(t, [][]int{{1, 1, 0}, {0, 2, 0}, {1, 0, 1}}, c.Counts)
	per := c.PerClass()
	for k, want := range [][3]float64{{0.5, 0.5, 0.5}, {2.0 / 3, 1, 0.8}, {1, 0.5, 2.0 / 3}} {
		assert.InDelta(t, want[0], per[k].Precision, 1e-12, "class %d", k)
		assert.InDelta(t, want[1], per[k].Recall, 1e-12, "class %d", k)
		assert.InDelta(t, want[2], per[k].F1, 1e-12, "class %d", k)
		assert.Equal(t, 2, per[k].Support)
	}
	assert.InDelta(t, 4.0/6, c.Accuracy(), 1e-12)
	assert.Contains(t, c.String(), "accuracy 0.6667, macro F1 0.6556")
	_, err = nn.NewConfusion([]int{3}, []int{0}, 3)
	assert.ErrorContains(t, err, "sample 0: predicted class 3 is not a class from 0 to 2")
	// An empty class divides by nothing: 0, not NaN.
	c, err = nn.NewConfusion([]int{0}, []int{0}, 2)
	require.NoError(t, err)
	assert.Equal(t, nn.ClassMetrics{}, c.PerClass()[1])
}

func TestConfusionOfAgreesWithEvaluate(t *testing.T) {
	tr, te, err := dataset.Digits().Split(0.2, 1)
	require.NoError(t, err)
	net, err := nn.New(kernels.DigitsNetwork(), nn.Options{Seed: 1, Optimizer: nn.Adam{LR: 0.01}})
	require.NoError(t, err)
	_, err = net.Fit(tr.X, tr.OneHot(), nn.FitConfig{Epochs: 2})
	require.NoError(t, err)
	c, err := net.ConfusionOf(te.X, te.Labels)
	require.NoError(t, err)
	m, err := net.Evaluate(te.X, te.OneHot())
	require.NoError(t, err)
	assert.InDelta(t, m.Accuracy, c.Accuracy(), 1e-12)
}

func TestRegressionMetrics(t *testing.T) {
	// Two outputs: the first predicted with residuals ±1 around targets of
	// variance 2 (R² = 1 − 2/8), the second exactly.
	r, err := nn.RegressionMetrics([]float32{2, 5, 2, 7, 5, 9}, []float32{1, 5, 3, 7, 5, 9}, 2)
	require.NoError(t, err)
	assert.InDelta(t, 1-2.0/8, r.R2[0], 1e-12)
	assert.InDelta(t, 2.0/3, r.MAE[0], 1e-12)
	assert.Equal(t, 1.0, r.R2[1])
	assert.Equal(t, 0.0, r.MAE[1])
	_, err = nn.RegressionMetrics([]float32{1}, []float32{1, 2}, 1)
	assert.Error(t, err)

	net, err := nn.New(kernels.ScorerNetwork(), nn.Options{Seed: 1})
	require.NoError(t, err)
	x := make([]float32, 3*net.Input())
	got, err := net.RegressionOf(x, []float32{1, 2, 3})
	require.NoError(t, err)
	assert.Len(t, got.R2, 1)
}

func TestSummary(t *testing.T) {
	net, err := nn.New(kernels.FashionNetwork(), nn.Options{Workers: 1})
	require.NoError(t, err)
	want := fmt.Sprintf(`Fashion: batch 64, loss cross_entropy, %s kernels, 1 worker
layer  shape          activation      params
input  784
1      784 → 256      relu            200960
2      256 → 128      relu             32896
3      128 → 10       softmax           1290
total: 235146 parameters (940584 bytes as float32), 469898 FLOPs per sample forward
`, kernels.FashionNetwork().Tier)
	assert.Equal(t, want, net.Summary())
	assert.Equal(t, 2*(784*256+256*128+128*10)+256+128+10, net.FLOPs())
	assert.Contains(t, []string{compiled.AVX512.String(), compiled.AVX2.String(), compiled.NEON.String(), compiled.Reference.String()}, net.Desc().Tier.String())
}

// A label out of range is the truth's fault, a class out of range the
// prediction's, and each error says which.
func TestConfusionNamesWhichIsOutOfRange(t *testing.T) {
	_, err := nn.NewConfusion([]int{0, 1}, []int{0, 3}, 3)
	assert.EqualError(t, err, "nn: sample 1: label 3 is not a class from 0 to 2")
	_, err = nn.NewConfusion([]int{0, -1}, []int{0, 1}, 3)
	assert.EqualError(t, err, "nn: sample 1: predicted class -1 is not a class from 0 to 2")

	desc := kernels.DigitsNetwork()
	net, err := nn.New(desc, nn.Options{Seed: 1})
	require.NoError(t, err)
	x, _ := samples(desc, 2, 1)
	_, err = net.ConfusionOf(x, []int{0, 10})
	assert.EqualError(t, err, "nn: sample 1: label 10 is not a class from 0 to 9")
}

// Classify and ConfusionOf take exactly one slot or label per sample: more
// slots were left as class 0 without an error.
func TestClassifyShapes(t *testing.T) {
	desc := kernels.DigitsNetwork()
	net, err := nn.New(desc, nn.Options{Seed: 1})
	require.NoError(t, err)
	x, _ := samples(desc, 3, 1)
	for _, slots := range []int{2, 4} {
		assert.EqualError(t, net.Classify(x, make([]int, slots)), fmt.Sprintf("nn: x holds 3 samples, classes has %d slots; give one per sample", slots))
		_, err := net.ConfusionOf(x, make([]int, slots))
		assert.EqualError(t, err, fmt.Sprintf("nn: x holds 3 samples, labels has %d; give one per sample", slots))
	}
	assert.NoError(t, net.Classify(x, make([]int, 3)))
}
