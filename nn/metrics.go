package nn

import (
	"fmt"
	"math"
	"strings"
)

// Confusion is a confusion matrix: Counts[t][p] samples of true class t
// were predicted as class p.
type Confusion struct {
	Counts [][]int
}

// NewConfusion counts predicted against true classes, both in [0, classes).
func NewConfusion(predicted, truth []int, classes int) (Confusion, error) {
	if len(predicted) != len(truth) {
		return Confusion{}, fmt.Errorf("nn: %d predictions for %d labels", len(predicted), len(truth))
	}
	if classes < 1 {
		return Confusion{}, fmt.Errorf("nn: %d classes", classes)
	}
	c := Confusion{Counts: make([][]int, classes)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, classes)
	}
	for i, t := range truth {
		p := predicted[i]
		if t < 0 || t >= classes {
			return Confusion{}, fmt.Errorf("nn: sample %d: label %d is not a class from 0 to %d", i, t, classes-1)
		}
		if p < 0 || p >= classes {
			return Confusion{}, fmt.Errorf("nn: sample %d: predicted class %d is not a class from 0 to %d", i, p, classes-1)
		}
		c.Counts[t][p]++
	}
	return c, nil
}

// ClassMetrics are one class's precision, recall and F1 and its number of
// true samples (Support). A ratio with nothing to divide by is 0, as
// scikit-learn's zero_division=0.
type ClassMetrics struct {
	Precision, Recall, F1 float64
	Support               int
}

// PerClass returns each class's precision, recall and F1.
func (c Confusion) PerClass() []ClassMetrics {
	out := make([]ClassMetrics, len(c.Counts))
	for k := range c.Counts {
		tp := c.Counts[k][k]
		predicted, actual := 0, 0
		for j := range c.Counts {
			predicted += c.Counts[j][k]
			actual += c.Counts[k][j]
		}
		m := ClassMetrics{Support: actual, Precision: ratio(tp, predicted), Recall: ratio(tp, actual)}
		if m.Precision+m.Recall > 0 {
			m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
		}
		out[k] = m
	}
	return out
}

// Accuracy is the fraction of samples on the diagonal.
func (c Confusion) Accuracy() float64 {
	right, all := 0, 0
	for t, row := range c.Counts {
		for p, n := range row {
			all += n
			if p == t {
				right += n
			}
		}
	}
	return ratio(right, all)
}

// MacroF1 is the unweighted mean of the classes' F1.
func (c Confusion) MacroF1() float64 {
	var sum float64
	per := c.PerClass()
	for _, m := range per {
		sum += m.F1
	}
	return sum / float64(len(per))
}

// String is the matrix (rows true, columns predicted) then a line per
// class with precision, recall, F1 and support.
func (c Confusion) String() string {
	var b strings.Builder
	b.WriteString("true\\pred")
	for p := range c.Counts {
		fmt.Fprintf(&b, " %6d", p)
	}
	b.WriteByte('\n')
	for t, row := range c.Counts {
		fmt.Fprintf(&b, "%9d", t)
		for _, n := range row {
			fmt.Fprintf(&b, " %6d", n)
		}
		b.WriteByte('\n')
	}
	b.WriteString("class precision recall     f1 support\n")
	for k, m := range c.PerClass() {
		fmt.Fprintf(&b, "%5d %9.4f %6.4f %6.4f %7d\n", k, m.Precision, m.Recall, m.F1, m.Support)
	}
	fmt.Fprintf(&b, "accuracy %.4f, macro F1 %.4f\n", c.Accuracy(), c.MacroF1())
	return b.String()
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ConfusionOf classifies x with the network (see Classify) and counts the
// predictions against labels. The number of classes is the output width,
// or 2 for a single sigmoid output.
func (n *Network) ConfusionOf(x []float32, labels []int) (Confusion, error) {
	return confusionOf(n, x, labels)
}

func confusionOf(p predictor, x []float32, labels []int) (Confusion, error) {
	d := p.shape()
	pred := make([]int, len(labels))
	count, err := rows("x", x, d.Input)
	if err != nil {
		return Confusion{}, err
	}
	if count != len(labels) {
		return Confusion{}, fmt.Errorf("nn: x holds %d samples, labels has %d; give one per sample", count, len(labels))
	}
	if err := classify(p, x, pred); err != nil {
		return Confusion{}, err
	}
	return NewConfusion(pred, labels, max(d.Output(), 2))
}

// Regression holds regression metrics per output: R² (the coefficient of
// determination, 1 − SSres/SStot; 0 when the targets do not vary and the
// fit is not exact) and the mean absolute error.
type Regression struct {
	R2, MAE []float64
}

// RegressionMetrics computes R² and MAE of predictions against targets,
// both rows of width values, in float64.
func RegressionMetrics(pred, target []float32, width int) (Regression, error) {
	if width < 1 || len(pred) != len(target) || len(pred) == 0 || len(pred)%width != 0 {
		return Regression{}, fmt.Errorf("nn: %d predictions and %d targets are not rows of %d", len(pred), len(target), width)
	}
	rowsN := len(pred) / width
	r := Regression{R2: make([]float64, width), MAE: make([]float64, width)}
	for j := range width {
		var mean float64
		for i := range rowsN {
			mean += float64(target[i*width+j])
		}
		mean /= float64(rowsN)
		var res, tot, abs float64
		for i := range rowsN {
			t, p := float64(target[i*width+j]), float64(pred[i*width+j])
			res += (t - p) * (t - p)
			tot += (t - mean) * (t - mean)
			abs += math.Abs(t - p)
		}
		r.MAE[j] = abs / float64(rowsN)
		switch {
		case tot > 0:
			r.R2[j] = 1 - res/tot
		case res == 0:
			r.R2[j] = 1
		}
	}
	return r, nil
}

// RegressionOf predicts x and returns the metrics against targets y.
func (n *Network) RegressionOf(x, y []float32) (Regression, error) { return regressionOf(n, x, y) }

func regressionOf(p predictor, x, y []float32) (Regression, error) {
	d := p.shape()
	count, err := checkData(d, x, y)
	if err != nil {
		return Regression{}, err
	}
	out := make([]float32, count*d.Output())
	if err := p.Predict(x, out); err != nil {
		return Regression{}, err
	}
	return RegressionMetrics(out, y, d.Output())
}
