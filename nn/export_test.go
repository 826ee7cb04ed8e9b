package nn

import "github.com/vecgen/vecgen/compiled"

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

// DecodeCheckpoint checks the checkpoint in file as LoadCheckpoint and
// Fit's Resume do (with or without a plateau schedule and early stopping)
// and restores it when it passes, for the fuzz target.
func (n *Network) DecodeCheckpoint(file []byte, plateau, stop bool) (epoch int, err error) {
	c, _, err := n.decodeCheckpoint(file, plateau, stop)
	if err != nil {
		return 0, err
	}
	var p *ReduceOnPlateau
	if plateau {
		p = &ReduceOnPlateau{}
	}
	var s *EarlyStopping
	if stop {
		s = &EarlyStopping{Patience: 1}
	}
	n.restore(c, p, s)
	return c.rec.Epoch, nil
}

// OptimizerState returns the optimizer's state vectors and step count.
func (n *Network) OptimizerState() (m, v []float32, step int) { return n.m, n.v, n.step }

// Cuts returns the calls Predict makes for r rows left past the whole
// batches: indices into desc.Serving, −1 for a padded batch.
func Cuts(desc compiled.Network, r int) []int {
	c := planCuts(&desc)
	return c.of(r)
}

// HalvedUpdateShares returns the chunks of the parameters (ranges [lo,
// hi)) each of two workers checks and updates after sharing a step in
// halves, and the chunks' size. The network needs two workers.
func (n *Network) HalvedUpdateShares() (shares [2][2][2]int, chunk int) {
	saved, savedActive := n.halved, n.activeWorkers
	n.halved, n.activeWorkers = true, 2
	for h := range shares {
		shares[h] = n.workers[h].chunkRanges()
	}
	n.halved, n.activeWorkers = saved, savedActive
	return shares, n.desc.UpdateChunk
}

// FusedSGDStep reports whether the last training step took SGD's step in
// the gradient kernels.
func (n *Network) FusedSGDStep() bool { return n.fusedStep }

// WithoutFusedSGD makes training steps take SGD's step through the
// separate check and update passes; it returns the function that
// restores fusion.
func WithoutFusedSGD() (restore func()) {
	saved := fuseSGD
	fuseSGD = false
	return func() { fuseSGD = saved }
}
