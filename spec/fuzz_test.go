package spec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse: any bytes give a valid model or an *Error, never a panic.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bad/*.yaml")
	good, _ := filepath.Glob("*.yaml")
	for _, s := range append(seeds, good...) {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			m   *Model
			err error
		}
		done := make(chan result, 1)
		go func() {
			m, err := Parse("f.yaml", data)
			done <- result{m, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("Parse hangs on %q", data)
		}
		m, err := r.m, r.err
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error is not positioned: %v", err)
			}
			if se.Line < 1 || se.Col < 1 {
				t.Fatalf("error position %d:%d: %v", se.Line, se.Col, err)
			}
			return
		}
		if m.Batch < 1 || m.Input < 1 || len(m.Layers) == 0 || !isLoss(m.Loss) {
			t.Fatalf("invalid model accepted: %+v", m)
		}
	})
}
