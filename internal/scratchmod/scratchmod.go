// Package scratchmod makes the throwaway Go modules in which tests build
// generated packages against this repository's code.
package scratchmod

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// New makes a module in a temporary directory that uses the repository at
// root (a path relative to the test's directory, such as "..") through a
// replace directive, with its go.sum, and resolves the rest of the
// requirements from the module cache the repository's own build filled
// (GOPROXY=off). Its root directory holds package pkg.
func New(t testing.TB, root, pkg string) string {
	t.Helper()
	root, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module scratch\n\ngo 1.26\n\nrequire github.com/vecgen/vecgen v0.0.0\n\nreplace github.com/vecgen/vecgen => "+root+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", string(sum))
	write("deps.go", "package "+pkg+"\n\nimport (\n\t_ \"github.com/vecgen/vecgen/kerneltest\"\n\t_ \"golang.org/x/sys/cpu\"\n)\n")
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	return dir
}
