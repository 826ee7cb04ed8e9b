package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/gen"
)

// Only gen.Write's temporary files for the files being written go.
func TestRemoveTemporaries(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".m.go.123.tmp", ".m_amd64.s.4294967295.tmp", ".m.go.tmp", ".m.go.12a.tmp", "m.go.1.tmp", ".notes.1.tmp", "m.go"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".m.yaml.5.tmp"), 0o755))
	require.NoError(t, removeTemporaries(dir, []gen.File{{Name: "m.go"}, {Name: "m_amd64.s"}, {Name: "m.yaml"}}))
	var left []string
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	assert.ElementsMatch(t, []string{".m.go.tmp", ".m.go.12a.tmp", "m.go.1.tmp", ".notes.1.tmp", "m.go", ".m.yaml.5.tmp"}, left)
	assert.NoError(t, removeTemporaries(filepath.Join(dir, "missing"), nil))
}
