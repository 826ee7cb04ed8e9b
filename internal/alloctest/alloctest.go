// Package alloctest measures what a call allocates and how long it takes,
// for the tests that hold loaders and decoders to a budget per input byte.
package alloctest

import (
	"fmt"
	"runtime"
	"time"
)

// Allocated returns the bytes the heap handed out while f ran (all
// goroutines count, so run it where nothing else allocates).
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Measure runs f and returns how long it took and the bytes the heap
// handed out meanwhile (as Allocated). It does not collect garbage first:
// a collection costs milliseconds, a fuzz input microseconds, and a
// collection of what ran before is small against the budgets. When f has not
// returned after limit, Measure panics, which stops the test binary: a
// call that loops as it allocates would otherwise run on beside the tests
// that follow.
func Measure(limit time.Duration, f func()) (time.Duration, uint64) {
	type result struct {
		took  time.Duration
		alloc uint64
	}
	done := make(chan result, 1)
	go func() {
		var took time.Duration
		alloc := Allocated(func() {
			start := time.Now()
			f()
			took = time.Since(start)
		})
		done <- result{took, alloc}
	}()
	select {
	case r := <-done:
		return r.took, r.alloc
	case <-time.After(limit):
		panic(fmt.Sprintf("alloctest: the call has not returned after %v", limit))
	}
}
