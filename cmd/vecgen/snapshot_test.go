package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// listing returns the entries of dir by name with their contents; a
// directory is listed as its name and a slash, with what it holds.
func listing(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string]string{}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if e.IsDir() {
			for name, data := range listing(t, path) {
				out[e.Name()+"/"+name] = data
			}
			out[e.Name()+"/"] = ""
			continue
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		out[e.Name()] = string(data)
	}
	return out
}
