// Command vecgen compiles a model spec into a Go package of AVX-512 and
// AVX2+FMA kernels, their scalar fallback and their tests.
//
//	vecgen -spec model.yaml [-out DIR] [-pkg NAME] [-clean]
//	vecgen import -onnx model.onnx [-batch N] [-name Model] [-out DIR] [-pkg NAME]
//
// The second form imports a chain of dense layers from an ONNX model (as
// torch.onnx.export writes an nn.Sequential) and writes into DIR the spec
// <model>.yaml, the weights <model>.safetensors that nn.Network.Load reads,
// and the package generated from that spec.
//
// It prints the files it wrote. It never overwrites a file it did not
// generate from the same spec (a hand-written main.go for a model named
// Main, or another model's files). With -clean it also removes the files
// in the output directory it generated from the same spec but no longer
// writes (those of a renamed model), printing "removed FILE" for each.
// It removes the temporary files (.FILE.*.tmp) that a vecgen killed while
// writing left for the files it writes.
// Exit status: 0 on success, 1 when the spec is invalid (every wrong
// value is reported, one line each, in file order) or the output cannot
// be written (nothing is written then), 2 on bad usage.
//
// Record it as a tool of your module and generate with go tool, so that
// go mod tidy keeps it:
//
//	go get -tool github.com/vecgen/vecgen/cmd/vecgen@latest
//
// (or go mod edit -tool github.com/vecgen/vecgen/cmd/vecgen, which asks
// no module proxy, beside a replace directive for a checkout)
// and in a Go file of the package:
//
//	//go:generate go tool vecgen -spec model.yaml
package main

import (
	"bytes"
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
	clean := fs.Bool("clean", false, "remove files in the output directory generated from this spec that it no longer produces")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: vecgen -spec model.yaml [-out DIR] [-pkg NAME] [-clean]
       vecgen import -onnx model.onnx [-batch N] [-name Model] [-out DIR] [-pkg NAME]

vecgen writes the Go package of a model spec: its kernels in assembly for
every tier, the Go around them and their tests. vecgen import turns an
ONNX model into a spec, its weights and that package (vecgen import -h).

example: vecgen -spec model.yaml -out model

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case *specPath == "":
		fmt.Fprintln(stderr, "vecgen: no spec: name the model file with -spec")
		fs.Usage()
		return 2
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "vecgen: unexpected argument %q (vecgen takes flags only)\n", fs.Arg(0))
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
			fmt.Fprintln(stderr, err) // one line per problem
		} else {
			fmt.Fprintln(stderr, "vecgen:", err)
		}
		return 1
	}
	source := sourceName(*specPath, *out)
	files, err := gen.Generate(m, source, name)
	if err != nil {
		fmt.Fprintln(stderr, "vecgen:", err)
		return 1
	}
	if err := removeTemporaries(*out, files); err != nil {
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
	if *clean {
		removed, err := removeStale(*out, source, files)
		for _, f := range removed {
			fmt.Fprintln(stdout, "removed", f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "vecgen:", err)
			return 1
		}
	}
	return 0
}

// removeStale removes the regular files in dir whose first line is the
// header vecgen writes for source but which files does not list, and
// returns their paths.
func removeStale(dir, source string, files []gen.File) ([]string, error) {
	keep := map[string]bool{}
	for _, f := range files {
		keep[f.Name] = true
	}
	header := []byte("// " + gen.Header(source) + "\n")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		if keep[e.Name()] || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		head, err := firstBytes(path, len(header))
		if err != nil {
			return removed, err
		}
		if !bytes.Equal(head, header) {
			continue
		}
		if err := os.Remove(path); err != nil {
			return removed, err
		}
		removed = append(removed, path)
	}
	return removed, nil
}

// firstBytes reads up to n bytes from the start of the file at path.
func firstBytes(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return buf[:k], err
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
