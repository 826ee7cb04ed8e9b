package spec

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each file in testdata/bad must fail with exactly the line errors.txt gives it.
func TestBadSpecs(t *testing.T) {
	want := map[string]string{}
	f, err := os.Open("testdata/bad/errors.txt")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, _, _ := strings.Cut(sc.Text(), ":")
		want[name] = sc.Text()
	}
	files, err := filepath.Glob("testdata/bad/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 30)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			m, err := Load(file)
			assert.Nil(t, m)
			require.Error(t, err)
			var se *Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "testdata/bad/"+want[name], err.Error())
			assert.NotContains(t, err.Error(), "\n", "an error is one line")
		})
	}
	assert.Len(t, want, len(files), "errors.txt lists a file that does not exist")
}

func TestBuiltinSpecs(t *testing.T) {
	m, err := Load("fashion.yaml")
	require.NoError(t, err)
	assert.Equal(t, &Model{Name: "Fashion", Batch: 64, Input: 784, Loss: CrossEntropy, Layers: []Layer{
		{In: 784, Out: 256, Activation: ReLU},
		{In: 256, Out: 128, Activation: ReLU},
		{In: 128, Out: 10, Activation: Softmax},
	}, Subnormals: Keep}, m)
	assert.False(t, m.FlushesSubnormals())
	assert.Equal(t, 10, m.Output())

	for _, name := range []string{"logistic.yaml", "seed.yaml", "digits.yaml"} {
		_, err := Load(name)
		assert.NoError(t, err, name)
	}
}

func TestDefaultsAndFlowStyle(t *testing.T) {
	m, err := Parse("m.yaml", []byte("name: Net2\nbatch: 13\ninput: 1\nlayers:\n  - dense: 7\n  - {dense: 33, activation: tanh}\n  - dense: 3\n    activation: sigmoid\nloss: binary_cross_entropy\n"))
	require.NoError(t, err)
	assert.Equal(t, []Layer{{1, 7, Identity}, {7, 33, Tanh}, {33, 3, Sigmoid}}, m.Layers)
	assert.Equal(t, Keep, m.Subnormals, "subnormals are kept unless the spec says flush")
}

func TestSubnormals(t *testing.T) {
	for _, mode := range SubnormalModes {
		m, err := Parse("m.yaml", []byte("name: N\nbatch: 2\ninput: 3\nlayers:\n  - dense: 1\nloss: mse\nsubnormals: "+string(mode)+"\n"))
		require.NoError(t, err)
		assert.Equal(t, mode, m.Subnormals)
		assert.Equal(t, mode == Flush, m.FlushesSubnormals())
	}
	assert.False(t, (&Model{}).FlushesSubnormals(), "the zero value keeps subnormals, as a spec without the key")
}

func TestLimits(t *testing.T) {
	big := bytes.Repeat([]byte("# padding\n"), 1<<20) // 10 MiB of comments
	_, err := Parse("big.yaml", big)
	assert.EqualError(t, err, "big.yaml:1:1: spec is larger than 1048576 bytes")

	dir := t.TempDir()
	path := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(path, big, 0o644))
	_, err = Load(path)
	assert.EqualError(t, err, path+":1:1: spec is larger than 1048576 bytes")

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	_, err = Parse("n.yaml", []byte("name: "+strings.Repeat("A", 65)+"\n"))
	assert.EqualError(t, err, "n.yaml:1:7: name must be at most 64 characters")
}

// Billion-laughs style input must fail fast, not expand.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a: &a [x, x, x, x, x, x, x, x, x]\n")
	for i := 'b'; i <= 'j'; i++ {
		b.WriteString(string(i) + ": &" + string(i) + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*" + string(i-1))
		}
		b.WriteString("]\n")
	}
	_, err := Parse("bomb.yaml", []byte(b.String()))
	assert.Error(t, err)
}

// TestErrorsInFileOrder: wrong values of several keys are all reported,
// in the order of the file, whichever the decoder meets first.
func TestErrorsInFileOrder(t *testing.T) {
	src := "name: Two\nbatch: 0\ninput: 3\nlayers:\n  - {dense: 4, activation: swish}\n  - {dense: 0}\nloss: hinge\n"
	_, err := Parse("two.yaml", []byte(src))
	require.Error(t, err)
	var list Errors
	require.ErrorAs(t, err, &list)
	assert.Equal(t, "two.yaml:2:8: batch must be at least 1, got 0\n"+
		"two.yaml:5:28: unknown activation \"swish\" (want one of: identity, relu, leaky_relu, sigmoid, tanh, gelu, gelu_erf, silu, softmax)\n"+
		"two.yaml:6:13: dense must be at least 1, got 0\n"+
		"two.yaml:7:7: unknown loss \"hinge\" (want one of: mse, binary_cross_entropy, cross_entropy)", err.Error())
	var first *Error
	require.ErrorAs(t, err, &first)
	assert.Equal(t, 2, first.Line)
}

func TestServe(t *testing.T) {
	base := "name: N\nbatch: 48\ninput: 3\nlayers:\n  - dense: 1\nloss: mse\n"
	m, err := Parse("m.yaml", []byte(base))
	require.NoError(t, err)
	assert.Nil(t, m.Serve, "without the key the generator chooses")
	m, err = Parse("m.yaml", []byte(base+"serve: []\n"))
	require.NoError(t, err)
	assert.NotNil(t, m.Serve)
	assert.Empty(t, m.Serve, "an empty list asks for no serving kernels")
	m, err = Parse("m.yaml", []byte(base+"serve: [16, 1, 3]\n"))
	require.NoError(t, err)
	assert.Equal(t, []int{16, 1, 3}, m.Serve)
	_, err = Parse("m.yaml", []byte(base+"serve: ["+strings.Repeat("1, ", MaxServe)+"1]\n"))
	assert.EqualError(t, err, "m.yaml:7:57: serve lists at most 16 row counts")
}
