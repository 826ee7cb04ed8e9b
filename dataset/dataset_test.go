package dataset

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/internal/alloctest"
)

func TestDigits(t *testing.T) {
	s := Digits()
	assert.Equal(t, 1797, s.Len())
	assert.Equal(t, 64, s.Features)
	assert.Equal(t, 10, s.Classes)
	// The first image of the file is a 0; its first row of pixels is 0 0 5 13 9 1 0 0.
	assert.Equal(t, 0, s.Labels[0])
	assert.Equal(t, []float32{0, 0, 5.0 / 16, 13.0 / 16, 9.0 / 16, 1.0 / 16, 0, 0}, s.X[:8])
	for _, v := range s.X {
		require.True(t, v >= 0 && v <= 1)
	}
	train, test, err := s.Split(0.2, 1)
	require.NoError(t, err)
	assert.Equal(t, 359, test.Len())
	assert.Equal(t, 1438, train.Len())
	train2, _, _ := s.Split(0.2, 1)
	assert.Equal(t, train, train2, "a split is a function of its seed")
	hot := test.OneHot()
	assert.Equal(t, float32(1), hot[test.Labels[0]])
}

// idx encodes an IDX array of unsigned bytes.
func idx(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	return append(b, data...)
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func TestIDX(t *testing.T) {
	images := idx([]uint32{2, 2, 3}, []byte{0, 255, 51, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	labels := idx([]uint32{2}, []byte{7, 3})
	for _, zip := range []bool{false, true} {
		dir := t.TempDir()
		ip, lp := filepath.Join(dir, "i"), filepath.Join(dir, "l")
		write := func(p string, b []byte) {
			if zip {
				b = gz(b)
			}
			require.NoError(t, os.WriteFile(p, b, 0o644))
		}
		write(ip, images)
		write(lp, labels)
		s, err := LoadIDX(ip, lp)
		require.NoError(t, err)
		assert.Equal(t, 6, s.Features)
		assert.Equal(t, []int{7, 3}, s.Labels)
		assert.Equal(t, 8, s.Classes)
		assert.Equal(t, []float32{0, 1, 0.2}, s.X[:3])
	}
	for name, bad := range map[string][]byte{
		"empty":     {},
		"magic":     {1, 0, 8, 1, 0, 0, 0, 1, 0},
		"type":      {0, 0, 7, 1, 0, 0, 0, 1, 0},
		"truncated": idx([]uint32{4}, []byte{1, 2}),
		"huge":      idx([]uint32{1 << 20, 1 << 20}, nil),
		"zero dim":  idx([]uint32{0}, nil),
	} {
		_, err := ReadIDX(bytes.NewReader(bad))
		assert.Error(t, err, name)
	}
}

func TestFashionMNISTMissing(t *testing.T) {
	_, _, err := FashionMNIST(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "apt-get install dataset-fashion-mnist")
	assert.NotContains(t, err.Error(), "\n")
}

// TestFashionMNIST reads the real files when Debian's package is installed
// (make deps installs it).
func TestFashionMNIST(t *testing.T) {
	const dir = "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("dataset-fashion-mnist is not installed")
	}
	train, test, err := FashionMNIST(dir)
	require.NoError(t, err)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
	assert.Equal(t, 784, train.Features)
	assert.Equal(t, 10, train.Classes)
}

func TestCSV(t *testing.T) {
	s, err := ReadCSV(strings.NewReader("1,2,0\n3,4,2\n"), -1, 2)
	require.NoError(t, err)
	assert.Equal(t, []float32{0.5, 1, 1.5, 2}, s.X)
	assert.Equal(t, []int{0, 2}, s.Labels)
	assert.Equal(t, 3, s.Classes)
	s, err = ReadCSV(strings.NewReader("5,1,2\n"), 0, 1)
	require.NoError(t, err)
	assert.Equal(t, []int{5}, s.Labels)
	for in, msg := range map[string]string{
		"":             "no rows",
		"1,2,x\n":      `label "x"`,
		"1,y,0\n":      `"y" is not a finite decimal number`,
		"1,2,0\n1,0\n": "line 2: 2 columns, the first row has 3",
		"1,2,-1\n":     "label",
		"7\n":          "no label column",
	} {
		_, err := ReadCSV(strings.NewReader(in), -1, 1)
		assert.ErrorContains(t, err, msg, "%q", in)
	}
}

// FuzzReadIDX: any bytes give an array or an error, never a panic, within
// the allocation budget for their size.
func FuzzReadIDX(f *testing.F) {
	f.Add(idx([]uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(gz(idx([]uint32{1}, []byte{9})))
	f.Add([]byte{0, 0, 0x0e, 1, 0, 0, 0, 1, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0})
	f.Add(gz(idx([]uint32{1 << 14, 1 << 14}, make([]byte, 1<<12))))
	f.Fuzz(func(t *testing.T, b []byte) {
		var x *IDX
		var err error
		if alloc := alloctest.Allocated(func() { x, err = ReadIDX(bytes.NewReader(b)) }); alloc > idxBudget(b) {
			t.Fatalf("ReadIDX allocated %d bytes for %d of input", alloc, len(b))
		}
		if err != nil {
			return
		}
		total := 1
		for _, d := range x.Dims {
			total *= d
		}
		if total != len(x.Data) {
			t.Fatalf("dims %v but %d values", x.Dims, len(x.Data))
		}
	})
}

// StratifiedSplit keeps each class's share in both sets, where Split may
// leave a rare class out of the test set.
func TestStratifiedSplit(t *testing.T) {
	s := Set{Features: 1, Classes: 3}
	for i := range 100 {
		label := 0
		switch {
		case i%10 == 0:
			label = 1 // 10 samples
		case i%50 == 1:
			label = 2 // 2 samples
		}
		s.X = append(s.X, float32(i))
		s.Labels = append(s.Labels, label)
	}
	count := func(set Set) map[int]int {
		c := map[int]int{}
		for _, l := range set.Labels {
			c[l]++
		}
		return c
	}
	train, test, err := s.StratifiedSplit(0.2, 7)
	require.NoError(t, err)
	assert.Equal(t, map[int]int{0: 18, 1: 2}, count(test), "round(0.2·88) = 18, round(0.2·10) = 2, round(0.2·2) = 0")
	assert.Equal(t, map[int]int{0: 70, 1: 8, 2: 2}, count(train))
	seen := map[float32]bool{}
	for _, set := range []Set{train, test} {
		for i, x := range set.X {
			require.False(t, seen[x], "sample %v twice", x)
			seen[x] = true
			assert.Equal(t, s.Labels[int(x)], set.Labels[i], "a sample keeps its label")
		}
	}
	assert.Len(t, seen, 100)
	again, _, err := s.StratifiedSplit(0.2, 7)
	require.NoError(t, err)
	assert.Equal(t, train, again, "the seed decides")
	other, _, err := s.StratifiedSplit(0.2, 8)
	require.NoError(t, err)
	assert.NotEqual(t, train.X, other.X)

	// The test set is Split's size however the classes divide: 10 classes
	// of 4 at 0.1 (each class's own share rounds to 0) and 0.15 (to 1);
	// 5 classes of one at 0.5.
	for _, c := range []struct {
		classes, each int
		fraction      float64
		test          int
	}{{10, 4, 0.1, 4}, {10, 4, 0.15, 6}, {5, 1, 0.5, 3}} {
		var set Set
		set.Features = 1
		for l := range c.classes {
			for range c.each {
				set.X = append(set.X, float32(len(set.X)))
				set.Labels = append(set.Labels, l)
			}
		}
		train, test, err := set.StratifiedSplit(c.fraction, 3)
		require.NoError(t, err)
		assert.Equal(t, c.test, test.Len(), "%d classes of %d at %g", c.classes, c.each, c.fraction)
		assert.Equal(t, c.classes*c.each-c.test, train.Len())
		for l, n := range count(test) {
			assert.LessOrEqual(t, n, (c.each*int(c.fraction*100)+99)/100, "class %d's share", l)
		}
	}

	_, _, err = Set{Features: 1, X: []float32{1, 2}, Targets: 1, Y: []float32{1, 2}}.StratifiedSplit(0.5, 1)
	assert.ErrorContains(t, err, "needs a class label for each of the 2 samples")
	_, _, err = s.StratifiedSplit(1.5, 1)
	assert.ErrorContains(t, err, "not in [0, 1]")
}
