// Package alloctest measures what a call allocates and how long it takes,
// for the tests that hold loaders and decoders to a budget per input byte.
package alloctest

import "runtime"

// Allocated returns the bytes the heap handed out while f ran (all
// goroutines count, so run it where nothing else allocates).
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
