package nn

// LetWorkersExceedCores lets a step use more workers than the machine has
// cores (still no more than GOMAXPROCS), so that tests on a small machine
// run every worker count; it returns the function that restores the limit.
func LetWorkersExceedCores() (restore func()) {
	saved := usableCPUs
	usableCPUs = func() int { return MaxWorkers }
	return func() { usableCPUs = saved }
}

// ShareSmallSteps lets two workers split the step of any model in halves,
// however small, so that tests of small models run the halves; it returns
// the function that restores the limit.
func ShareSmallSteps() (restore func()) {
	saved := minSharedFlops
	minSharedFlops = 0
	return func() { minSharedFlops = saved }
}

// SharedInHalves reports whether two workers split the last training step
// in halves.
func (n *Network) SharedInHalves() bool { return n.halved }
