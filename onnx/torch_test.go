package onnx_test

import (
	"encoding/binary"
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
	"github.com/vecgen/vecgen/internal/readme"
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
		Exact bool // the import keeps the state_dict's values (no folding)
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
		if m.Exact {
			state, err := os.ReadFile(filepath.Join(data, m.Name+"_state.safetensors"))
			require.NoError(t, err)
			requireSameBits(t, m.Name+" (state_dict)", state, res.Weights)
		}
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

	named := map[string]bool{}
	for name, res := range results {
		named[name] = namesEvery(t, res.Weights)
	}
	loadBack(t, py, data, named)

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

// namesEvery reports whether a weights file's onnx.NamesKey entry names
// every tensor's initializer.
func namesEvery(t *testing.T, file []byte) bool {
	t.Helper()
	n := binary.LittleEndian.Uint64(file)
	var header map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(file[8:8+n], &header))
	var meta map[string]string
	require.NoError(t, json.Unmarshal(header["__metadata__"], &meta))
	var names map[string]string
	require.NoError(t, json.Unmarshal([]byte(meta[onnx.NamesKey]), &names))
	for k := range header {
		if _, ok := names[k]; !ok && k != "__metadata__" {
			return false
		}
	}
	return true
}

// loadBack runs the README's load_vecgen_into on each imported model: the
// weights of a model whose every tensor has a name in onnx.NamesKey,
// loaded back into the PyTorch module they came from, compute PyTorch's
// outputs exactly; the others (a folded BatchNorm1d, a MatMul's
// transposed weight) are refused by name.
func loadBack(t *testing.T, py, data string, named map[string]bool) {
	t.Helper()
	snippet := readme.Block(t, "..", "<!-- tested: onnx-names", "python")
	harness := snippet + `
import sys, warnings
warnings.filterwarnings("ignore")
data = sys.argv[1]
for arg in sys.argv[2:]:
    name = arg
    module = torch.load(f"{data}/{name}.pt")
    io = {}
    with open(f"{data}/{name}_io.safetensors", "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    for k, info in json.loads(raw[8:8 + n]).items():
        b, e = info["data_offsets"]
        io[k] = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + e]), dtype=torch.float32).reshape(info["shape"])
    with torch.no_grad():
        for p in module.parameters():
            p.zero_()
    try:
        load_vecgen_into(module, f"{data}/{name}/{name}.safetensors")
    except ValueError as err:
        print(name, "refused:", err)
        continue
    with torch.no_grad():
        y = module(io["x"])
    if isinstance(module[-1], torch.nn.LogSoftmax):
        y = y.exp()
    print(name, "same" if torch.equal(y, io["y"]) else "DIFFERENT")
`
	script := filepath.Join(data, "load_back.py")
	require.NoError(t, os.WriteFile(script, []byte(harness), 0o644))
	cmd := exec.Command(py, script, data)
	for name := range named {
		cmd.Args = append(cmd.Args, name)
	}
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Logf("load_vecgen_into:\n%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	loaded := 0
	for _, line := range lines {
		name, verdict, _ := strings.Cut(line, " ")
		switch {
		case verdict == "same":
			loaded++
			require.True(t, named[name], "%s loaded though not every tensor is named", name)
		case strings.HasPrefix(verdict, "refused:"):
			require.False(t, named[name], "%s could not be loaded back: %s", name, verdict)
		default:
			t.Fatalf("%s", line)
		}
	}
	require.Len(t, lines, len(named))
	require.GreaterOrEqual(t, loaded, 5, "most models load back")
}
