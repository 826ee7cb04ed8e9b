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

// chunkRanges is the worker's share of the parameters' chunks in an
// update the step's active workers share, as one or two ranges [lo, hi):
// equal shares, in order. When two workers shared a step of one tile with
// the split depth, each computed with half of the first layer's rows of w
// alone, and keeps them: worker 0 takes the chunks before the boundary
// nearest to the middle of that w, worker 1 the next half of all chunks,
// and worker 0 the rest. (Splitting at that boundary alone left worker 1
// three quarters of a model whose later layers are as large as its first:
// spec/wide.yaml's update took 0.97 ms on two cores against 0.7 on one.)
func (w *worker) chunkRanges() [2][2]int {
	n := w.net
	if n.splitDepth && n.halved {
		l := n.desc.Layers[0]
		mid := (l.In/2*l.Out + n.desc.UpdateChunk/2) / n.desc.UpdateChunk
		mid = max(1, min(n.chunks-1, mid))
		end := min(n.chunks, mid+n.chunks/2)
		if w.index == 0 {
			return [2][2]int{{0, mid}, {end, n.chunks}}
		}
		return [2][2]int{{mid, end}}
	}
	return [2][2]int{{n.chunks * w.index / n.activeWorkers, n.chunks * (w.index + 1) / n.activeWorkers}}
}

// sumChunks writes scale·Σ_j grad_j into tile 0's gradient over the
// worker's chunks (when the step has more than one tile or a partial one),
// summing the tiles in order, and sets nonFinite to the first parameter
// of those chunks whose gradient is NaN or infinite, or −1.
func (w *worker) sumChunks() {
	n := w.net
	size := n.desc.UpdateChunk
	w.nonFinite = -1
	for _, r := range w.chunkRanges() {
		for c := r[0]; c < r[1]; c++ {
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
}

// updateChunks applies the step's update to the worker's chunks.
func (w *worker) updateChunks() {
	n := w.net
	for _, r := range w.chunkRanges() {
		for c := r[0]; c < r[1]; c++ {
			n.updateChunk(c, n.tiles[0].grad)
		}
	}
}
