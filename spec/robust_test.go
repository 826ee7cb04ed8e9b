package spec

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// budget is the time and memory Parse may take on n bytes: linear in n,
// with a constant for the fixed costs. The lexer allocates about 300
// bytes per byte of input at worst; everything after it is bounded by
// MaxTokens and MaxDepth.
func budget(n int) (time.Duration, uint64) {
	return time.Second + time.Duration(n)*3*time.Microsecond, 4<<20 + 512*uint64(n)
}

// measure runs Parse on data and returns its error, the time it took and
// the bytes it allocated.
func measure(data []byte) (error, time.Duration, uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Parse("f.yaml", data)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return err, took, after.TotalAlloc - before.TotalAlloc
}

const tail = "batch: 4\ninput: 3\nlayers:\n  - {dense: 2}\nloss: mse\n"

// Inputs built to make a YAML parser work quadratically: each must fail
// with a positioned error within the linear budget.
func TestHostileSpecsAreBounded(t *testing.T) {
	var keys strings.Builder
	keys.WriteString("name: A\n")
	for i := 0; keys.Len() < 600_000; i++ {
		fmt.Fprintf(&keys, "key%d: 1\n", i)
	}
	var layers strings.Builder
	layers.WriteString("name: A\n" + tail[:len(tail)-len("loss: mse\n")])
	for layers.Len() < 600_000 {
		layers.WriteString("  - {dense: 2, activat: relu}\n")
	}
	for _, c := range []struct{ name, data, want string }{
		{"unclosed brackets", strings.Repeat("[", 500_000), "f.yaml:1:5: spec nests lists and mappings more than 4 deep"},
		{"nested flow maps", "name: A\nbatch: " + strings.Repeat("{a: ", 200_000), "f.yaml:2:20: spec nests lists and mappings more than 4 deep"},
		{"nested block lists", "name: A\nbatch: " + strings.Repeat("- ", 200_000) + "x", "f.yaml:2:14: spec nests lists and mappings more than 4 deep"},
		{"nested block maps", func() string {
			var b strings.Builder
			for i := range 1000 {
				b.WriteString(strings.Repeat(" ", i) + "a:\n")
			}
			return b.String()
		}(), "f.yaml:5:5: spec nests lists and mappings more than 4 deep"},
		{"many unknown keys", keys.String(), `f.yaml:2:1: unknown key "key0" in model (known keys: name, batch, input, layers, loss, subnormals, serve)`},
		{"many layer keys", layers.String(), `f.yaml:6:16: unknown key "activat" in a layer (known keys: dense, activation)`},
		{"many list items", "name: A\nlayers:\n" + strings.Repeat("  - 1\n", 100_000), "f.yaml:512:5: spec has more than 1024 YAML tokens (keys, values and punctuation); a model needs far fewer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err, took, alloc := measure([]byte(c.data))
			require.Error(t, err)
			assert.Equal(t, c.want, err.Error())
			maxTime, maxAlloc := budget(len(c.data))
			assert.Less(t, took, maxTime)
			assert.Less(t, alloc, maxAlloc, "allocated %d bytes for %d of input", alloc, len(c.data))
			t.Logf("%d bytes: %v, %d bytes allocated", len(c.data), took, alloc)
		})
	}
}

// YAML forms a spec may use although it needs none of them: each reads as
// the plain spec does.
func TestYAMLFormsAccepted(t *testing.T) {
	want, err := Parse("f.yaml", []byte("name: Abc\n"+tail))
	require.NoError(t, err)
	for _, in := range []string{
		"%YAML 1.2\n---\nname: Abc\n" + tail,
		"%YAML 1.1\n%TAG !e! tag:example.com,2000:\n---\nname: Abc\n" + tail + "...\n",
		"---\nname: Abc\n" + tail,
		"\ufeffname: Abc\n" + tail,
		"name: >-\n  Abc\n" + tail,
		"name: |-\n  Abc\n" + tail,
		"? name\n: Abc\n" + tail,
		"name: Abc\nbatch: 4\ninput: 3\nlayers:\n  - ? dense\n    : 2\nloss: mse\n",
		"{name: Abc, batch: 4, input: 3, layers: [{dense: 2}], loss: mse}\n",
		strings.ReplaceAll("# c\nname: Abc\n"+tail, "\n", "\r\n"),
		strings.ReplaceAll("# c\nname: Abc\n"+tail, "\n", "\r"),
	} {
		m, err := Parse("f.yaml", []byte(in))
		if assert.NoError(t, err, "%q", in) {
			assert.Equal(t, want, m, "%q", in)
		}
	}
	for in, msg := range map[string]string{
		"%YAML 2.0\n---\nname: Abc\n" + tail: "f.yaml:1:1: spec needs YAML 1.x, not 2.0",
		"%YAML 1.2\nname: Abc\n" + tail:      "f.yaml:2:1: YAML directives must be followed by a --- line",
		"%YAML 1.2\n":                        "f.yaml:1:1: YAML directives must be followed by a --- line",
	} {
		_, err := Parse("f.yaml", []byte(in))
		assert.EqualError(t, err, msg)
	}
	_, err = Parse("f.yaml", []byte("name: |\n  Abc\n"+tail))
	assert.EqualError(t, err, `f.yaml:1:7: name must be an exported Go identifier (a capital letter, then letters and digits), got "Abc\n"`)
}

// Line numbers count lines however they end, comments included.
func TestPositionsWithCRLF(t *testing.T) {
	for _, eol := range []string{"\n", "\r\n", "\r"} {
		in := strings.ReplaceAll("# one\n# two\n\nname: abc\n"+tail, "\n", eol)
		_, err := Parse("f.yaml", []byte(in))
		assert.ErrorContains(t, err, "f.yaml:4:7: name must", "%q", eol)
	}
}
