package nn

import (
	"math"
	"sync/atomic"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/internal/vec"
	"github.com/vecgen/vecgen/scalar"
)

// workspace holds one batch's forward buffers: the input tile and each
// layer's pre-activation (when its derivative needs it) and output.
type workspace struct {
	desc *compiled.Network
	x    []float32   // Batch×Input
	z, y [][]float32 // per layer, Batch×Out; z is nil unless PreActivation

	own *predictJob // the state of a Predict call this workspace leads
	job *predictJob // the prediction this workspace helps with
	run func()      // helps with job; built once so starting it allocates nothing
}

func newWorkspace(desc *compiled.Network) *workspace {
	B := desc.Batch
	ws := &workspace{desc: desc, x: make([]float32, B*desc.Input), own: new(predictJob)}
	for _, l := range desc.Layers {
		var z []float32
		if l.PreActivation {
			z = make([]float32, B*l.Out)
		}
		ws.z = append(ws.z, z)
		ws.y = append(ws.y, make([]float32, B*l.Out))
	}
	ws.run = ws.help
	return ws
}

// forward runs every layer on the tile in ws.x; the result is ws.out().
func (ws *workspace) forward(w, b [][]float32) { ws.forwardFrom(0, ws.x, w, b) }

// forwardFrom runs layers first, first+1, … from in, layer first's input
// (a batch of rows), each on the previous layer's output.
func (ws *workspace) forwardFrom(first int, in []float32, w, b [][]float32) {
	for i := first; i < len(ws.desc.Layers); i++ {
		ws.desc.Layers[i].Forward(in, w[i], b[i], ws.z[i], ws.y[i])
		in = ws.y[i]
	}
}

func (ws *workspace) out() []float32 { return ws.y[len(ws.y)-1] }

// input is layer i's input: x, or the previous layer's output.
func (ws *workspace) input(i int) []float32 {
	if i == 0 {
		return ws.x
	}
	return ws.y[i-1]
}

// serve runs serving pass s (an index into the descriptor's Serving, or
// −1 for the batch's Forward kernels) on x, its rows of inputs (ws.x's
// first rows, or the caller's), and returns the output's rows.
func (ws *workspace) serve(s int, x []float32, w, b [][]float32) []float32 {
	if s < 0 {
		ws.forwardFrom(0, x, w, b)
		return ws.out()
	}
	pass := &ws.desc.Serving[s]
	rows := pass.Rows
	in := x
	for i, l := range ws.desc.Layers {
		var z []float32
		if ws.z[i] != nil {
			z = ws.z[i][:rows*l.Out]
		}
		y := ws.y[i][:rows*l.Out]
		pass.Forward[i](in, w[i], b[i], z, y)
		in = y
	}
	return in
}

// span is a block of a tile: its rows lo to hi−1 and, in each, the
// columns c0 to c1−1 of rows width floats long.
type span struct{ lo, hi, c0, c1, width int }

// wholeRows is the whole width of rows lo to hi−1.
func wholeRows(lo, hi, width int) span { return span{lo, hi, 0, width, width} }

// load fills the span of the tile from x, rows of the same width: tile
// row r from row src.row(r) of x when r < count, zeroes past it. A
// shuffled epoch's rows lie anywhere in x: vec.GatherRows copies them four
// at a time, so that their cache misses overlap.
func load(tile, x []float32, s span, src rowSource, count int) {
	last := max(s.lo, min(s.hi, count)) // the rows from last on are past the data
	if src.idx != nil && last > s.lo {
		rows := src.idx[src.lo+s.lo : src.lo+last]
		vec.GatherRows(tile[s.lo*s.width+s.c0:], s.width, x[s.c0:], s.width, rows, s.c1-s.c0)
	} else {
		for r := s.lo; r < last; r++ {
			i := src.row(r)
			copy(tile[r*s.width+s.c0:r*s.width+s.c1], x[i*s.width+s.c0:i*s.width+s.c1])
		}
	}
	for r := last; r < s.hi; r++ {
		clear(tile[r*s.width+s.c0 : r*s.width+s.c1])
	}
}

// rowSource maps a tile's rows to rows of the data: lo+r, or idx[lo+r]
// when idx is set (a shuffled epoch).
type rowSource struct {
	idx []int
	lo  int
}

func (s rowSource) row(r int) int {
	if s.idx != nil {
		return s.idx[s.lo+r]
	}
	return s.lo + r
}

// tile is one Batch-row slice of a training step and its gradient. A step
// of StepSize samples is cut into tiles at fixed rows, whatever the number
// of workers, and their gradients are summed in tile order, so the result
// does not depend on which worker ran which tile.
type tile struct {
	grad   []float32   // the tile's gradient of every parameter, laid out as Network.params
	gw, gb [][]float32 // per layer, views into grad

	// The rows to train on, set before a step.
	src   rowSource
	count int
	// Results: the tile's mean loss and correct predictions.
	loss    float64
	correct int
}

func newTile(d *compiled.Network) *tile {
	t := &tile{grad: make([]float32, d.Params)}
	off := 0
	for _, l := range d.Layers {
		t.gw = append(t.gw, t.grad[off:off+l.In*l.Out])
		off += l.In * l.Out
		t.gb = append(t.gb, t.grad[off:off+l.Out])
		off += l.Out
	}
	return t
}

// worker is one goroutine's share of a training step: a workspace and the
// backward buffers it runs its tiles with.
type worker struct {
	*workspace
	net    *Network
	target []float32    // Batch×Output
	d      [][]float32  // per layer, Batch×Out: the gradient w.r.t. z (after ActivationGrad)
	wt     [][]float32  // per layer, Out×In: InputGrad's scratch
	part   [2][]float32 // Batch×Out of the first layer: its products over the two halves of its inputs (split depth)
	spare  []float32    // Batch×Output scratch for the loss of a partial tile
	index  int          // in Network.workers: picks the worker's tiles, half and share of the sums and the update
	// The tiles' shares of the parameters sumTiles adds; room for all.
	others [][]float32

	awake     atomic.Bool   // a goroutine serves the worker (see crew)
	seen      atomic.Uint64 // the last crew round the worker's goroutine saw
	sleeper   sleeper       // how the worker waits for the others
	nonFinite int           // sumChunks' finding: the first non-finite gradient in the worker's chunks, or −1
	// bounds holds, per layer, the largest magnitudes of the input and
	// of dz in the worker's rows of the batch (Network.gradientBounded).
	bounds []layerBound
}

// layerBound is the largest magnitude of a layer's input x and of its dz
// over some rows of a batch.
type layerBound struct{ x, dz float32 }

func newWorker(n *Network, index, tiles int) *worker {
	d := &n.desc
	B := d.Batch
	w := &worker{workspace: newWorkspace(d), net: n, index: index, sleeper: newSleeper(),
		target: make([]float32, B*d.Output()), spare: make([]float32, B*d.Output())}
	for _, l := range d.Layers {
		w.d = append(w.d, make([]float32, B*l.Out))
		var wt []float32
		if l.InputGrad != nil {
			wt = make([]float32, l.In*l.Out)
		}
		w.wt = append(w.wt, wt)
	}
	w.others = make([][]float32, 0, tiles)
	w.bounds = make([]layerBound, len(d.Layers))
	if n.splitDepth {
		for h := range w.part {
			w.part[h] = make([]float32, B*d.Layers[0].Out)
		}
	}
	return w
}

// trainTiles trains the step's tiles index, index+W, index+2W, … (W the
// step's active workers).
func (w *worker) trainTiles() {
	n := w.net
	for j := w.index; j < n.activeTiles; j += n.activeWorkers {
		w.train(n.tiles[j])
	}
}

// trainForward is the forward pass of a training step on the tile in
// w.x. With the split depth, the first layer is its two partial products
// and their combine, as two workers sharing the step compute it, so that
// the result does not depend on the workers.
func (w *worker) trainForward() {
	n := w.net
	if !n.splitDepth {
		w.forward(n.w, n.b)
		return
	}
	l := w.desc.Layers[0]
	for h := range w.part {
		l.PartialForward(h, w.x, n.w[0], w.part[h])
	}
	for h := range w.part {
		l.Combine(h, w.part[0], w.part[1], n.b[0], w.z[0], w.y[0])
	}
	w.forwardFrom(1, w.y[0], n.w, n.b)
}

// train runs forward and backward on tile t, leaving its gradient (scaled
// as the loss kernel scales it, by 1/Batch) in t.grad; or, when the step
// fuses SGD (Network.fused) and the gradient is bounded, taking the step
// with it on the parameters instead (Network.fusedStep records which).
// The backward pass computes every dx before any dw: a fused dw changes
// w, which the dx of its layer reads.
func (w *worker) train(t *tile) {
	d, n := w.desc, w.net
	load(w.workspace.x, n.srcX, wholeRows(0, d.Batch, d.Input), t.src, t.count)
	load(w.target, n.srcT, wholeRows(0, d.Batch, d.Output()), t.src, t.count)
	w.trainForward()
	w.loss(t)
	last := len(d.Layers) - 1
	if l := d.Layers[last]; l.ActivationGrad != nil {
		l.ActivationGrad(w.z[last], w.y[last], w.d[last])
	}
	for i := last; i > 0; i-- {
		d.Layers[i].InputGrad(w.d[i], n.w[i], w.wt[i], w.d[i-1])
		if prev := d.Layers[i-1]; prev.ActivationGrad != nil {
			prev.ActivationGrad(w.z[i-1], w.y[i-1], w.d[i-1])
		}
	}
	fused := false
	if n.fused {
		w.bound(w.workspace, w.d, 0, d.Batch)
		fused = n.gradientBounded(t.loss)
		n.fusedStep = fused
	}
	for i := last; i >= 0; i-- {
		l, in := d.Layers[i], w.input(i)
		if fused {
			l.WeightGradSGD(in, w.d[i], n.w[i], n.b[i], n.hyper.lr, n.hyper.decay)
		} else {
			l.WeightGrad(in, w.d[i], t.gw[i], t.gb[i])
		}
	}
}

// bound records in w.bounds, for every layer, the largest magnitudes of
// its input in ws and of its dz (d[i]) over the batch's rows lo to hi−1.
func (w *worker) bound(ws *workspace, d [][]float32, lo, hi int) {
	for i, l := range w.desc.Layers {
		w.bounds[i] = layerBound{
			x:  vec.MaxAbs(ws.input(i)[lo*l.In : hi*l.In]),
			dz: vec.MaxAbs(d[i][lo*l.Out : hi*l.Out]),
		}
	}
}

// loss runs the loss kernel on the forward's output, leaving the loss
// gradient in the last layer's d and tile t's mean loss and correct
// predictions in t.
func (w *worker) loss(t *tile) {
	d := w.desc
	B, out := d.Batch, d.Output()
	last := len(d.Layers) - 1
	y, dl := w.y[last], w.d[last]
	loss := d.LossGrad(y, w.target, dl)
	if t.count < B {
		// Padding rows must not count: their gradient is zeroed and the
		// loss recomputed over the real rows.
		clear(dl[t.count*out:])
		loss = float32(lossOf(d.Loss, y[:t.count*out], w.target[:t.count*out], w.spare, t.count, out))
	}
	t.loss = float64(loss)
	t.correct = correct(d.Loss, y[:t.count*out], w.target[:t.count*out], out)
}

// lossOf is the loss of rows outputs y against targets t, computed by the
// reference in float64 (spare receives the gradient, unused).
func lossOf(loss compiled.Loss, y, t, spare []float32, rows, width int) float64 {
	switch loss {
	case compiled.CrossEntropy:
		return float64(scalar.SoftmaxCrossEntropy(y, t, spare, rows, width))
	case compiled.BinaryCrossEntropy:
		return float64(scalar.SigmoidBinaryCrossEntropy(y, t, spare, rows, width))
	}
	return float64(scalar.MeanSquaredError(y, t, spare, rows, width))
}

// correct counts correct predictions: rows whose largest output is the
// target's largest (cross-entropy), or outputs on the target's side of 0.5
// (binary cross-entropy). Regression (mse) has no accuracy: 0.
func correct(loss compiled.Loss, y, t []float32, width int) int {
	n := 0
	switch loss {
	case compiled.CrossEntropy:
		for r := 0; r < len(y); r += width {
			if argmax(y[r:r+width]) == argmax(t[r:r+width]) {
				n++
			}
		}
	case compiled.BinaryCrossEntropy:
		for i := range y {
			if (y[i] >= 0.5) == (t[i] >= 0.5) {
				n++
			}
		}
	}
	return n
}

// accuracy turns a count of correct predictions among count samples of
// width outputs into a fraction; NaN for mse, which has none.
func accuracy(loss compiled.Loss, right, count, width int) float64 {
	switch loss {
	case compiled.CrossEntropy:
		return float64(right) / float64(count)
	case compiled.BinaryCrossEntropy:
		return float64(right) / float64(count*width)
	}
	return math.NaN()
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
