package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vecgen/vecgen/gen"
	"github.com/vecgen/vecgen/internal/bounded"
	"github.com/vecgen/vecgen/nn"
	"github.com/vecgen/vecgen/onnx"
)

// maxONNX bounds the size of a model file import reads: 32 layers of the
// largest weights a spec allows would be 2 GiB.
const maxONNX = 1 << 31

// runImport is vecgen import: an ONNX model to a spec, its weights and
// its generated package.
func runImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vecgen import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("onnx", "", "ONNX model `file` to import")
	batch := fs.Int("batch", 64, "training batch: samples per kernel call of the training kernels (any number of rows is served)")
	name := fs.String("name", "", "model `name` (default: from the file name)")
	out := fs.String("out", ".", "output `directory`; created if missing")
	pkg := fs.String("pkg", "", "Go package `name` of the output (default: the output directory's name)")
	quantize := fs.Bool("int8", false, "also write the weights quantized to int8 (mlp.int8.safetensors; nn.LoadQuantized serves them)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: vecgen import -onnx model.onnx [-batch N] [-name Model] [-out DIR] [-pkg NAME] [-int8]

vecgen import reads a chain of dense layers from an ONNX model and writes
its spec and weights (mlp.yaml and mlp.safetensors for a model named MLP)
and the package generated from the spec, all or nothing; with -int8, the
weights quantized to int8 too (mlp.int8.safetensors).

example: vecgen import -onnx mlp.onnx -name MLP -out mlp

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *model == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	pkgName, err := packageName(*pkg, *out)
	if err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 2
	}
	if *name == "" {
		*name = onnx.NameFromFile(*model)
	}
	data, err := bounded.ReadFile(*model, maxONNX)
	if err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 1
	}
	res, err := onnx.Import(data, onnx.Options{Name: *name, Batch: *batch, Source: filepath.Base(*model)})
	if err != nil {
		fmt.Fprintf(stderr, "vecgen: %s: %v\n", *model, err)
		return 1
	}
	specFile, weightsFile := onnx.SpecFile(*name), onnx.WeightsFile(*name)
	files, err := gen.Generate(res.Model, specFile, pkgName)
	if err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 1
	}
	weightFiles := []string{weightsFile}
	files = append(files, gen.File{Name: specFile, Data: res.Spec}, gen.File{Name: weightsFile, Data: res.Weights})
	if *quantize {
		quantized, err := nn.QuantizeFile(res.Weights)
		if err != nil {
			fmt.Fprintf(stderr, "vecgen: %s: %v\n", *model, err)
			return 1
		}
		weightFiles = append(weightFiles, onnx.Int8WeightsFile(*name))
		files = append(files, gen.File{Name: onnx.Int8WeightsFile(*name), Data: quantized})
	}
	rules, err := importRules(*out, specFile, weightFiles)
	if err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 1
	}
	if err := removeTemporaries(*out, files); err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 1
	}
	written, err := gen.WriteWith(*out, files, rules)
	if err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 1
	}
	for _, f := range written {
		fmt.Fprintln(stdout, f)
	}
	for _, n := range res.Notes {
		fmt.Fprintln(stderr, "vecgen: note:", n)
	}
	return 0
}

// importRules says when an import may replace the spec and the weights
// files that gen.WriteWith writes with the package, all or nothing: a
// spec only when an import wrote it, weights only beside such a spec.
func importRules(out, specFile string, weightFiles []string) (map[string]func(old []byte) error, error) {
	specPath := filepath.Join(out, specFile)
	imported := func(spec []byte) bool { return bytes.HasPrefix(spec, []byte(onnx.SpecHeader)) }
	spec, err := os.ReadFile(specPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	besideImported := err == nil && imported(spec)
	rules := map[string]func([]byte) error{
		specFile: func(old []byte) error {
			if !imported(old) {
				return fmt.Errorf("%s exists and was not written by vecgen import; not overwriting it", specPath)
			}
			return nil
		},
	}
	for _, name := range weightFiles {
		rules[name] = func([]byte) error {
			if !besideImported {
				return fmt.Errorf("%s exists beside no imported spec; not overwriting it", filepath.Join(out, name))
			}
			return nil
		}
	}
	return rules, nil
}
