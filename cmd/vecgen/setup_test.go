package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/internal/readme"
)

// TestReadmeSetUp runs the README's set-up commands in a scratch module
// whose replace directive points at this checkout: the tool directive,
// go mod tidy before and after go generate, then go test of the generated
// package. Its module proxy answers every request with 403 Forbidden, as
// some corporate proxies answer a path they do not serve (go get -tool
// stopped there), so it uses only the module cache and needs the
// checkout's dependencies downloaded (make deps), as building it does.
func TestReadmeSetUp(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command:", err)
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	genFile := readme.Block(t, root, "## Use it in your module", "go")
	require.Contains(t, genFile, "//go:generate go tool vecgen -spec model.yaml\n")
	script := readme.Block(t, root, "<!-- tested: setup", "sh")
	require.Contains(t, script, "=../vecgen ")
	script = strings.ReplaceAll(script, "=../vecgen ", "="+root+" ")

	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "model"), 0o755))
	spec, err := os.ReadFile(filepath.Join(root, "spec", "seed.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "model", "model.yaml"), spec, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "model", "gen.go"), []byte(genFile), 0o644))

	var asked atomic.Int64
	forbidding := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer forbidding.Close()

	cmd := exec.Command("sh", "-ec", "set -x\n"+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOPROXY="+forbidding.URL, "GOSUMDB=off", "GOTOOLCHAIN=local", "GOFLAGS=-buildvcs=false")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "ok  \texample.com/app/model")

	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(mod), "tool github.com/vecgen/vecgen/cmd/vecgen\n", "the tool directive survives go mod tidy")
	assert.FileExists(t, filepath.Join(dir, "model", "seed_amd64.s"))

	// The proxy is one go get -tool stops at, as the did.
	get := exec.Command("go", "get", "-tool", "github.com/vecgen/vecgen/cmd/vecgen")
	get.Dir, get.Env = dir, cmd.Env
	out, err = get.CombinedOutput()
	require.Error(t, err, "go get -tool succeeded behind a proxy that forbids everything:\n%s", out)
	assert.Contains(t, string(out), "403 Forbidden")
	assert.Positive(t, asked.Load())
}
