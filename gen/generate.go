// Package gen is vecgen's compiler: it plans a validated model (package
// plan) and renders the plan as Go assembly (with avo), the Go API and
// dispatch (with jennifer), and the package's tests (internal/testgen).
package gen

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"sort"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/internal/testgen"
	"github.com/vecgen/vecgen/spec"
)

// File is one generated file: a name relative to the output directory, and
// its contents.
type File struct {
	Name string
	Data []byte
}

// Generate renders every file for model m. source names the spec in the
// generated headers (keep it relative: the output must not depend on where
// the generator ran); pkg is the Go package name.
func Generate(m *spec.Model, source, pkg string) ([]File, error) {
	p, err := plan.New(m, source, pkg)
	if err != nil {
		return nil, err
	}
	return Render(p)
}

// tierFile is the part of a tier's file names after the model's: the AVX2
// files keep the names they had before there were tiers.
var tierFile = map[string]string{plan.AVX2.Name: "", plan.AVX512.Name: "_avx512"}

// Render renders a plan. It is deterministic: the same plan gives the same
// bytes.
func Render(p *plan.Plan) ([]File, error) {
	api, err := emitAPI(p)
	if err != nil {
		return nil, err
	}
	dispatch, err := emitDispatch(p)
	if err != nil {
		return nil, err
	}
	fallback, err := emitFallback(p)
	if err != nil {
		return nil, err
	}
	tests, err := testgen.Emit(p)
	if err != nil {
		return nil, err
	}
	files := []File{
		{p.Lower + ".go", api},
		{p.Lower + "_amd64.go", dispatch},
		{p.Lower + "_other.go", fallback},
		{p.Lower + "_test.go", tests},
	}
	for _, isa := range plan.Tiers {
		asm, stubs, err := emitAsm(p, isa)
		if err != nil {
			return nil, err
		}
		files = append(files, File{p.Lower + tierFile[isa.Name] + "_amd64.s", asm},
			File{p.Lower + tierFile[isa.Name] + "_stubs_amd64.go", stubs})
	}
	for i, f := range files {
		if filepath.Ext(f.Name) != ".go" {
			continue
		}
		src, err := format.Source(f.Data)
		if err != nil {
			return nil, fmt.Errorf("gen: %s is not valid Go: %w", f.Name, err)
		}
		files[i].Data = src
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// Write puts files into dir, creating it if needed. Every file is first
// written to a temporary name in dir, and only when all have been written
// are they renamed into place, so a failure to write (a full disk, a
// permission) leaves dir as it was; each rename is atomic, so no file is
// ever seen half-written. Files whose contents are unchanged are not
// touched.
func Write(dir string, files []File) (written []string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	type pending struct{ tmp, final string }
	var todo []pending
	defer func() {
		for _, p := range todo {
			os.Remove(p.tmp) // a no-op once renamed
		}
	}()
	for _, f := range files {
		final := filepath.Join(dir, f.Name)
		if old, err := os.ReadFile(final); err == nil && bytes.Equal(old, f.Data) {
			continue
		}
		tmp, err := os.CreateTemp(dir, "."+f.Name+".*.tmp")
		if err != nil {
			return nil, err
		}
		todo = append(todo, pending{tmp.Name(), final})
		if _, err := tmp.Write(f.Data); err != nil {
			tmp.Close()
			return nil, err
		}
		if err := tmp.Close(); err != nil {
			return nil, err
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return nil, err
		}
	}
	for _, p := range todo {
		if err := os.Rename(p.tmp, p.final); err != nil {
			return written, err
		}
		written = append(written, p.final)
	}
	return written, nil
}
