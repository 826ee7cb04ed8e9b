package compare

import (
	"os"
	"os/exec"
	"testing"
)

// TestPeers runs peers.py -check, which fails unless its numpy and PyTorch
// versions of every case agree, compute in float32 and run one thread: the
// peers make bench times do the same work. It needs python3-numpy and
// python3-torch (VECGEN_PYTHON names the interpreter, by default
// /usr/bin/python3) and skips without them unless VECGEN_REQUIRE_TORCH is
// set.
func TestPeers(t *testing.T) {
	python := os.Getenv("VECGEN_PYTHON")
	if python == "" {
		python = "/usr/bin/python3"
	}
	if err := exec.Command(python, "-c", "import numpy, torch").Run(); err != nil {
		if os.Getenv("VECGEN_REQUIRE_TORCH") != "" {
			t.Fatalf("%s cannot import numpy and torch (%v): make deps installs them", python, err)
		}
		t.Skipf("%s cannot import numpy and torch: %v", python, err)
	}
	cmd := exec.Command(python, "peers.py", "-check")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("peers.py -check: %v\n%s", err, out)
	}
}
