// Command vecgen compiles a model spec into a Go package of AVX2+FMA
// kernels, their scalar fallback and their tests.
//
//	vecgen -spec model.yaml [-out DIR] [-pkg NAME]
//	vecgen import -onnx model.onnx [-batch N] [-name Model] [-out DIR] [-pkg NAME]
//
// The second form imports a chain of dense layers from an ONNX model (as
// torch.onnx.export writes an nn.Sequential) and writes into DIR the spec
// <model>.yaml, the weights <model>.safetensors that nn.Network.Load reads,
// and the package generated from that spec.
//
// It prints the files it wrote. It never overwrites a file it did not
// generate from the same spec (a hand-written main.go for a model named
// Main, or another model's files). Exit status: 0 on success, 1 when the
// spec is invalid or the output cannot be written (nothing is written
// then), 2 on bad usage. From a package of your own:
//
//	//go:generate go run github.com/vecgen/vecgen/cmd/vecgen -spec model.yaml
package main

import (
	"errors"
	"flag"
	"fmt"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vecgen/vecgen/gen"
	"github.com/vecgen/vecgen/spec"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "import" {
		return runImport(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("vecgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	specPath := fs.String("spec", "", "model spec `file` (YAML)")
	out := fs.String("out", ".", "output `directory`; created if missing")
	pkg := fs.String("pkg", "", "Go package `name` of the output (default: the output directory's name)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vecgen -spec model.yaml [-out DIR] [-pkg NAME]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *specPath == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	name, err := packageName(*pkg, *out)
	if err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 2
	}
	m, err := spec.Load(*specPath)
	if err != nil {
		var se *spec.Error
		if errors.As(err, &se) {
			fmt.Fprintln(stderr, se)
		} else {
			fmt.Fprintln(stderr, "vecgen:", err)
		}
		return 1
	}
	files, err := gen.Generate(m, sourceName(*specPath, *out), name)
	if err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 1
	}
	written, err := gen.Write(*out, files)
	if err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 1
	}
	for _, f := range written {
		fmt.Fprintln(stdout, f)
	}
	return 0
}

// packageName is -pkg, or else the output directory's base name.
func packageName(flagValue, out string) (string, error) {
	name := flagValue
	if name == "" {
		abs, err := filepath.Abs(out)
		if err != nil {
			return "", err
		}
		name = strings.ToLower(filepath.Base(abs))
	}
	if !token.IsIdentifier(name) || name == "_" {
		return "", fmt.Errorf("%q is not a valid package name; name one with -pkg", name)
	}
	return name, nil
}

// sourceName is how generated headers name the spec: its path relative to
// the output directory, so the bytes do not depend on where vecgen ran.
func sourceName(specPath, out string) string {
	absSpec, err1 := filepath.Abs(specPath)
	absOut, err2 := filepath.Abs(out)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(absOut, absSpec); err == nil {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.Base(specPath)
}
