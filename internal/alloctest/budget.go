package alloctest

import (
	"testing"
	"time"
)

// Budget is what a loader may spend on an input of n bytes: Time +
// n·TimePerByte of wall-clock time and Bytes + n·BytesPerByte allocated.
// The time is generous, as fuzzing shares a loaded machine; what it
// catches is work that grows faster than the input, or never ends.
type Budget struct {
	Time, TimePerByte   time.Duration
	Bytes, BytesPerByte uint64
}

// Check runs f, the loading of an input of n bytes named what, and fails
// t when it takes longer or allocates more than the budget allows. A call
// still running at twice its time fails at once.
func (b Budget) Check(t testing.TB, what string, n int, f func()) {
	t.Helper()
	maxTime := b.Time + time.Duration(n)*b.TimePerByte
	maxBytes := b.Bytes + uint64(n)*b.BytesPerByte
	type spent struct {
		took  time.Duration
		bytes uint64
	}
	done := make(chan spent, 1)
	go func() {
		start := time.Now()
		bytes := Allocated(f)
		done <- spent{time.Since(start), bytes}
	}()
	select {
	case s := <-done:
		if s.took > maxTime || s.bytes > maxBytes {
			t.Fatalf("%s took %v and allocated %d bytes for %d bytes of input; the budget is %v and %d", what, s.took, s.bytes, n, maxTime, maxBytes)
		}
	case <-time.After(2 * maxTime):
		t.Fatalf("%s still runs after %v on %d bytes of input; the budget is %v", what, 2*maxTime, n, maxTime)
	}
}
