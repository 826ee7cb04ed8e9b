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
	batch := fs.Int("batch", 1, "samples per kernel call in the spec")
	name := fs.String("name", "", "model `name` (default: from the file name)")
	out := fs.String("out", ".", "output `directory`; created if missing")
	pkg := fs.String("pkg", "", "Go package `name` of the output (default: the output directory's name)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vecgen import -onnx model.onnx [-batch N] [-name Model] [-out DIR] [-pkg NAME]")
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
	specPath, weightsPath := filepath.Join(*out, specFile), filepath.Join(*out, weightsFile)
	if err := checkImportTargets(specPath, weightsPath); err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 1
	}
	written, err := gen.Write(*out, files)
	if err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 1
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{specPath, res.Spec}, {weightsPath, res.Weights}} {
		if old, err := os.ReadFile(f.path); err == nil && bytes.Equal(old, f.data) {
			continue
		}
		if err := writeAtomic(f.path, f.data); err != nil {
			fmt.Fprintln(stderr, "vecgen:", err)
			return 1
		}
		written = append(written, f.path)
	}
	for _, f := range written {
		fmt.Fprintln(stdout, f)
	}
	for _, n := range res.Notes {
		fmt.Fprintln(stderr, "vecgen: note:", n)
	}
	return 0
}

// checkImportTargets refuses to replace a spec that an import did not
// write, or weights beside one (or beside no spec).
func checkImportTargets(specPath, weightsPath string) error {
	old, err := os.ReadFile(specPath)
	specOurs := err == nil && bytes.HasPrefix(old, []byte(onnx.SpecHeader))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !specOurs:
		return fmt.Errorf("%s exists and was not written by vecgen import; not overwriting it", specPath)
	}
	if _, err := os.Lstat(weightsPath); err == nil && !specOurs {
		return fmt.Errorf("%s exists beside no imported spec; not overwriting it", weightsPath)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// writeAtomic writes data to a temporary file beside path and renames it
// over path.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
