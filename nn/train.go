package nn

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/internal/vec"
)

// TrainStep takes one optimizer step on the samples in x (rows of Input
// features) with targets y (rows of Output values: one-hot rows for
// cross-entropy, values in [0,1] for binary cross-entropy) and returns their
// mean loss before the step. It takes 1 to StepSize() samples.
func (n *Network) TrainStep(x, y []float32) (float32, error) {
	count, err := n.checkData(x, y)
	if err != nil {
		return 0, err
	}
	if count == 0 || count > n.StepSize() {
		return 0, fmt.Errorf("nn: TrainStep takes 1 to %d samples, got %d", n.StepSize(), count)
	}
	if err := n.checkFinite(x, y); err != nil {
		return 0, err
	}
	if err := n.checkTargets(y); err != nil {
		return 0, err
	}
	loss, _, err := n.trainStep(x, y, nil, 0, count)
	return float32(loss), err
}

// checkFinite returns an error naming the first sample whose features or
// targets are NaN or infinite.
func (n *Network) checkFinite(x, y []float32) error {
	if i := vec.FirstNonFinite(x); i >= 0 {
		return fmt.Errorf("nn: sample %d: feature %d is %v", i/n.desc.Input, i%n.desc.Input, x[i])
	}
	if i := vec.FirstNonFinite(y); i >= 0 {
		return fmt.Errorf("nn: sample %d: target %d is %v", i/n.desc.Output(), i%n.desc.Output(), y[i])
	}
	return nil
}

// checkData returns the number of samples in x, checking y matches.
func (n *Network) checkData(x, y []float32) (int, error) { return checkData(&n.desc, x, y) }

// checkData returns the number of samples in x, rows of d's inputs,
// checking y holds as many rows of its outputs.
func checkData(d *compiled.Network, x, y []float32) (int, error) {
	count, err := rows("x", x, d.Input)
	if err != nil {
		return 0, err
	}
	if len(y) != count*d.Output() {
		return 0, fmt.Errorf("nn: %d samples need %d target values, got %d", count, count*d.Output(), len(y))
	}
	return count, nil
}

// trainStep trains on the samples src rows lo..hi of x and y, cut into
// tiles of Batch rows that the workers share, and returns the mean loss and
// the number of correct predictions. When the loss or the gradient is not
// finite it takes no step: the parameters and the optimizer's state are
// left as they were.
func (n *Network) trainStep(x, y []float32, idx []int, lo, hi int) (loss float64, right int, err error) {
	B := n.desc.Batch
	count := hi - lo
	n.activeTiles = (count + B - 1) / B
	workers := n.usableWorkers()
	n.activeWorkers = min(workers, n.activeTiles)
	n.srcX, n.srcT = x, y
	for j, t := range n.tiles[:n.activeTiles] {
		t.src = rowSource{idx: idx, lo: lo + j*B}
		t.count = min(B, count-j*B)
	}
	n.halved = n.activeTiles == 1 && workers > 1 && n.halves && n.tileFlops >= minSharedFlops
	n.fused, n.fusedStep = n.fusesSGD(count), false
	if n.halved {
		n.activeWorkers = 2
		n.parallel((*worker).trainHalf)
	} else {
		n.parallel((*worker).trainTiles)
	}
	n.srcX, n.srcT = nil, nil // the caller's data is not kept
	for _, t := range n.tiles[:n.activeTiles] {
		loss += t.loss * float64(t.count)
		right += t.correct
	}
	loss /= float64(count)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, right, fmt.Errorf("nn: the loss is %v; no step taken", loss)
	}
	if n.fusedStep { // the gradient kernels took it
		n.beginUpdate()
		return loss, right, nil
	}
	// Each tile's gradient is its sum over rows / Batch; the step's mean
	// over count rows is B/count times their sum.
	n.scale = float32(B) / float32(count)
	grad := n.tiles[0].grad
	if n.chunks == 0 || workers == 1 {
		if n.activeTiles > 1 || n.scale != 1 {
			n.parallel((*worker).reduce)
		}
		if i := vec.FirstNonFinite(grad); i >= 0 {
			return loss, right, nonFiniteGradient(grad, i)
		}
		n.beginUpdate()
		n.update(grad)
		return loss, right, nil
	}
	// By chunks, shared by the workers: sum the tiles and look for a value
	// that is not finite while each chunk is in cache, then, when all are
	// finite, update. A halved step keeps its two workers, each updating
	// what it computed (chunkRanges).
	n.activeWorkers = min(workers, n.chunks)
	if n.halved {
		n.activeWorkers = 2
	}
	n.parallel((*worker).sumChunks)
	first := -1 // the first non-finite gradient: a worker's chunks need not be in one run
	for _, w := range n.workers[:n.activeWorkers] {
		if w.nonFinite >= 0 && (first < 0 || w.nonFinite < first) {
			first = w.nonFinite
		}
	}
	if first >= 0 {
		return loss, right, nonFiniteGradient(grad, first)
	}
	n.beginUpdate()
	n.parallel((*worker).updateChunks)
	return loss, right, nil
}

// fusesSGD reports whether a step of count samples may take SGD's step
// in the gradient kernels (compiled.Layer.WeightGradSGD), on the
// parameters in place: plain SGD (no momentum) on one whole batch, whose
// gradient needs no sum of tiles and no scale, with the fused kernels of
// the way the step runs. The workers then take it once they know the
// gradient is finite (gradientBounded). It sets the step's
// hyperparameters. On spec/wide.yaml (Zen 5), whose parameters are 17
// MB, the separate check and update passes took 1.1 ms of a 16 ms step,
// and the 50 MB they moved slowed the products of the next step: without
// them the step took 2.7 ms less.
func (n *Network) fusesSGD(count int) bool {
	o, ok := n.opt.(SGD)
	if !ok || o.Momentum != 0 || count != n.desc.Batch || !n.fusable || !fuseSGD {
		return false
	}
	n.hyper = hyper{rule: ruleSGD, lr: o.LR, decay: o.WeightDecay}
	return true
}

// fuseSGD is set when steps may fuse SGD into the gradient kernels; tests
// clear it to compare them with the separate passes.
var fuseSGD = true

// maxGradientBound bounds B·max|x|·max|dz| (with max|x| taken as at least
// 1) for the fused step: every partial sum of dw = xᵀ·dz and db = Σ dz is
// then at most 2¹⁰⁰·(1 + 2⁻²⁴)ᴮ in magnitude (its roundings included),
// far from float32's overflow at 2¹²⁸ whatever the order of the sums.
const maxGradientBound = 0x1p100

// gradientBounded reports whether the step's gradient is certainly
// finite, from the loss of its tile and the largest magnitudes of each
// layer's x and dz its active workers recorded (worker.bound): a finite
// loss, and for every layer, B·max(max|x|, 1)·max|dz| at most
// maxGradientBound (a NaN or infinite x or dz fails it). Only then may the
// fused step change the parameters: one that turns out not finite
// could not be taken back. The workers of a halved step reach the same
// answer from the same bounds.
func (n *Network) gradientBounded(loss float64) bool {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return false
	}
	for i := range n.desc.Layers {
		var x, dz float32
		for _, w := range n.workers[:n.activeWorkers] {
			x, dz = max(x, w.bounds[i].x), max(dz, w.bounds[i].dz)
		}
		if !(float64(n.desc.Batch)*max(float64(x), 1)*float64(dz) <= maxGradientBound) {
			return false
		}
	}
	return true
}

// minSharedFlops is the work of one tile's step (its products' flops)
// below which two workers do not split it in halves: they meet three times
// a step (four with the split depth; about seven when this was measured),
// each meeting costing a few µs, which a small model's step does not
// repay. Measured on Zen 5: the digits step (0.32 MFLOP) took 4.7 µs on
// one worker and 7–13 µs split; the Fashion step (64 MFLOP) runs 1.2–1.35×
// faster split. Below it one worker runs the step, with the same
// arithmetic.
var minSharedFlops = 1 << 23

// tileFlops is the flops of the products of one tile's step: forward, dW
// and (past the first layer) dX, 2·Batch·In·Out each.
func tileFlops(d *compiled.Network) int {
	n := 0
	for i, l := range d.Layers {
		products := 3
		if i == 0 {
			products = 2
		}
		n += products * 2 * d.Batch * l.In * l.Out
	}
	return n
}

// Optimizer is an update rule with its hyperparameters: SGD, Adam or AdamW.
type Optimizer interface {
	learningRate() float32
	withLearningRate(lr float32) Optimizer
	state() int // state vectors the rule keeps: 0, 1 (velocity) or 2 (moments)
}

// SGD is stochastic gradient descent, with optional momentum (Nesterov's
// when Nesterov is set) and L2 weight decay, by PyTorch's rules:
// g′ = g + WeightDecay·p, v ← Momentum·v + g′, p ← p − LR·v (or
// p ← p − LR·(g′ + Momentum·v) with Nesterov).
type SGD struct {
	LR, Momentum, WeightDecay float32
	Nesterov                  bool
}

// Adam is Adam (Kingma and Ba 2015) with L2 weight decay added to the
// gradient, as PyTorch's Adam. Zero Beta1, Beta2 and Eps mean the defaults
// 0.9, 0.999 and 1e-8; a nonzero Eps is at least MinEps.
type Adam struct {
	LR, Beta1, Beta2, Eps, WeightDecay float32
}

// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter 2019):
// p ← p·(1 − LR·WeightDecay) before the Adam step. Zero Beta1, Beta2 and
// Eps mean the defaults 0.9, 0.999 and 1e-8 (a nonzero Eps is at least
// MinEps); a zero WeightDecay means
// PyTorch's default 0.01 (set a tiny value to disable decay; or use Adam).
type AdamW struct {
	LR, Beta1, Beta2, Eps, WeightDecay float32
}

func (o SGD) learningRate() float32   { return o.LR }
func (o Adam) learningRate() float32  { return o.LR }
func (o AdamW) learningRate() float32 { return o.LR }

func (o SGD) withLearningRate(lr float32) Optimizer   { o.LR = lr; return o }
func (o Adam) withLearningRate(lr float32) Optimizer  { o.LR = lr; return o }
func (o AdamW) withLearningRate(lr float32) Optimizer { o.LR = lr; return o }

func (o SGD) state() int {
	if o.Momentum != 0 {
		return 1
	}
	return 0
}
func (Adam) state() int  { return 2 }
func (AdamW) state() int { return 2 }

func (o Adam) withDefaults() Adam {
	if o.Beta1 == 0 {
		o.Beta1 = 0.9
	}
	if o.Beta2 == 0 {
		o.Beta2 = 0.999
	}
	if o.Eps == 0 {
		o.Eps = 1e-8
	}
	return o
}

// SetOptimizer replaces the update rule and resets its state (velocity,
// moments and step count).
func (n *Network) SetOptimizer(opt Optimizer) error {
	if err := checkOptimizer(opt); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	n.opt, n.baseLR, n.step = opt, opt.learningRate(), 0
	n.m, n.v = nil, nil
	switch opt.state() {
	case 1:
		n.v = make([]float32, n.desc.Params)
	case 2:
		n.m, n.v = make([]float32, n.desc.Params), make([]float32, n.desc.Params)
	}
	return nil
}

// checkOptimizer refuses an optimizer SetOptimizer cannot take.
func checkOptimizer(opt Optimizer) error {
	if opt == nil {
		return fmt.Errorf("nil optimizer")
	}
	if lr := opt.learningRate(); !(lr > 0) || math.IsInf(float64(lr), 0) {
		return fmt.Errorf("learning rate %g is not a positive number", lr)
	}
	if s, ok := opt.(SGD); ok && s.Nesterov && s.Momentum == 0 {
		return fmt.Errorf("Nesterov momentum needs a nonzero Momentum")
	}
	return checkHyper(opt)
}

// checkHyper refuses hyperparameters outside PyTorch's ranges: momentum,
// weight decay and eps finite and not negative, betas in [0, 1).
func checkHyper(opt Optimizer) error {
	var nonNeg map[string]float32
	var b1, b2, eps float32
	switch o := opt.(type) {
	case SGD:
		nonNeg = map[string]float32{"Momentum": o.Momentum, "WeightDecay": o.WeightDecay}
	case Adam:
		nonNeg = map[string]float32{"Eps": o.Eps, "WeightDecay": o.WeightDecay}
		b1, b2, eps = o.Beta1, o.Beta2, o.Eps
	case AdamW:
		nonNeg = map[string]float32{"Eps": o.Eps, "WeightDecay": o.WeightDecay}
		b1, b2, eps = o.Beta1, o.Beta2, o.Eps
	}
	for _, name := range slices.Sorted(maps.Keys(nonNeg)) {
		if v := nonNeg[name]; !(v >= 0) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s %g is not a finite number ≥ 0", name, v)
		}
	}
	for i, b := range []float32{b1, b2} {
		if !(b >= 0 && b < 1) {
			return fmt.Errorf("Beta%d %g is not in [0, 1)", i+1, b)
		}
	}
	if eps != 0 && eps < MinEps {
		return fmt.Errorf("Eps %g is below %g: the kernels store second moments below 2⁻¹²⁶ as 0, which would change steps beside so small an Eps", eps, MinEps)
	}
	return nil
}

// MinEps is the smallest nonzero Eps Adam and AdamW take. The kernels
// flush optimizer state below 2⁻¹²⁶ to 0 (subnormal values cost Intel
// cores a microcode assist each); that changes √v by less than 2⁻⁶³ ≈
// 1.1e-19, under a ten-thousandth of any Eps from MinEps up.
const MinEps = 1e-15

// Optimizer returns the current update rule.
func (n *Network) Optimizer() Optimizer { return n.opt }

// SetLearningRate changes the learning rate and keeps the optimizer's
// state, for schedules.
func (n *Network) SetLearningRate(lr float32) error {
	if !(lr > 0) || math.IsInf(float64(lr), 0) {
		return fmt.Errorf("nn: learning rate %g is not a positive number", lr)
	}
	n.opt = n.opt.withLearningRate(lr)
	return nil
}

// nonFiniteGradient is the error of a step whose gradient of parameter i
// is NaN or infinite.
func nonFiniteGradient(grad []float32, i int) error {
	return fmt.Errorf("nn: the gradient of parameter %d is %v; no step taken", i, grad[i])
}

// usableWorkers is how many workers a step uses: Workers, but no more than
// the cores the process can run on at once (GOMAXPROCS, and the CPU count
// when GOMAXPROCS exceeds it). More would only take turns on the cores,
// and a worker waiting for another spins: four workers at GOMAXPROCS 4 on
// two cores made the 256-sample step 0.78× as fast as one worker, against
// 1.68× for two. The result does not depend on it.
func (n *Network) usableWorkers() int {
	return max(1, min(len(n.workers), runtime.GOMAXPROCS(0), usableCPUs()))
}

// usableCPUs is runtime.NumCPU; tests raise it to run more workers than
// the machine has cores.
var usableCPUs = runtime.NumCPU

// rule is the update kernel a step runs, one per optimizer of the
// descriptor.
type rule int

const (
	ruleSGD rule = iota
	ruleMomentum
	ruleNesterov
	ruleAdam
	ruleAdamW
)

// hyper is one step's update rule with the values its kernels take: the
// defaults filled in and the bias corrections of the step.
type hyper struct {
	rule                                 rule
	lr, decay, mu, beta1, beta2, eps, c1 float32
	c2                                   float32
}

// beginUpdate counts the step and fixes its rule and hyperparameters.
func (n *Network) beginUpdate() {
	n.step++
	var h hyper
	switch o := n.opt.(type) {
	case SGD:
		h.rule, h.lr, h.decay, h.mu = ruleSGD, o.LR, o.WeightDecay, o.Momentum
		switch {
		case o.Nesterov:
			h.rule = ruleNesterov
		case o.Momentum != 0:
			h.rule = ruleMomentum
		}
	case Adam:
		o = o.withDefaults()
		h.rule, h.lr, h.decay, h.beta1, h.beta2, h.eps = ruleAdam, o.LR, o.WeightDecay, o.Beta1, o.Beta2, o.Eps
	case AdamW:
		a := Adam(o).withDefaults()
		if a.WeightDecay == 0 {
			a.WeightDecay = 0.01
		}
		h.rule, h.lr, h.decay, h.beta1, h.beta2, h.eps = ruleAdamW, a.LR, a.WeightDecay, a.Beta1, a.Beta2, a.Eps
	}
	if h.rule >= ruleAdam {
		h.c1, h.c2 = n.biasCorrection(h.beta1, h.beta2)
	}
	n.hyper = h
}

// update applies the step fixed by beginUpdate with gradient g to all the
// parameters at once.
func (n *Network) update(g []float32) {
	d, p, h := &n.desc, n.params, &n.hyper
	switch h.rule {
	case ruleSGD:
		d.SGD(p, g, h.lr, h.decay)
	case ruleMomentum:
		d.Momentum(p, g, n.v, h.lr, h.decay, h.mu)
	case ruleNesterov:
		d.Nesterov(p, g, n.v, h.lr, h.decay, h.mu)
	case ruleAdam:
		d.Adam(p, g, n.m, n.v, h.lr, h.decay, h.beta1, h.beta2, h.eps, h.c1, h.c2)
	case ruleAdamW:
		d.AdamW(p, g, n.m, n.v, h.lr, h.decay, h.beta1, h.beta2, h.eps, h.c1, h.c2)
	}
}

// updateChunk applies the step fixed by beginUpdate with gradient g to
// chunk i of the parameters: bit for bit what update does there.
func (n *Network) updateChunk(i int, g []float32) {
	d, p, h := &n.desc, n.params, &n.hyper
	switch h.rule {
	case ruleSGD:
		d.SGDChunk(i, p, g, h.lr, h.decay)
	case ruleMomentum:
		d.MomentumChunk(i, p, g, n.v, h.lr, h.decay, h.mu)
	case ruleNesterov:
		d.NesterovChunk(i, p, g, n.v, h.lr, h.decay, h.mu)
	case ruleAdam:
		d.AdamChunk(i, p, g, n.m, n.v, h.lr, h.decay, h.beta1, h.beta2, h.eps, h.c1, h.c2)
	case ruleAdamW:
		d.AdamWChunk(i, p, g, n.m, n.v, h.lr, h.decay, h.beta1, h.beta2, h.eps, h.c1, h.c2)
	}
}

// biasCorrection returns 1/(1−β₁ᵗ) and 1/(1−β₂ᵗ) for the current step t.
func (n *Network) biasCorrection(beta1, beta2 float32) (c1, c2 float32) {
	t := float64(n.step)
	return float32(1 / (1 - math.Pow(float64(beta1), t))), float32(1 / (1 - math.Pow(float64(beta2), t)))
}
