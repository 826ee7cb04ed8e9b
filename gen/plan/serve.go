package plan

import (
	"slices"

	"github.com/vecgen/vecgen/spec"
)

// Serving: a network trained in batches of B rows is served on any number
// of rows n. Whole batches take the training Forward kernels; the rows
// left take forward kernels over fewer rows, the serving kernels, each a
// Forward kernel (Kernel.Rows set) whose rows are bit for bit those the
// training kernel writes: both sum each output in depth order in one
// accumulator (Impl.OneChain), then add the bias and apply the activation
// with the same instructions.

// MaxDefaultServe bounds the default's row counts: each adds a forward
// kernel per layer and tier to the generated code (a model of batch 1024
// and 32 layers of 1024 took 48 s to generate, 52 MB, with all nine
// powers of two below its batch, against 6 s and 16 MB with none).
// Counts below the smallest power kept take the one-row kernel or pad.
const MaxDefaultServe = 6

// callCycles is the model's fixed cost of one kernel call: the call
// through the descriptor's closure, the pointers and loop counts set up,
// and the vector constants loaded.
const callCycles = 100

// DefaultServe is the serving row counts of a model whose spec has no
// serve key, largest first: 1, a matrix-vector product that serves one
// request, and each power of two below the batch, largest first, that
// the model puts faster than padding into the next larger kept (the
// batch to start with) on every tier, up to MaxDefaultServe counts in
// all. Greedily taken largest first, powers of two cover any count of
// rows below the batch exactly.
func DefaultServe(m *spec.Model) []int {
	if m.Batch == 1 {
		return nil
	}
	keep := []int{}
	larger := m.Batch
	for s := 1 << 30; s > 1 && len(keep) < MaxDefaultServe-1; s >>= 1 {
		if s >= m.Batch {
			continue
		}
		if cheaperThanPadding(m, s, larger) {
			keep = append(keep, s)
			larger = s
		}
	}
	return append(keep, 1)
}

// cheaperThanPadding reports whether a forward pass over rows rows takes
// less time than padding them into one over larger rows, on every tier's
// model: that pass, and the copy of its rows into the workspace it reads
// (PadCycles).
func cheaperThanPadding(m *spec.Model, rows, larger int) bool {
	for _, isa := range Tiers {
		if ForwardCycles(isa, m, rows) >= ForwardCycles(isa, m, larger)+PadCycles(m, larger) {
			return false
		}
	}
	return true
}

// PadCycles is the model's time of filling the rows of a padded call's
// input: its rows of Input floats, copied or zeroed, 32 bytes a cycle.
// (Measured on the Zen 5: Predict of 2 rows padded into the 4-row
// kernels took 0.3 µs more than Predict of 4 rows, which reads them in
// place, and 0.8 µs more than through 2-row kernels.)
func PadCycles(m *spec.Model, rows int) float64 { return float64(rows*m.Input*4) / 32 }

// ForwardCycles is the model's time of a forward pass of m over rows
// rows on tier isa: each layer's product in its tiles (productCycles),
// but no faster than streaming w from L2 once for each block of rows
// (Core.L2Bytes a cycle), plus a call's fixed cost. The activations'
// second passes are left out: they cost the same per row whichever
// kernel runs.
func ForwardCycles(isa ISA, m *spec.Model, rows int) float64 {
	total := 0.0
	for _, l := range m.Layers {
		g := forwardGemm(rows, l)
		t, _ := tile(isa, &g)
		blocks := (rows + t.MR - 1) / t.MR
		stream := float64(blocks*4*l.In*l.Out) / float64(isa.Core.L2Bytes)
		total += max(productCycles(isa, &g, t), stream) + callCycles
	}
	return total
}

// ReferenceCycles is the model's time of a forward pass of m over rows
// rows on the scalar reference: one multiply-add a cycle.
func ReferenceCycles(m *spec.Model, rows int) float64 {
	total := 0.0
	for _, l := range m.Layers {
		total += float64(rows*l.In*l.Out) + callCycles
	}
	return total
}

// forwardGemm is layer l's forward product over rows rows: x (rows×In)
// times w (In×Out) into y (rows×Out).
func forwardGemm(rows int, l spec.Layer) Gemm {
	return Gemm{Rows: rows, Cols: l.Out, Depth: l.In, ARow: l.In, ADepth: 1, BDepth: l.Out, CRow: l.Out}
}

// serveRows is the serving row counts of m, largest first: the spec's
// serve list, or DefaultServe's.
func serveRows(m *spec.Model) []int {
	if m.Serve == nil {
		return DefaultServe(m)
	}
	rows := slices.Clone(m.Serve)
	slices.Sort(rows)
	slices.Reverse(rows)
	return rows
}

// FindServe returns layer's serving Forward kernel over rows rows, or nil.
func (p *Plan) FindServe(layer, rows int) *Kernel {
	if rows <= 0 {
		return nil
	}
	return p.find(Forward, layer, false, rows)
}
