// Package nn trains, evaluates, saves and serves a dense network whose
// kernels vecgen generated. It works with any generated package through the
// descriptor the package provides (<Name>Network() returns a
// compiled.Network) and never imports one.
//
// A Network owns everything it computes with: the parameters (each layer's
// w as In×Out row-major and b), one set of activation, gradient and scratch
// buffers per worker, and the optimizer's state, all allocated by New. A
// training step and a prediction allocate nothing.
//
// The training kernels process exactly Batch samples per call (Predict
// also serves fewer rows through the serving kernels). A training step
// takes up to StepSize samples (Options.StepSize, by default Batch) and
// cuts them into tiles of Batch rows at fixed places. How the workers share a
// step never changes its arithmetic, so the number of workers and
// GOMAXPROCS change the speed of training, never its result: the same
// seed, data and StepSize give bit-identical weights.
//
//   - A step of several tiles gives each tile to one worker, which computes
//     its gradient whole into the tile's own buffer; the tiles' gradients
//     are summed in tile order.
//   - A step of one tile is shared by two workers through the generated
//     half kernels (compiled.Layer.ForwardHalf and the others), when the
//     model has them: each runs half of the batch's rows through the
//     forward pass and every dx, then half of the inputs' rows of each dw,
//     meeting where one reads what the other wrote. Each half kernel
//     computes its rows exactly as the
//     whole kernel does. The first layer's forward pass is split by its
//     inputs instead (compiled.Layer.PartialForward and Combine): each
//     worker multiplies half of the inputs' columns by its half of the
//     rows of w, for one worker as for two, so each worker alone reads,
//     differentiates and updates its half of the first layer's weights,
//     usually most of the model's, and they never move between the cores.
//     Without halves, or when a step's work is too small to repay the
//     workers' meetings (minSharedFlops), one worker runs the step.
//   - A step of plain SGD (no momentum) on one whole batch takes SGD's step
//     in the dw kernels (compiled.Layer.WeightGradSGD), on the parameters
//     in place, and never writes the gradient, when the model has them and
//     the gradient is certainly finite: every dx comes first, and each
//     layer's largest magnitudes of x and dz bound its gradient
//     (gradientBounded). Otherwise, or for other steps:
//   - The update is shared by chunks of the parameters (the *Chunk
//     optimizers), when the model has them, each worker summing, checking
//     and updating its ranges; otherwise the workers share the tiles' sum
//     and the calling goroutine checks and updates.
//
// A step uses at most as many workers as the process has cores at once.
//
// A partial tile is padded with zero rows whose gradient is zeroed, so
// padding never reaches the loss, the metrics or the parameters.
package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/scalar"
)

// Init chooses how New draws the initial weights. Biases start at zero.
type Init int

const (
	// InitAuto is He for layers with relu, leaky_relu, gelu, gelu_erf or silu and
	// Xavier for the others.
	InitAuto Init = iota
	// InitHe draws w from N(0, 2/In) (He et al. 2015, for relu-like layers).
	InitHe
	// InitXavier draws w from N(0, 2/(In+Out)) (Glorot and Bengio 2010).
	InitXavier
	// InitSmall draws w from N(0, 0.01²): randn·0.01.
	InitSmall
)

// MaxWorkers bounds Options.Workers: each worker holds its own activation
// and gradient buffers.
const MaxWorkers = 256

// MaxStepTiles bounds Options.StepSize at MaxStepTiles × Batch samples:
// each tile of a step holds a gradient as large as the parameters.
const MaxStepTiles = 256

// Options configures New. The zero value is valid: seed 0, InitAuto,
// GOMAXPROCS workers (at most MaxWorkers), steps of Batch samples, SGD
// with learning rate 0.01.
type Options struct {
	Seed uint64 // seeds the initial weights and Fit's shuffling
	Init Init
	// Workers is the number of goroutines per step and prediction, 1 to
	// MaxWorkers; 0 means GOMAXPROCS. It changes the speed, not the
	// results.
	Workers int
	// StepSize is the number of samples per optimizer step, 1 to
	// MaxStepTiles × Batch; 0 means Batch. Workers share a step by its
	// tiles of Batch rows, or split a step of one tile in two (see the
	// package doc).
	StepSize  int
	Optimizer Optimizer // nil means SGD{LR: 0.01}
}

// Network is a compiled network with its parameters and buffers.
//
// Methods that only read the network may be called from many goroutines
// at once: Predict, Classify, Evaluate, ConfusionOf, RegressionOf,
// Summary, Save, Encode, SaveCheckpoint, ExportONNX and Metadata; and
// SetMetadata, which changes only the metadata, beside any of them.
// TrainStep, Fit, SetOptimizer, SetLearningRate, Load, Decode and
// LoadCheckpoint change the parameters or the optimizer and must not run
// concurrently with anything else on the network.
type Network struct {
	desc   compiled.Network
	params []float32   // the parameter vector
	w, b   [][]float32 // per layer, views into params
	rng    *rand.Rand
	pcg    *rand.PCG // rng's source, whose state checkpoints save

	workers  []*worker
	tiles    []*tile // one per Batch rows of a step
	stepSize int
	crew     crew
	// halves is set when the kernels have halves: two workers then share a
	// step of one tile.
	halves bool
	// splitDepth is set when training computes the first layer's forward
	// pass as products over the two halves of its inputs (see
	// compiled.Layer.PartialForward): two workers sharing a step then
	// each own half of its rows of w.
	splitDepth bool
	tileFlops  int  // of one tile's step (see minSharedFlops)
	halved     bool // the current step's one tile is shared by two workers in halves
	chunks     int  // of the parameters, when the optimizers run by chunks (UpdateChunk)
	// fusable is set when the kernels have the fused SGD step (and its
	// halves, with the halves); fused when the current step may take
	// SGD's step in them (fusesSGD), and fusedStep once it has.
	fusable, fused, fusedStep bool
	// The current step: its data, its tiles with samples, the workers
	// that run them, and Batch/samples, which turns the tiles' sums into
	// a mean.
	srcX, srcT                 []float32
	activeTiles, activeWorkers int
	scale                      float32
	infer                      chan *workspace // idle inference workspaces, one per worker
	cuts                       cuts            // how Predict cuts rows into calls

	opt    Optimizer
	baseLR float32   // the rate SetOptimizer was given, which SetLearningRate leaves
	hyper  hyper     // the current step's update rule and values
	m, v   []float32 // optimizer state: velocity (v) or Adam's moments (m, v)
	step   int       // optimizer steps taken, for Adam's bias correction

	metaMu sync.RWMutex      // guards meta, which SetMetadata may change while others read it
	meta   map[string]string // the user's entries of the weights file's __metadata__
}

// New builds a network for desc with freshly initialized weights.
func New(desc compiled.Network, opts Options) (*Network, error) {
	if err := check(&desc); err != nil {
		return nil, err
	}
	workers := opts.Workers
	switch {
	case workers == 0:
		workers = min(runtime.GOMAXPROCS(0), MaxWorkers)
	case workers < 0 || workers > MaxWorkers:
		return nil, fmt.Errorf("nn: %d workers; Options.Workers must be 0 (GOMAXPROCS) or 1 to %d", workers, MaxWorkers)
	}
	stepSize := opts.StepSize
	switch {
	case stepSize == 0:
		stepSize = desc.Batch
	case stepSize < 0 || stepSize > MaxStepTiles*desc.Batch:
		return nil, fmt.Errorf("nn: Options.StepSize %d; it must be 0 (the batch, %d) or 1 to %d (%d tiles of the batch)",
			stepSize, desc.Batch, MaxStepTiles*desc.Batch, MaxStepTiles)
	}
	if opts.Init < InitAuto || opts.Init > InitSmall {
		return nil, fmt.Errorf("nn: unknown Init %d", opts.Init)
	}
	pcg := rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)
	n := &Network{
		desc:     desc,
		params:   make([]float32, desc.Params),
		rng:      rand.New(pcg),
		pcg:      pcg,
		infer:    make(chan *workspace, workers),
		stepSize: stepSize,
	}
	off := 0
	for _, l := range desc.Layers {
		n.w = append(n.w, n.params[off:off+l.In*l.Out:off+l.In*l.Out])
		off += l.In * l.Out
		n.b = append(n.b, n.params[off:off+l.Out:off+l.Out])
		off += l.Out
	}
	n.initWeights(opts.Init)
	n.cuts = planCuts(&n.desc)
	n.splitDepth = desc.Layers[0].PartialForward != nil && desc.Layers[0].Combine != nil
	n.tileFlops = tileFlops(&desc)
	n.halves = true
	for i, l := range desc.Layers {
		forward := l.ForwardHalf != nil || i == 0 && n.splitDepth
		n.halves = n.halves && forward && l.WeightGradHalf != nil && l.BiasGrad != nil &&
			(l.ActivationGrad == nil) == (l.ActivationGradHalf == nil) && (l.InputGrad == nil) == (l.InputGradHalf == nil)
	}
	n.fusable = true
	for _, l := range desc.Layers {
		n.fusable = n.fusable && l.WeightGradSGD != nil && (!n.halves || l.WeightGradSGDHalf != nil && l.BiasGradSGD != nil)
	}
	if c := desc.UpdateChunk; c > 0 {
		n.chunks = (desc.Params + c - 1) / c
	}
	tiles := (stepSize + desc.Batch - 1) / desc.Batch
	for range tiles {
		n.tiles = append(n.tiles, newTile(&n.desc))
	}
	for i := range workers {
		n.workers = append(n.workers, newWorker(n, i, tiles))
		n.infer <- newWorkspace(&n.desc)
	}
	opt := opts.Optimizer
	if opt == nil {
		opt = SGD{LR: 0.01}
	}
	if err := n.SetOptimizer(opt); err != nil {
		return nil, err
	}
	return n, nil
}

// check rejects a descriptor nn cannot drive.
func check(d *compiled.Network) error {
	if len(d.Layers) == 0 || d.Batch <= 0 || d.Input <= 0 {
		return errors.New("nn: the network has no layers or no batch")
	}
	in, params := d.Input, 0
	for i, l := range d.Layers {
		if l.In != in || l.Out <= 0 {
			return fmt.Errorf("nn: layer %d is %d×%d but follows a width of %d", i+1, l.In, l.Out, in)
		}
		if l.Forward == nil || l.WeightGrad == nil || (i > 0 && l.InputGrad == nil) {
			return fmt.Errorf("nn: layer %d lacks a kernel", i+1)
		}
		in, params = l.Out, params+l.In*l.Out+l.Out
	}
	if params != d.Params {
		return fmt.Errorf("nn: the layers have %d parameters, the descriptor says %d", params, d.Params)
	}
	if d.LossGrad == nil || d.SGD == nil || d.Momentum == nil || d.Nesterov == nil || d.Adam == nil || d.AdamW == nil {
		return errors.New("nn: the descriptor lacks its loss or optimizer kernels")
	}
	if d.UpdateChunk < 0 || d.UpdateChunk > 0 && (d.SGDChunk == nil || d.MomentumChunk == nil || d.NesterovChunk == nil || d.AdamChunk == nil || d.AdamWChunk == nil) {
		return errors.New("nn: the descriptor lacks its chunk optimizers")
	}
	switch d.Loss {
	case compiled.MSE, compiled.BinaryCrossEntropy, compiled.CrossEntropy:
	default:
		return fmt.Errorf("nn: unknown loss %q", d.Loss)
	}
	if err := d.CheckServing(); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	return nil
}

func (n *Network) initWeights(init Init) {
	for i, l := range n.desc.Layers {
		mode := init
		if mode == InitAuto {
			mode = InitXavier
			switch l.Activation {
			case scalar.ReLU, scalar.LeakyReLU, scalar.GELU, scalar.GELUErf, scalar.SiLU:
				mode = InitHe
			}
		}
		std := 0.01
		switch mode {
		case InitHe:
			std = math.Sqrt(2 / float64(l.In))
		case InitXavier:
			std = math.Sqrt(2 / float64(l.In+l.Out))
		}
		for j := range n.w[i] {
			n.w[i][j] = float32(n.rng.NormFloat64() * std)
		}
		clear(n.b[i])
	}
}

// Desc returns the network's descriptor.
func (n *Network) Desc() compiled.Network { return n.desc }

// Input and Output are the widths of a sample and of a prediction.
func (n *Network) Input() int  { return n.desc.Input }
func (n *Network) Output() int { return n.desc.Output() }

// Workers is the number of goroutines a step or a prediction uses.
func (n *Network) Workers() int { return len(n.workers) }

// StepSize is the most samples one TrainStep takes, and the number Fit
// takes per step: Options.StepSize.
func (n *Network) StepSize() int { return n.stepSize }

// Params returns the parameter vector itself: for each layer, w (In×Out,
// row-major) then b. Changing it changes the network.
func (n *Network) Params() []float32 { return n.params }

// Layer returns layer i's weights (In×Out, row-major: w[k·Out+j] connects
// input k to output j) and bias, as views into the parameters. Layers are
// numbered from 0 here, as in the parameter vector.
func (n *Network) Layer(i int) (w, b []float32, err error) {
	if i < 0 || i >= len(n.w) {
		return nil, nil, fmt.Errorf("nn: no layer %d; the network has layers 0 to %d", i, len(n.w)-1)
	}
	return n.w[i], n.b[i], nil
}

// rows returns how many samples x holds, or an error when its length is not
// a multiple of the width the model takes.
func rows(what string, x []float32, width int) (int, error) {
	if len(x)%width != 0 {
		return 0, fmt.Errorf("nn: %s has %d values, not a whole number of samples of the %d features the model takes (dataset.Set.TargetsFor compares a set's width with the model's)", what, len(x), width)
	}
	return len(x) / width, nil
}
