package nn

import "github.com/vecgen/vecgen/internal/vec"

// sumTiles writes scale·Σ_j grad_j into tile 0's gradient over the
// parameters [from, to), summing the step's tiles in order: each
// parameter's sum is the same whichever worker computes it.
func (w *worker) sumTiles(from, to int) {
	n := w.net
	tiles := n.tiles[:n.activeTiles]
	w.others = w.others[:0]
	for _, t := range tiles[1:] {
		w.others = append(w.others, t.grad[from:to])
	}
	vec.SumScaled(tiles[0].grad[from:to], w.others, n.scale)
}

// reduce is sumTiles over this worker's share of the parameters.
func (w *worker) reduce() {
	n := w.net
	w.sumTiles(n.desc.Params*w.index/n.activeWorkers, n.desc.Params*(w.index+1)/n.activeWorkers)
}

// chunkRange is the worker's share of the parameters' chunks in an
// update the step's active workers share: equal shares, except that when
// two workers shared a step of one tile with the split depth, they split
// at the chunk boundary nearest to the middle of the first layer's w, so
// that each updates the rows of w it alone computes with.
func (w *worker) chunkRange() (lo, hi int) {
	n := w.net
	if n.splitDepth && n.halved {
		l := n.desc.Layers[0]
		mid := (l.In/2*l.Out + n.desc.UpdateChunk/2) / n.desc.UpdateChunk
		mid = max(1, min(n.chunks-1, mid))
		if w.index == 0 {
			return 0, mid
		}
		return mid, n.chunks
	}
	return n.chunks * w.index / n.activeWorkers, n.chunks * (w.index + 1) / n.activeWorkers
}

// sumChunks writes scale·Σ_j grad_j into tile 0's gradient over the
// worker's chunks (when the step has more than one tile or a partial one),
// summing the tiles in order, and sets nonFinite to the first parameter
// of those chunks whose gradient is NaN or infinite, or −1.
func (w *worker) sumChunks() {
	n := w.net
	size := n.desc.UpdateChunk
	lo, hi := w.chunkRange()
	w.nonFinite = -1
	for c := lo; c < hi; c++ {
		from, to := c*size, min((c+1)*size, n.desc.Params)
		if n.activeTiles > 1 || n.scale != 1 {
			w.sumTiles(from, to)
		}
		if i := vec.FirstNonFinite(n.tiles[0].grad[from:to]); i >= 0 {
			w.nonFinite = from + i
			return
		}
	}
}

// updateChunks applies the step's update to the worker's chunks.
func (w *worker) updateChunks() {
	n := w.net
	lo, hi := w.chunkRange()
	for c := lo; c < hi; c++ {
		n.updateChunk(c, n.tiles[0].grad)
	}
}
