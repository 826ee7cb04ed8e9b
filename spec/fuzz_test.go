package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// FuzzParse: any bytes give a valid model or an *Error, never a panic,
// within the time and memory budget for their size.
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
	// Shapes that make a YAML parser work quadratically.
	f.Add([]byte(strings.Repeat("[", 3000)))
	f.Add([]byte(strings.Repeat("- ", 3000)))
	var keys strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&keys, "k%d: 1\n", i)
	}
	f.Add([]byte(keys.String()))
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			m     *Model
			err   error
			took  time.Duration
			alloc uint64
		}
		done := make(chan result, 1)
		go func() {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			m, err := Parse("f.yaml", data)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			done <- result{m, err, took, after.TotalAlloc - before.TotalAlloc}
		}()
		maxTime, maxAlloc := budget(len(data))
		var r result
		select {
		case r = <-done:
		case <-time.After(2 * maxTime):
			t.Fatalf("Parse hangs on %q", data)
		}
		if r.took > maxTime || r.alloc > maxAlloc {
			t.Fatalf("Parse took %v and %d bytes on %d bytes of input (budget %v, %d): %q", r.took, r.alloc, len(data), maxTime, maxAlloc, data)
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
