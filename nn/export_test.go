package nn

// LetWorkersExceedCores lets a step use more workers than the machine has
// cores (still no more than GOMAXPROCS), so that tests on a small machine
// run every worker count; it returns the function that restores the limit.
func LetWorkersExceedCores() (restore func()) {
	saved := usableCPUs
	usableCPUs = func() int { return MaxWorkers }
	return func() { usableCPUs = saved }
}
