// Package pythontest gives the tests that compare with PyTorch, numpy or
// onnx their Python interpreter.
package pythontest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python returns the interpreter (VECGEN_PYTHON, by default
// /usr/bin/python3, where Debian's python3-* packages install) after
// checking that it imports every one of modules (isolated, -I, so that a
// directory of the same name beside the test cannot stand in for one).
// When one is missing it skips the test, or fails it when
// VECGEN_REQUIRE_TORCH is set (make test sets it, so that a missing package
// cannot pass for a skip).
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	python := os.Getenv("VECGEN_PYTHON")
	if python == "" {
		python = "/usr/bin/python3"
	}
	imports := "import " + strings.Join(modules, ", ")
	if out, err := exec.Command(python, "-I", "-c", imports).CombinedOutput(); err != nil {
		if os.Getenv("VECGEN_REQUIRE_TORCH") != "" {
			t.Fatalf("%s cannot %q (%v: %s): make deps installs the python3-* packages", python, imports, err, out)
		}
		t.Skipf("%s cannot %q: %v", python, imports, err)
	}
	return python
}
