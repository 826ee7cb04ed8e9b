// Package dataset loads labelled samples for training: IDX files (the MNIST
// and Fashion-MNIST format, gzipped or not), numeric CSV, and the UCI
// optical digits set, which it embeds.
package dataset

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Set is a set of samples: row i of X holds Features values. A
// classification set has Labels[i] in [0, Classes); a regression set has
// Targets values per sample in Y instead (Labels nil).
type Set struct {
	X        []float32
	Labels   []int
	Features int
	Classes  int
	Y        []float32 // regression targets, Targets per sample
	Targets  int
}

// Len is the number of samples.
func (s Set) Len() int {
	if s.Features == 0 {
		return len(s.Labels)
	}
	return len(s.X) / s.Features
}

// OneHot returns the targets for cross-entropy: row i is 1 at Labels[i]
// and 0 elsewhere, Classes wide. It panics on a label outside [0,
// Classes), which Check reports as an error.
func (s Set) OneHot() []float32 {
	t := make([]float32, s.Len()*s.Classes)
	for i, l := range s.Labels {
		if l < 0 || l >= s.Classes {
			panic(fmt.Sprintf("dataset: sample %d: label %d is not a class from 0 to %d", i, l, s.Classes-1))
		}
		t[i*s.Classes+l] = 1
	}
	return t
}

// Binary returns the targets of a one-output sigmoid model (binary
// cross-entropy): one value per sample, the label, which must be 0 or 1.
func (s Set) Binary() ([]float32, error) {
	t := make([]float32, len(s.Labels))
	for i, l := range s.Labels {
		if l != 0 && l != 1 {
			return nil, fmt.Errorf("dataset: sample %d: label %d is not 0 or 1", i, l)
		}
		t[i] = float32(l)
	}
	return t, nil
}

// Check reports the first inconsistency of the set: X not a whole number
// of samples, a label outside [0, Classes) or Classes past MaxClasses,
// Y not Targets values per sample, or a value that is not finite.
func (s Set) Check() error {
	if s.Features <= 0 || len(s.X)%s.Features != 0 {
		return fmt.Errorf("dataset: %d values are not a whole number of samples of %d features", len(s.X), s.Features)
	}
	n := s.Len()
	if s.Labels != nil {
		if len(s.Labels) != n {
			return fmt.Errorf("dataset: %d labels for %d samples", len(s.Labels), n)
		}
		if s.Classes < 1 || s.Classes > MaxClasses {
			return fmt.Errorf("dataset: %d classes; want 1 to %d", s.Classes, MaxClasses)
		}
		for i, l := range s.Labels {
			if l < 0 || l >= s.Classes {
				return fmt.Errorf("dataset: sample %d: label %d is not a class from 0 to %d", i, l, s.Classes-1)
			}
		}
	}
	if s.Y != nil && (s.Targets <= 0 || len(s.Y) != n*s.Targets) {
		return fmt.Errorf("dataset: %d target values for %d samples of %d targets", len(s.Y), n, s.Targets)
	}
	for i, v := range s.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("dataset: sample %d: feature %d is %v", i/s.Features, i%s.Features, v)
		}
	}
	for i, v := range s.Y {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("dataset: sample %d: target %d is %v", i/s.Targets, i%s.Targets, v)
		}
	}
	return nil
}

// Split shuffles the samples with seed and returns the first
// round(testFraction·Len) as test and the rest as train. testFraction must
// be in [0, 1]. The data is copied; s is unchanged.
func (s Set) Split(testFraction float64, seed uint64) (train, test Set, err error) {
	if !(testFraction >= 0 && testFraction <= 1) {
		return Set{}, Set{}, fmt.Errorf("dataset: test fraction %g is not in [0, 1]", testFraction)
	}
	order := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)).Perm(s.Len())
	nTest := int(math.Round(testFraction * float64(s.Len())))
	return s.subset(order[nTest:]), s.subset(order[:nTest]), nil
}

// StratifiedSplit is Split keeping each class's share: the test set has
// round(testFraction·Len) samples, as Split's, shared among the classes
// in proportion to their counts (each class gets ⌊testFraction·count⌋,
// and the samples left over go to the classes of the largest remainders,
// as scikit-learn's train_test_split with stratify does), the classes
// mixed in both sets as the seed shuffles them. It needs class labels.
func (s Set) StratifiedSplit(testFraction float64, seed uint64) (train, test Set, err error) {
	if !(testFraction >= 0 && testFraction <= 1) {
		return Set{}, Set{}, fmt.Errorf("dataset: test fraction %g is not in [0, 1]", testFraction)
	}
	if len(s.Labels) != s.Len() || s.Len() == 0 {
		return Set{}, Set{}, fmt.Errorf("dataset: a stratified split needs a class label for each of the %d samples (it has %d)", s.Len(), len(s.Labels))
	}
	quota := testQuotas(s.Labels, testFraction)
	order := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)).Perm(s.Len())
	var trainRows, testRows []int
	for _, r := range order {
		if l := s.Labels[r]; quota[l] > 0 {
			quota[l]--
			testRows = append(testRows, r)
		} else {
			trainRows = append(trainRows, r)
		}
	}
	return s.subset(trainRows), s.subset(testRows), nil
}

// testQuotas shares round(fraction·len(labels)) test samples among the
// classes by largest remainder: ⌊fraction·count⌋ each, then one more for
// the classes of the largest fractional parts (ties to the larger class,
// then the lower label).
func testQuotas(labels []int, fraction float64) map[int]int {
	counts := make(map[int]int)
	for _, l := range labels {
		counts[l]++
	}
	type share struct {
		label, count int
		rest         float64
	}
	shares := make([]share, 0, len(counts))
	quota := make(map[int]int, len(counts))
	left := int(math.Round(fraction * float64(len(labels))))
	for l, n := range counts {
		exact := fraction * float64(n)
		quota[l] = int(math.Floor(exact))
		left -= quota[l]
		shares = append(shares, share{l, n, exact - math.Floor(exact)})
	}
	slices.SortFunc(shares, func(a, b share) int {
		switch {
		case a.rest != b.rest:
			return cmp.Compare(b.rest, a.rest)
		case a.count != b.count:
			return cmp.Compare(b.count, a.count)
		}
		return cmp.Compare(a.label, b.label)
	})
	for i := 0; left > 0 && i < len(shares); i++ {
		quota[shares[i].label]++
		left--
	}
	return quota
}

func (s Set) subset(rows []int) Set {
	out := Set{Features: s.Features, Classes: s.Classes, Targets: s.Targets, X: make([]float32, 0, len(rows)*s.Features)}
	if s.Labels != nil {
		out.Labels = make([]int, 0, len(rows))
	}
	if s.Y != nil {
		out.Y = make([]float32, 0, len(rows)*s.Targets)
	}
	for _, r := range rows {
		out.X = append(out.X, s.X[r*s.Features:(r+1)*s.Features]...)
		if s.Labels != nil {
			out.Labels = append(out.Labels, s.Labels[r])
		}
		if s.Y != nil {
			out.Y = append(out.Y, s.Y[r*s.Targets:(r+1)*s.Targets]...)
		}
	}
	return out
}

//go:embed testdata/digits.csv.gz
var digitsCSV []byte

// Digits returns the UCI optical recognition of handwritten digits test
// set (Alpaydin and Kaynak, 1998; CC BY 4.0): 1,797 8×8 images of pixel
// counts 0..16, scaled to [0, 1], in 10 classes.
func Digits() Set {
	zr, err := gzip.NewReader(bytes.NewReader(digitsCSV))
	if err != nil {
		panic("dataset: embedded digits: " + err.Error())
	}
	s, err := ReadCSV(zr, -1, 16)
	if err != nil || s.Len() != 1797 || s.Features != 64 || s.Classes != 10 {
		panic(fmt.Sprintf("dataset: embedded digits: %d samples, %d features, %d classes, %v", s.Len(), s.Features, s.Classes, err))
	}
	return s
}

// MaxClasses bounds the class labels the loaders accept: 0 to
// MaxClasses−1. Every such label is exact in float32, and a one-hot row
// stays small.
const MaxClasses = 1 << 16

// decimal reports whether f is a number in plain decimal notation: an
// optional sign, digits with at most one point, an optional exponent.
func decimal(f string) bool {
	mant, exp, hasExp := f, "", false
	if i := strings.IndexAny(f, "eE"); i >= 0 {
		mant, exp, hasExp = f[:i], f[i+1:], true
	}
	digits, point := 0, false
	for _, c := range []byte(trimSign(mant)) {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			return false
		}
	}
	if digits == 0 {
		return false
	}
	if hasExp {
		exp = trimSign(exp)
		if exp == "" || strings.Trim(exp, "0123456789") != "" {
			return false
		}
	}
	return true
}

func trimSign(s string) string {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return s[1:]
	}
	return s
}

// IDX is an array read from an IDX file: its dimensions and its values
// converted to float32.
type IDX struct {
	Dims []int
	Data []float32
}

// MaxIDXValues bounds the values one IDX file may hold: 1 GiB of float32.
const MaxIDXValues = 1 << 28

// ReadIDX reads an IDX array (gzip-compressed or not): magic 0, 0, a type
// code (0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E
// float64) and the number of dimensions, then each dimension as a
// big-endian uint32, then the values, big-endian, and nothing after them.
// The dimensions may declare at most MaxIDXValues values; memory grows
// with the values actually read, not with what the header claims.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("idx: reading the magic number: %w", err)
	}
	size := map[byte]int{0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}[magic[2]]
	if magic[0] != 0 || magic[1] != 0 || size == 0 || magic[3] == 0 {
		return nil, fmt.Errorf("idx: bad magic number % x", magic)
	}
	out := &IDX{}
	total := 1
	for range int(magic[3]) {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("idx: reading the dimensions: %w", err)
		}
		if d == 0 || uint64(total)*uint64(d) > MaxIDXValues {
			return nil, fmt.Errorf("idx: dimensions %v×%d hold no values or more than %d", out.Dims, d, MaxIDXValues)
		}
		total *= int(d)
		out.Dims = append(out.Dims, int(d))
	}
	// Decode a chunk at a time into a slice that grows as values arrive:
	// a header that lies costs no more memory than the values there are.
	var chunk [4096]byte
	per := len(chunk) / size
	out.Data = make([]float32, 0, min(total, 4096))
	for len(out.Data) < total {
		n := min(per, total-len(out.Data))
		if got, err := io.ReadFull(br, chunk[:n*size]); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, fmt.Errorf("idx: truncated: %d of %d values", len(out.Data)+got/size, total)
			}
			return nil, fmt.Errorf("idx: %w", err)
		}
		for i := range n {
			b := chunk[i*size:]
			var v float32
			switch magic[2] {
			case 0x08:
				v = float32(b[0])
			case 0x09:
				v = float32(int8(b[0]))
			case 0x0B:
				v = float32(int16(binary.BigEndian.Uint16(b)))
			case 0x0C:
				v = float32(int32(binary.BigEndian.Uint32(b)))
			case 0x0D:
				v = math.Float32frombits(binary.BigEndian.Uint32(b))
			case 0x0E:
				v = float32(math.Float64frombits(binary.BigEndian.Uint64(b)))
			}
			if len(out.Data) == cap(out.Data) { // double, so the copies cost at most the final size
				out.Data = append(make([]float32, 0, min(total, 2*cap(out.Data))), out.Data...)
			}
			out.Data = append(out.Data, v)
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		if err != nil {
			return nil, fmt.Errorf("idx: %w", err)
		}
		return nil, fmt.Errorf("idx: more bytes after the %d values", total)
	}
	return out, nil
}

// LoadIDX reads a pair of IDX files, images (n × rows × cols, or n × k)
// and labels (n), into a set whose features are the pixels divided by 255.
func LoadIDX(images, labels string) (Set, error) {
	img, err := readIDXFile(images)
	if err != nil {
		return Set{}, err
	}
	lab, err := readIDXFile(labels)
	if err != nil {
		return Set{}, err
	}
	if len(img.Dims) < 2 || len(lab.Dims) != 1 || img.Dims[0] != lab.Dims[0] {
		return Set{}, fmt.Errorf("idx: images %v and labels %v do not pair up", img.Dims, lab.Dims)
	}
	s := Set{X: img.Data, Features: len(img.Data) / img.Dims[0], Labels: make([]int, len(lab.Data))}
	for i, v := range s.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Set{}, fmt.Errorf("%s: sample %d: feature %d is %v", images, i/s.Features, i%s.Features, v)
		}
		s.X[i] = v / 255
	}
	for i, v := range lab.Data {
		if !(v >= 0 && v < MaxClasses) || v != float32(int(v)) {
			return Set{}, fmt.Errorf("%s: label %d is %g, not a class number from 0 to %d", labels, i, v, MaxClasses-1)
		}
		s.Labels[i] = int(v)
		s.Classes = max(s.Classes, int(v)+1)
	}
	return s, nil
}

func readIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	x, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

// FashionMNIST loads Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017) from
// dir, which holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each gzipped (.gz)
// or not, as Debian's dataset-fashion-mnist installs them in
// /usr/share/datasets/fashion-mnist.
func FashionMNIST(dir string) (train, test Set, err error) {
	find := func(name string) (string, error) {
		for _, p := range []string{name + ".gz", name} {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
				return filepath.Join(dir, p), nil
			}
		}
		return "", fmt.Errorf("Fashion-MNIST not found: %s has no %s(.gz); install it with `apt-get install dataset-fashion-mnist` or pass its directory", dir, name)
	}
	load := func(prefix string) (Set, error) {
		img, err := find(prefix + "-images-idx3-ubyte")
		if err != nil {
			return Set{}, err
		}
		lab, err := find(prefix + "-labels-idx1-ubyte")
		if err != nil {
			return Set{}, err
		}
		return LoadIDX(img, lab)
	}
	if train, err = load("train"); err != nil {
		return Set{}, Set{}, err
	}
	if test, err = load("t10k"); err != nil {
		return Set{}, Set{}, err
	}
	return train, test, nil
}
