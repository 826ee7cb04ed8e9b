package compare

import (
	"os"
	"os/exec"
	"testing"

	"github.com/vecgen/vecgen/internal/pythontest"
)

// TestPeers runs peers.py -check, which fails unless its numpy and PyTorch
// versions of every case agree, compute in float32 and run one thread: the
// peers make bench times do the same work. It also checks the epoch cases:
// Fashion-MNIST read from IDX files as package dataset reads them (the real
// files too when dataset-fashion-mnist is installed), PyTorch on the
// threads each case names, and a training loop that repeats itself from a
// fresh model; and the int8 cases: PyTorch's dynamic quantization, on a
// quantized engine this PyTorch has, turns every Linear layer into one of
// qint8 weights and stays near numpy's float32 outputs. It needs
// python3-numpy and python3-torch (VECGEN_PYTHON names the interpreter, by
// default /usr/bin/python3) and skips without them unless
// VECGEN_REQUIRE_TORCH is set.
func TestPeers(t *testing.T) {
	python := pythontest.Python(t, "numpy", "torch")
	cmd := exec.Command(python, "peers.py", "-check")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("peers.py -check: %v\n%s", err, out)
	}
}
