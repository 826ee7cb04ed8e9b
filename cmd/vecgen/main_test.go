package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runVecgen(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestGeneratesAndListsFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "seed")
	code, stdout, stderr := runVecgen("-spec", "../../spec/seed.yaml", "-out", out)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	assert.Len(t, lines, 8)
	assert.Contains(t, lines, filepath.Join(out, "seed_amd64.s"))
	assert.Contains(t, lines, filepath.Join(out, "seed_avx512_amd64.s"))
	data, err := os.ReadFile(filepath.Join(out, "seed.go"))
	require.NoError(t, err)
	assert.Contains(t, string(data), "package seed\n")
	assert.NotContains(t, string(data), out, "generated code must not contain machine paths")

	// A second run writes nothing: the files are up to date.
	code, stdout, _ = runVecgen("-spec", "../../spec/seed.yaml", "-out", out)
	assert.Equal(t, 0, code)
	assert.Empty(t, stdout)
}

func TestInvalidSpecWritesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: Bad\nbatch: 4\ninput: 3\nlayers:\n  - {dense: 2, activation: swish}\nloss: mse\n"), 0o644))
	out := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(out, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(out, "bad.go"), []byte("package out // mine\n"), 0o644))

	code, stdout, stderr := runVecgen("-spec", bad, "-out", out)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Equal(t, bad+":5:28: unknown activation \"swish\" (want one of: identity, relu, leaky_relu, sigmoid, tanh, gelu, silu, softmax)\n", stderr)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Len(t, entries, 1)
	data, _ := os.ReadFile(filepath.Join(out, "bad.go"))
	assert.Equal(t, "package out // mine\n", string(data), "an existing file changed")

	code, _, _ = runVecgen("-spec", bad, "-out", filepath.Join(dir, "new"))
	assert.Equal(t, 1, code)
	assert.NoDirExists(t, filepath.Join(dir, "new"), "a failed run created the output directory")
}

func TestUsage(t *testing.T) {
	code, _, stderr := runVecgen()
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "usage: vecgen -spec")
	code, _, _ = runVecgen("-bogus")
	assert.Equal(t, 2, code)
	code, _, _ = runVecgen("-spec", "x.yaml", "extra")
	assert.Equal(t, 2, code)
	code, _, stderr = runVecgen("-spec", "../../spec/seed.yaml", "-out", t.TempDir(), "-pkg", "not-a-name")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "not a valid package name")
	code, _, stderr = runVecgen("-spec", filepath.Join(t.TempDir(), "missing.yaml"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no such file")
}
