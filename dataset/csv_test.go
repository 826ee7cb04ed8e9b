package dataset

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/kernels"
)

func TestCSVHeaderAndNamedTarget(t *testing.T) {
	in := "age,class,income\n30,1,2.5\n40,0,3\n"
	s, err := ReadCSVOptions(strings.NewReader(in), CSVOptions{Header: true, Target: []string{"class"}, Classes: 3})
	require.NoError(t, err)
	assert.Equal(t, []float32{30, 2.5, 40, 3}, s.X)
	assert.Equal(t, []int{1, 0}, s.Labels)
	assert.Equal(t, 2, s.Features)
	assert.Equal(t, 3, s.Classes, "the fixed count, though no row has class 2")
	assert.Equal(t, []float32{0, 1, 0, 1, 0, 0}, s.OneHot())

	_, err = ReadCSVOptions(strings.NewReader(in), CSVOptions{Header: true, Target: []string{"klass"}})
	assert.EqualError(t, err, `csv: line 1: no column named "klass" in the header`)
	_, err = ReadCSVOptions(strings.NewReader(in), CSVOptions{Header: true, Target: []string{"class"}, Classes: 1})
	assert.EqualError(t, err, `csv: line 2: label "1" is not an integer from 0 to 0`)
	_, err = ReadCSVOptions(strings.NewReader(in), CSVOptions{Target: []string{"class"}})
	assert.ErrorContains(t, err, "set Header")
	_, err = ReadCSVOptions(strings.NewReader(in), CSVOptions{TargetColumns: []int{1}})
	assert.EqualError(t, err, `csv: line 1, column 1: "age" is not a finite decimal number (if the first row names the columns, set CSVOptions.Header; if it is not part of the table, such as the count row scikit-learn's CSV files start with, set CSVOptions.SkipRows)`)
	_, err = ReadCSVOptions(strings.NewReader(in), CSVOptions{Header: true, Target: []string{"class", "age"}})
	assert.ErrorContains(t, err, "class labels take one")
}

func TestCSVRegressionTargets(t *testing.T) {
	in := "1,0.5,2,-3e-1\n4,1.5,5,7\n"
	s, err := ReadCSVOptions(strings.NewReader(in), CSVOptions{TargetColumns: []int{1, -1}, Regression: true, Scale: 2})
	require.NoError(t, err)
	assert.Equal(t, []float32{0.5, 1, 2, 2.5}, s.X, "features scaled")
	assert.Equal(t, []float32{0.5, -0.3, 1.5, 7}, s.Y, "targets not scaled")
	assert.Equal(t, 2, s.Targets)
	assert.Nil(t, s.Labels)
	assert.Equal(t, 2, s.Len())
	tr, te, err := s.Split(0.5, 1)
	require.NoError(t, err)
	assert.Equal(t, 1, tr.Len())
	assert.ElementsMatch(t, s.Y, append(append([]float32{}, tr.Y...), te.Y...))

	_, err = ReadCSVOptions(strings.NewReader("1,2,NaN\n"), CSVOptions{Regression: true})
	assert.EqualError(t, err, `csv: line 1, column 3: target "NaN" is not a finite decimal number`)
	_, err = ReadCSVOptions(strings.NewReader("1,2\n"), CSVOptions{TargetColumns: []int{0, 1}, Regression: true})
	assert.ErrorContains(t, err, "leave no feature")
}

func TestLabelsAreChecked(t *testing.T) {
	s := Set{X: []float32{1, 2}, Features: 1, Labels: []int{0, 2}, Classes: 2}
	assert.EqualError(t, s.Check(), "dataset: sample 1: label 2 is not a class from 0 to 1")
	assert.PanicsWithValue(t, "dataset: sample 1: label 2 is not a class from 0 to 1", func() { s.OneHot() })
	_, err := s.Binary()
	assert.EqualError(t, err, "dataset: sample 1: label 2 is not 0 or 1")
	s.Labels[1] = 1
	assert.NoError(t, s.Check())
	b, err := s.Binary()
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 1}, b, "one value per sample for a one-output sigmoid")
	s.X[0] = float32(math.Inf(1))
	assert.EqualError(t, s.Check(), "dataset: sample 0: feature 0 is +Inf")
}

func TestTargetsFor(t *testing.T) {
	digits := Digits()
	y, err := digits.TargetsFor(kernels.DigitsNetwork())
	require.NoError(t, err)
	assert.Len(t, y, digits.Len()*10)

	// The fix for too many classes is the model's width; for too few,
	// when the file lacks the last classes, CSVOptions.Classes.
	three := Set{X: make([]float32, 2*64), Features: 64, Labels: []int{0, 1}, Classes: 3}
	_, err = three.TargetsFor(kernels.DigitsNetwork())
	assert.EqualError(t, err, "dataset: Digits (cross_entropy) has 10 outputs; the set has 3 classes: if the file lacks the last classes, set CSVOptions.Classes to 10")
	twelve := three
	twelve.Classes = 12
	_, err = twelve.TargetsFor(kernels.DigitsNetwork())
	assert.EqualError(t, err, "dataset: Digits (cross_entropy) has 10 outputs; the set has 12 classes: train a model whose last layer has 12 outputs (its spec's last dense width)")

	// A set of other features names both counts.
	wine := Set{X: make([]float32, 178*13), Features: 13, Labels: make([]int, 178), Classes: 10}
	_, err = wine.TargetsFor(kernels.DigitsNetwork())
	assert.EqualError(t, err, "dataset: the set has 13 features per sample; Digits takes 64 (its spec's input)")

	scorer := kernels.ScorerNetwork()
	three.X, three.Features = make([]float32, 2*scorer.Input), scorer.Input
	_, err = three.TargetsFor(scorer)
	assert.ErrorContains(t, err, "needs")

	logistic := kernels.LogisticNetwork()
	three.X, three.Features, three.Classes = make([]float32, 2*logistic.Input), logistic.Input, 2
	y, err = three.TargetsFor(logistic) // one sigmoid output
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 1}, y)
}

func TestStandardizer(t *testing.T) {
	x := []float32{1, 10, 3, 10, 5, 10}
	st, err := FitStandardizer(x, 2)
	require.NoError(t, err)
	assert.Equal(t, []float32{3, 10}, st.Mean)
	assert.InDelta(t, math.Sqrt(8.0/3), st.Std[0], 1e-6)
	assert.Equal(t, float32(1), st.Std[1], "a constant feature keeps its scale")
	back, err := ParseStandardizer(st.String())
	require.NoError(t, err)
	assert.Equal(t, st, back, "exact round trip through the text form")
	require.NoError(t, st.Apply(x))
	assert.InDelta(t, 0, x[2], 1e-7)
	assert.Equal(t, float32(0), x[1])
	assert.Error(t, st.Apply([]float32{1, 2, 3}))
	_, err = ParseStandardizer(`{"mean":[1],"std":[0]}`)
	assert.ErrorContains(t, err, "deviation 0")
	_, err = FitStandardizer([]float32{1, float32(math.NaN())}, 1)
	assert.ErrorContains(t, err, "sample 1: feature 0 is NaN")
}

// Apply never writes a value that is not finite, and fails whole: a
// deviation at MinStd (which FitStandardizer gives a feature spread over
// 1e-38) turns any distance from the mean past about 1e-30 into ±Inf.
func TestStandardizerApplyStaysFinite(t *testing.T) {
	st, err := FitStandardizer([]float32{0, 6e-39}, 1)
	require.NoError(t, err)
	require.Less(t, st.Std[0], float32(1e-37), "a tiny spread keeps its tiny deviation")
	x := []float32{3e-39, 2, -3}
	assert.EqualError(t, st.Apply(x), "dataset: sample 1, feature 0: (2 − mean 3e-39) / std 3e-39 is not finite")
	assert.Equal(t, []float32{3e-39, 2, -3}, x, "x is left as it was")
	x = []float32{2, float32(math.NaN())}
	assert.ErrorContains(t, Standardizer{Mean: []float32{0}, Std: []float32{1}}.Apply(x), "sample 1, feature 0: (NaN − mean 0) / std 1 is not finite")
	require.NoError(t, st.Apply([]float32{3e-39, 6e-39}))

	// Several sets at once: all or none.
	a, b := []float32{3e-39}, []float32{6e-39, 2}
	assert.EqualError(t, st.Apply(a, b), "dataset: set 1: sample 1, feature 0: (2 − mean 3e-39) / std 3e-39 is not finite")
	assert.Equal(t, []float32{3e-39}, a, "the first set is left as it was too")
	require.NoError(t, st.Apply(a, b[:1]))
	assert.Equal(t, []float32{0}, a)
	assert.InDelta(t, 1, b[0], 1e-5)
}

// Invert maps standardized values back to their units.
func TestStandardizerInvert(t *testing.T) {
	y := []float32{120, 80, 250, 150}
	st, err := FitStandardizer(y, 1)
	require.NoError(t, err)
	z := slices.Clone(y)
	require.NoError(t, st.Apply(z))
	assert.InDelta(t, 0, z[0]+z[1]+z[2]+z[3], 1e-5)
	require.NoError(t, st.Invert(z))
	assert.InDeltaSlice(t, y, z, 1e-4)
	big := Standardizer{Mean: []float32{0}, Std: []float32{1e30}}
	x := []float32{1, 1e10}
	assert.EqualError(t, big.Invert(x), "dataset: sample 1, feature 0: 1e+10 · std 1e+30 + mean 0 is not finite")
	assert.Equal(t, []float32{1, 1e10}, x, "x is left as it was")
	assert.ErrorContains(t, Standardizer{Mean: []float32{0, 0}, Std: []float32{1, 1}}.Invert([]float32{1, 2, 3}), "3 values are not samples of the standardizer's 2 features")
}

// A spreadsheet's "CSV UTF-8" starts with a byte-order mark, which is not
// part of the first column's name (nor of a first number); a name the
// header gives two columns cannot say which is the target.
func TestCSVHeaderBOMAndDuplicateNames(t *testing.T) {
	s, err := ReadCSVOptions(strings.NewReader("\uFEFFclass,x\n1,2.5\n0,3\n"), CSVOptions{Header: true, Target: []string{"class"}})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 0}, s.Labels)
	s, err = ReadCSV(strings.NewReader("\uFEFF1.5,1\n2,0\n"), -1, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{1.5, 2}, s.X)

	_, err = ReadCSVOptions(strings.NewReader("y,x,y\n1,2,0\n"), CSVOptions{Header: true, Target: []string{"y"}})
	assert.EqualError(t, err, `csv: line 1: columns 1 and 3 are both named "y"; rename one, or give the target by index (CSVOptions.TargetColumns)`)
	s, err = ReadCSVOptions(strings.NewReader("x,x,y\n1,2,0\n"), CSVOptions{Header: true, Target: []string{"y"}})
	require.NoError(t, err, "features may share a name: nothing binds them by it")
	assert.Equal(t, []float32{1, 2}, s.X)
}

// ParseStandardizer reads the metadata as PyTorch's side does
// (json.loads, then st["mean"]): exact keys, none twice, none unknown;
// and every mean finite, every deviation one FitStandardizer could give.
func TestParseStandardizerIsStrict(t *testing.T) {
	for in, msg := range map[string]string{
		`{"mean":[0],"std":[1],"MEAN":[100]}`:   `dataset: standardizer: unknown key "MEAN"; the keys are "mean", "std"`,
		`{"Mean":[0],"std":[1]}`:                `unknown key "Mean"`,
		`{"mean":[0],"mean":[100],"std":[1]}`:   `dataset: standardizer: "mean" appears twice`,
		`{"mean":[0],"std":[1],"scale":[2]}`:    `unknown key "scale"`,
		`{"mean":[0],"std":[1e-45]}`:            "dataset: standardizer: feature 0 has deviation 1e-45; a deviation must be finite and at least 2.938737e-39 (MinStd), as FitStandardizer gives",
		`{"mean":[0,0],"std":[1,2.938736e-39]}`: "feature 1 has deviation 2.938736e-39",
		`{"mean":[0],"std":[1e39]}`:             "cannot unmarshal number 1e39",
	} {
		_, err := ParseStandardizer(in)
		assert.ErrorContains(t, err, msg, in)
	}
	assert.False(t, math.IsInf(float64(1/MinStd), 0), "1/MinStd is finite")
	assert.True(t, math.IsInf(float64(1/math.Nextafter32(MinStd, 0)), 0), "no smaller float32's reciprocal is")
	st, err := ParseStandardizer(`{"mean":[-1e30],"std":[2.938737e-39]}`)
	require.NoError(t, err)
	x := []float32{-1e30}
	require.NoError(t, st.Apply(x))
	assert.Equal(t, []float32{0}, x)

	fit, err := FitStandardizer([]float32{0, 1e-38}, 1)
	require.NoError(t, err)
	back, err := ParseStandardizer(fit.String())
	require.NoError(t, err, "what FitStandardizer gives parses: %s", fit)
	assert.Equal(t, fit, back)
}

// CSV files as spreadsheets, pandas and scikit-learn write them: another
// delimiter, labels written as floats, spaces after the commas, and rows
// before the table.
func TestCSVAsTheyCome(t *testing.T) {
	read := func(text string, opts CSVOptions) (Set, error) { return ReadCSVOptions(strings.NewReader(text), opts) }

	s, err := read("x;y;class\n1.5;2;1\n3;4;0\n", CSVOptions{Header: true, Comma: ';'})
	require.NoError(t, err)
	assert.Equal(t, []float32{1.5, 2, 3, 4}, s.X)
	assert.Equal(t, []int{1, 0}, s.Labels)
	_, err = read("x;y;class\n1.5;2;1\n", CSVOptions{Header: true})
	assert.EqualError(t, err, `csv: line 1: one column, "x;y;class"; the fields look separated by ';': set CSVOptions.Comma to it`)
	_, err = read("1.5\t2\t1\n", CSVOptions{})
	assert.EqualError(t, err, `csv: line 1: one column, "1.5\t2\t1"; the fields look separated by '\t': set CSVOptions.Comma to it`)
	s, err = read("1.5\t2\t1\n3\t4\t0\n", CSVOptions{Comma: '\t'})
	require.NoError(t, err)
	assert.Equal(t, []float32{1.5, 2, 3, 4}, s.X)
	for _, bad := range []rune{'"', '\n', '.', '-', '5', 'e', ' ', 'é'} {
		_, err = read("1,2\n", CSVOptions{Comma: bad})
		assert.ErrorContains(t, err, "cannot separate fields", "%q", bad)
	}

	s, err = read("x,class\n0.5,1.0\n0.25,0.0\n1,2.00\n", CSVOptions{Header: true})
	require.NoError(t, err, "pandas writes a float column of classes as 1.0")
	assert.Equal(t, []int{1, 0, 2}, s.Labels)
	for _, bad := range []string{"1.5", "1.", ".0", "1.0e0", "-1.0", "1.0.0"} {
		_, err = read("0.5,"+bad+"\n", CSVOptions{})
		assert.ErrorContains(t, err, "label \""+bad+"\" is not an integer", bad)
	}

	s, err = read("x, y , class\n 1.5, 2 , 1\n3 ,4,0 \n", CSVOptions{Header: true, Target: []string{"class"}})
	require.NoError(t, err, "spaces around fields and header names")
	assert.Equal(t, []float32{1.5, 2, 3, 4}, s.X)
	assert.Equal(t, []int{1, 0}, s.Labels)

	// scikit-learn's breast_cancer.csv starts "569,30,malignant,benign",
	// then a row of 30 features and the class; iris.csv a row of as many
	// columns as the table.
	cancer := "3,2,malignant,benign\n1.5,2,0\n3,4,1\n5,6,1\n"
	_, err = read(cancer, CSVOptions{Header: true})
	assert.EqualError(t, err, "csv: line 2: 3 columns, the first row has 4 (if rows before the header are not part of the table, such as the count row scikit-learn's CSV files start with, set CSVOptions.SkipRows)")
	s, err = read(cancer, CSVOptions{SkipRows: 1})
	require.NoError(t, err)
	assert.Equal(t, 3, s.Len())
	assert.Equal(t, []int{0, 1, 1}, s.Labels)
	iris := "2,2,setosa,versicolor,virginica\n5.1,3.5,1.4,0.2,0\n7,3.2,4.7,1.4,1\n"
	_, err = read(iris, CSVOptions{})
	assert.ErrorContains(t, err, `csv: line 1, column 3: "setosa" is not a finite decimal number (if the first row names the columns, set CSVOptions.Header; if it is not part of the table, such as the count row scikit-learn's CSV files start with, set CSVOptions.SkipRows)`)
	s, err = read(iris, CSVOptions{SkipRows: 1})
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1}, s.Labels)
	s, err = read("# made by hand\nx,class\n1,0\n2,1\n", CSVOptions{SkipRows: 1, Header: true, Target: []string{"class"}})
	require.NoError(t, err, "SkipRows skips rows before the header")
	assert.Equal(t, []float32{1, 2}, s.X)
	_, err = read(iris, CSVOptions{SkipRows: 3})
	assert.EqualError(t, err, "csv: no rows after the 3 lines SkipRows skips")
	_, err = read(iris, CSVOptions{SkipRows: 10})
	assert.EqualError(t, err, "csv: no rows after the 3 lines SkipRows skips", "a file shorter than SkipRows")
	// Skipped lines are text: quotes and widths do not matter, and lines
	// are numbered as in the file.
	s, err = read("My \"data\" file\n"+strings.Repeat(",", 100000)+"\nx,class\n1,0\n2,1\n", CSVOptions{SkipRows: 2, Header: true})
	require.NoError(t, err)
	assert.Equal(t, 2, s.Len())
	_, err = read("title\nx,class\n1,0\n2,z\n", CSVOptions{SkipRows: 1, Header: true})
	assert.EqualError(t, err, `csv: line 4: label "z" is not an integer from 0 to 65535`)
	_, err = read("title\nx,class\n1,0\n2,\"z\n", CSVOptions{SkipRows: 1, Header: true})
	assert.ErrorContains(t, err, "line 4")
	_, err = read(iris, CSVOptions{SkipRows: -1})
	assert.ErrorContains(t, err, "SkipRows -1 is not from 0 to")
}

// The hints name what a file's first lines suggest: another delimiter
// (',' too, for a comma file read with ';'), decimal commas, which are
// not read, and a count row without a header.
func TestCSVHints(t *testing.T) {
	read := func(text string, opts CSVOptions) error {
		_, err := ReadCSVOptions(strings.NewReader(text), opts)
		return err
	}
	assert.ErrorContains(t, read("x,y,class\n1,2,0\n", CSVOptions{Header: true, Comma: ';'}), `the fields look separated by ',': set CSVOptions.Comma to it`)
	assert.ErrorContains(t, read("1,5;2;0\n", CSVOptions{Comma: ';'}), `"1,5" is not a finite decimal number (numbers take a decimal point: convert the file's decimal commas first)`)
	assert.ErrorContains(t, read("1,5;2,5;0\n", CSVOptions{}), `"5;2" is not a finite decimal number (the fields look separated by ';': set CSVOptions.Comma to it)`)
	assert.ErrorContains(t, read("150,4\n5.1,3.5,0\n", CSVOptions{}), "line 2: 3 columns, the first row has 2 (if the first row is not part of the table, such as the count row scikit-learn's CSV files start with, set CSVOptions.SkipRows)")
}
