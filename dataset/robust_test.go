package dataset

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/internal/alloctest"
	"github.com/vecgen/vecgen/spec"
)

// idxBudget bounds what ReadIDX may allocate for an input of n bytes: the
// values it holds, 4 bytes each for at most one value per input byte (at
// most 1032 per byte once gzip-decompressed), four times over for the
// slice's growth by doubling (the last capacity is under twice the values,
// and all the capacities together under twice the last), and the buffers
// of bufio and gzip.
func idxBudget(b []byte) uint64 {
	n := uint64(len(b))
	if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		n *= 1032
	}
	return 256<<10 + 16*n
}

func TestSplitFraction(t *testing.T) {
	s := Digits()
	for _, f := range []float64{-0.1, 1.5, math.NaN(), math.Inf(1)} {
		_, _, err := s.Split(f, 1)
		assert.EqualError(t, err, fmt.Sprintf("dataset: test fraction %g is not in [0, 1]", f))
	}
	train, test, err := s.Split(1, 1)
	require.NoError(t, err)
	assert.Equal(t, 0, train.Len())
	assert.Equal(t, s.Len(), test.Len())
}

// A header that claims far more values than follow costs memory for the
// values that are there, not for the claim.
func TestIDXMemoryFollowsTheData(t *testing.T) {
	for _, zip := range []bool{false, true} {
		b := idx([]uint32{1 << 14, 1 << 14}, make([]byte, 1<<20))
		if zip {
			b = gz(b)
		}
		var err error
		alloc := alloctest.Allocated(func() { _, err = ReadIDX(bytes.NewReader(b)) })
		assert.EqualError(t, err, "idx: truncated: 1048576 of 268435456 values")
		assert.Less(t, alloc, uint64(16<<20), "gzip %v: %d bytes allocated for 1 MiB of values", zip, alloc)
	}
	_, err := ReadIDX(bytes.NewReader(idx([]uint32{1 << 14, 1<<14 + 1}, nil)))
	assert.EqualError(t, err, "idx: dimensions [16384]×16385 hold no values or more than 268435456")
}

func TestIDXTrailingBytes(t *testing.T) {
	for _, zip := range []bool{false, true} {
		b := idx([]uint32{3}, []byte{1, 2, 3, 4})
		if zip {
			b = gz(b)
		}
		_, err := ReadIDX(bytes.NewReader(b))
		assert.EqualError(t, err, "idx: more bytes after the 3 values")
	}
}

// idx32 encodes an IDX array of big-endian int32.
func idx32(dims []uint32, data []int32) []byte {
	b := []byte{0, 0, 0x0C, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	for _, v := range data {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return b
}

func TestIDXLabelsAreBounded(t *testing.T) {
	dir := t.TempDir()
	images := dir + "/images"
	require.NoError(t, writeFile(images, idx([]uint32{2, 1}, []byte{0, 255})))
	for label, msg := range map[int32]string{
		16_777_217:    "label 1 is 1.6777216e+07, not a class number from 0 to 65535",
		MaxClasses:    "label 1 is 65536, not a class number from 0 to 65535",
		-1:            "label 1 is -1, not a class number from 0 to 65535",
		math.MaxInt32: "label 1 is 2.1474836e+09, not a class number",
	} {
		labels := dir + "/labels"
		require.NoError(t, writeFile(labels, idx32([]uint32{2}, []int32{3, label})))
		_, err := LoadIDX(images, labels)
		assert.ErrorContains(t, err, labels+": "+msg)
	}
	labels := dir + "/labels"
	require.NoError(t, writeFile(labels, idx32([]uint32{2}, []int32{3, MaxClasses - 1})))
	s, err := LoadIDX(images, labels)
	require.NoError(t, err)
	assert.Equal(t, MaxClasses, s.Classes)
	assert.Len(t, s.OneHot(), 2*MaxClasses)

	// Float images must be finite.
	f := []byte{0, 0, 0x0D, 2, 0, 0, 0, 2, 0, 0, 0, 1}
	f = binary.BigEndian.AppendUint32(f, math.Float32bits(1))
	f = binary.BigEndian.AppendUint32(f, math.Float32bits(float32(math.NaN())))
	require.NoError(t, writeFile(images, f))
	_, err = LoadIDX(images, labels)
	assert.EqualError(t, err, images+": sample 1: feature 0 is NaN")
}

func TestCSVStrictNumbers(t *testing.T) {
	for in, msg := range map[string]string{
		"1,NaN,0\n":               `csv: line 1, column 2: "NaN" is not a finite decimal number`,
		"1,Inf,0\n":               `"Inf" is not a finite decimal number`,
		"1,-infinity,0\n":         `"-infinity" is not a finite decimal number`,
		"1,1_000,0\n":             `"1_000" is not a finite decimal number`,
		"1,0x10,0\n":              `"0x10" is not a finite decimal number`,
		"1,1e39,0\n":              `"1e39" is not a finite decimal number`,
		"1,2,1099511627776\n":     `csv: line 1: label "1099511627776" is not an integer from 0 to 65535`,
		"1,2,9223372036854775807": `label "9223372036854775807" is not an integer`,
		"1,2,65536\n":             `label "65536" is not an integer`,
		"1,2,+3\n":                `label "+3" is not an integer`,
		"1,2,0\n\n\n1,x,0\n":      `csv: line 4, column 2: "x" is not a finite decimal number`,
		"1,\"a\nb\",0\n1,x,0\n":   `csv: line 1, column 2: "a\nb" is not a finite decimal number`,
		"\n\n1,2,0\n\n4,5,6,0\n":  "csv: line 5: 4 columns, the first row has 3",
	} {
		_, err := ReadCSV(strings.NewReader(in), -1, 1)
		assert.ErrorContains(t, err, msg, "%q", in)
	}
	s, err := ReadCSV(strings.NewReader("-1.5e2,.5,3\n+2.,1E-1,65535\n"), -1, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{-150, 0.5, 2, 0.1}, s.X)
	assert.Equal(t, MaxClasses, s.Classes)
	for _, scale := range []float32{0, float32(math.NaN()), float32(math.Inf(1))} {
		_, err := ReadCSV(strings.NewReader("1,0\n"), -1, scale)
		assert.ErrorContains(t, err, "is not a finite nonzero number")
	}
	_, err = ReadCSV(strings.NewReader("1e-40,0\n"), -1, 1e-10)
	assert.NoError(t, err, "a subnormal feature is finite")
	_, err = ReadCSV(strings.NewReader("1e30,0\n"), -1, 1e-10)
	assert.ErrorContains(t, err, `"1e30" is not a finite decimal number`, "overflows once scaled")
}

// A row of more columns than any model takes is refused as soon as the
// reader has seen one too many, at a cost that does not grow with the row:
// a 4 MiB line of 2M columns took 190 MB before it was accepted.
func TestCSVWideRowIsRefusedEarly(t *testing.T) {
	line := []byte(strings.Repeat("0,", 1<<21) + "1\n")
	for _, c := range []struct {
		opts CSVOptions
		err  string
	}{
		{CSVOptions{}, "csv: line 1: more than 16385 columns; no model takes more than 16384 features (MaxFeatures, a spec's widest input) and a label"},
		{CSVOptions{Regression: true}, "csv: line 1: more than 32768 columns; no model takes more than 16384 features (MaxFeatures, a spec's widest input) and 16384 targets (MaxTargets)"},
	} {
		var err error
		alloc := alloctest.Allocated(func() { _, err = ReadCSVOptions(bytes.NewReader(line), c.opts) })
		assert.EqualError(t, err, c.err)
		assert.Less(t, alloc, uint64(8<<20), "%d bytes allocated for a line of %d", alloc, len(line))
	}
	// The limits are a spec's, and each is checked on its own.
	assert.Equal(t, spec.MaxWidth, MaxFeatures)
	assert.Equal(t, spec.MaxWidth, MaxTargets)
	wide := func(features, targets int) string {
		return strings.Repeat("0,", features+targets-1) + "0\n"
	}
	_, err := ReadCSVOptions(strings.NewReader(wide(MaxFeatures+1, 1)), CSVOptions{Regression: true})
	assert.EqualError(t, err, "csv: line 1: 16385 features; no model takes more than 16384 (MaxFeatures, a spec's widest input)")
	_, err = ReadCSVOptions(strings.NewReader(wide(1, MaxTargets+1)), CSVOptions{Regression: true, TargetColumns: seq(1, MaxTargets+2)})
	assert.EqualError(t, err, "csv: line 1: 16385 targets; no model takes more than 16384 (MaxTargets)")
	s, err := ReadCSVOptions(strings.NewReader(wide(MaxFeatures, MaxTargets)), CSVOptions{Regression: true, TargetColumns: seq(MaxFeatures, MaxFeatures+MaxTargets)})
	require.NoError(t, err)
	assert.Equal(t, MaxFeatures, s.Features)
	assert.Equal(t, MaxTargets, s.Targets)
	// A quoted comma is no separator.
	s, err = ReadCSVOptions(strings.NewReader("\"a,b\","+strings.Repeat("x,", MaxFeatures-1)+"y\n"+strings.Repeat("1,", MaxFeatures)+"0\n"), CSVOptions{Header: true, Target: []string{"y"}})
	require.NoError(t, err)
	assert.Equal(t, MaxFeatures, s.Features)
}

// seq returns the integers from lo up to hi, hi excluded.
func seq(lo, hi int) []int {
	var out []int
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

// csvBudget is what ReadCSV may spend on an input: the widest row a model
// takes costs encoding/csv at most about 2.7 MB (some 100 bytes a field:
// the string header, its index and position, the record's slices); rows
// cost about 18 bytes a byte (the values and labels with their slices'
// growth). The time allows some 20 times what it takes here.
var csvBudget = alloctest.Budget{Time: time.Second, TimePerByte: time.Microsecond, Bytes: 4 << 20, BytesPerByte: 32}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("1,2,0\n3,4,2\n"), int8(-1))
	f.Add([]byte("5,1,2\n\n7,\"8\",1\n"), int8(0))
	f.Add([]byte("1,NaN,0\n1e39,1_000,65536\n"), int8(-1))
	f.Add([]byte(strings.Repeat("0,", 50000)+"0\n"), int8(-1))     // wider than any model
	f.Add([]byte(strings.Repeat(",", 16384)+"\n"), int8(0))        // the widest row of one-byte fields
	f.Add([]byte("2,2,a,b\nx;y;c\n1;2;1.0\n 3 ; 4;0\n"), int8(-1)) // a count row, then ';' as ReadCSV's second reading takes it
	f.Fuzz(func(t *testing.T, b []byte, col int8) {
		var s Set
		var err error
		csvBudget.Check(t, "ReadCSV", len(b), func() { s, err = ReadCSV(bytes.NewReader(b), int(col), 3) })
		if err == nil {
			checkSet(t, s)
		}
		// The same bytes read as the other options read them.
		opts := CSVOptions{Header: true, TargetColumns: []int{int(col)}, Comma: ';', SkipRows: 1}
		csvBudget.Check(t, "ReadCSVOptions", len(b), func() { s, err = ReadCSVOptions(bytes.NewReader(b), opts) })
		if err == nil {
			checkSet(t, s)
		}
	})
}

// checkSet fails t unless s is a set ReadCSV may return: as many values
// as its samples need, labels below its classes, features finite.
func checkSet(t *testing.T, s Set) {
	t.Helper()
	if len(s.X) != s.Len()*s.Features || s.Classes > MaxClasses {
		t.Fatalf("inconsistent set: %d values, %d samples of %d, %d classes", len(s.X), s.Len(), s.Features, s.Classes)
	}
	for _, l := range s.Labels {
		if l < 0 || l >= s.Classes {
			t.Fatalf("label %d of %d classes", l, s.Classes)
		}
	}
	for _, v := range s.X {
		if v-v != 0 {
			t.Fatalf("feature %v", v)
		}
	}
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
