package alloctest

import (
	"fmt"
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

// For returns the time and the allocation the budget allows an input of
// n bytes.
func (b Budget) For(n int) (time.Duration, uint64) {
	return b.Time + time.Duration(n)*b.TimePerByte, b.Bytes + uint64(n)*b.BytesPerByte
}

// Within runs f on an input of n bytes as Measure does, with twice the
// budget's time as the limit, and reports what it took, per byte too, and
// whether that stayed within the budget.
func (b Budget) Within(n int, f func()) (report string, ok bool) {
	maxTime, maxBytes := b.For(n)
	took, alloc := Measure(2*maxTime, f)
	per := float64(max(n, 1))
	report = fmt.Sprintf("%v and %d bytes allocated for %d bytes (%.1f ns and %.1f bytes per byte; budget %v and %d bytes)",
		took, alloc, n, float64(took.Nanoseconds())/per, float64(alloc)/per, maxTime, maxBytes)
	return report, took <= maxTime && alloc <= maxBytes
}

// Check runs f, the loading of an input of n bytes named what, and fails
// t when it takes longer or allocates more than the budget allows. A call
// still running at twice its time stops the test binary (see Measure).
func (b Budget) Check(t testing.TB, what string, n int, f func()) {
	t.Helper()
	if report, ok := b.Within(n, f); !ok {
		t.Fatalf("%s took more than its budget: %s", what, report)
	}
}
