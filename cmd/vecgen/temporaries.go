package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vecgen/vecgen/gen"
)

// removeTemporaries removes from dir the temporary files that a vecgen
// killed while writing files left there: gen.Write's ".NAME.*.tmp" (the *
// digits, as os.CreateTemp makes them), for NAME one of the files'. A run
// that ends, with or without an error, removes its own.
func removeTemporaries(dir string, files []gen.File) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	ours := map[string]bool{}
	for _, f := range files {
		ours[f.Name] = true
	}
	for _, e := range entries {
		if name, ok := temporaryOf(e.Name()); ok && ours[name] && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// temporaryOf returns NAME when file is named as gen.Write's temporary
// files for NAME are.
func temporaryOf(file string) (string, bool) {
	rest, dot := strings.CutPrefix(file, ".")
	rest, tmp := strings.CutSuffix(rest, ".tmp")
	i := strings.LastIndexByte(rest, '.')
	if !dot || !tmp || i <= 0 || i == len(rest)-1 || strings.Trim(rest[i+1:], "0123456789") != "" {
		return "", false
	}
	return rest[:i], true
}
