package onnx_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/gen"
	"github.com/vecgen/vecgen/internal/pythontest"
	"github.com/vecgen/vecgen/internal/scratchmod"
	"github.com/vecgen/vecgen/nn"
	"github.com/vecgen/vecgen/onnx"
)

// predictMain is the program the scratch module runs: for each imported
// model it loads the weights, predicts the inputs PyTorch saw and writes
// the outputs, and exports the network as ONNX.
const predictMain = `package main

import (
	"bytes"
	"log"
	"os"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/nn"
%s)

func main() {
	dir := os.Args[1]
	for name, desc := range map[string]compiled.Network{
%s	} {
		net, err := nn.New(desc, nn.Options{Workers: 2})
		check(err)
		check(net.Load(dir + "/" + name + "/" + name + ".safetensors"))
		file, err := os.ReadFile(dir + "/" + name + "_io.safetensors")
		check(err)
		io, err := nn.DecodeTensors(file)
		check(err)
		x := io["x"].Data
		out := make([]float32, len(x)/net.Input()*net.Output())
		check(net.Predict(x, out))
		var b bytes.Buffer
		check(nn.EncodeTensors(&b, map[string]nn.Tensor{"y": {Shape: []int{len(out)}, Data: out}}, nil))
		check(os.WriteFile(dir+"/"+name+"_go.safetensors", b.Bytes(), 0o644))
		b.Reset()
		check(net.ExportONNX(&b))
		check(os.WriteFile(dir+"/"+name+"_export.onnx", b.Bytes(), 0o644))
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
`

func readTensors(t *testing.T, path string) map[string]nn.Tensor {
	t.Helper()
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	ts, err := nn.DecodeTensors(file)
	require.NoError(t, err)
	return ts
}

// TestTorchModels exports nn.Sequential models from PyTorch (see
// testdata/torch_models.py), imports each, generates its package, and
// compares nn's Predict with PyTorch's outputs: every output within 1e-5
// of PyTorch's, relative to its magnitude or, for outputs below 1 in
// magnitude, absolutely. The weights must be bit for bit those
// testdata/save_vecgen.py writes from the state_dict. Then it has onnx.checker check each network's
// ExportONNX and imports that back: the same spec and bit-identical
// weights.
func TestTorchModels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PyTorch and builds a module")
	}
	py := pythontest.Python(t, "torch", "onnx")
	mod := scratchmod.New(t, "..", "main")
	data := filepath.Join(mod, "data")
	require.NoError(t, os.Mkdir(data, 0o755))
	cmd := exec.Command(py, "testdata/torch_models.py", data)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	var models []struct {
		Name  string
		Opset int64
		Batch int
	}
	js, err := os.ReadFile(filepath.Join(data, "models.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(js, &models))
	require.GreaterOrEqual(t, len(models), 5)

	results := map[string]*onnx.Result{}
	var imports, entries strings.Builder
	for _, m := range models {
		file, err := os.ReadFile(filepath.Join(data, m.Name+".onnx"))
		require.NoError(t, err)
		res, err := onnx.Import(file, onnx.Options{Name: onnx.NameFromFile(m.Name), Batch: m.Batch, Source: m.Name + ".onnx"})
		require.NoError(t, err, m.Name)
		require.Equal(t, m.Opset, res.Opset, m.Name)
		state, err := os.ReadFile(filepath.Join(data, m.Name+"_state.safetensors"))
		require.NoError(t, err)
		requireSameBits(t, m.Name+" (state_dict)", state, res.Weights)
		results[m.Name] = res
		files, err := gen.Generate(res.Model, onnx.SpecFile(res.Model.Name), m.Name)
		require.NoError(t, err)
		dir := filepath.Join(data, m.Name)
		_, err = gen.Write(dir, files)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, onnx.SpecFile(res.Model.Name)), res.Spec, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, m.Name+".safetensors"), res.Weights, 0o644))
		fmt.Fprintf(&imports, "\t%q\n", "scratch/data/"+m.Name)
		fmt.Fprintf(&entries, "\t\t%q: %s.%sNetwork(),\n", m.Name, m.Name, res.Model.Name)
	}
	main := fmt.Sprintf(predictMain, imports.String(), entries.String())
	require.NoError(t, os.WriteFile(filepath.Join(mod, "main.go"), []byte(main), 0o644))
	run := exec.Command("go", "run", "-tags="+buildTags, ".", data)
	run.Dir = mod
	out, err = run.CombinedOutput()
	require.NoError(t, err, "go run:\n%s", out)

	for _, m := range models {
		want := readTensors(t, filepath.Join(data, m.Name+"_io.safetensors"))["y"].Data
		got := readTensors(t, filepath.Join(data, m.Name+"_go.safetensors"))["y"].Data
		require.Len(t, got, len(want), m.Name)
		worst := 0.0
		for i := range want {
			e := math.Abs(float64(got[i])-float64(want[i])) / max(1, math.Abs(float64(want[i])))
			worst = max(worst, e)
			require.LessOrEqual(t, e, 1e-5, "%s: output %d is %v, PyTorch's %v", m.Name, i, got[i], want[i])
		}
		t.Logf("%s (opset %d): %d outputs, largest error %.2g", m.Name, m.Opset, len(want), worst)
	}

	check := exec.Command(py, "-c", `import sys, onnx
for path in sys.argv[1:]:
    onnx.checker.check_model(onnx.load(path), full_check=True)
`)
	for _, m := range models {
		check.Args = append(check.Args, filepath.Join(data, m.Name+"_export.onnx"))
	}
	out, err = check.CombinedOutput()
	require.NoError(t, err, "onnx.checker:\n%s", out)
	for _, m := range models {
		file, err := os.ReadFile(filepath.Join(data, m.Name+"_export.onnx"))
		require.NoError(t, err)
		first := results[m.Name]
		again, err := onnx.Import(file, onnx.Options{Name: first.Model.Name, Batch: m.Batch})
		require.NoError(t, err, m.Name)
		require.Equal(t, first.Model.Layers, again.Model.Layers, m.Name)
		require.Equal(t, first.Model.Loss, again.Model.Loss, m.Name)
		requireSameBits(t, m.Name, first.Weights, again.Weights)
	}
}

// requireSameBits checks two weights files hold the same tensors, bit for
// bit.
func requireSameBits(t *testing.T, name string, a, b []byte) {
	t.Helper()
	ta, err := nn.DecodeTensors(a)
	require.NoError(t, err)
	tb, err := nn.DecodeTensors(b)
	require.NoError(t, err)
	require.Equal(t, len(ta), len(tb), name)
	for k, x := range ta {
		y, ok := tb[k]
		require.True(t, ok, "%s: tensor %s is missing", name, k)
		require.Equal(t, x.Shape, y.Shape, "%s: %s", name, k)
		bits := func(v []float32) []uint32 {
			out := make([]uint32, len(v))
			for i, f := range v {
				out[i] = math.Float32bits(f)
			}
			return out
		}
		require.True(t, slices.Equal(bits(x.Data), bits(y.Data)), "%s: tensor %s differs", name, k)
	}
}
