package nn

import (
	"math"

	"github.com/vecgen/vecgen/compiled"
)

// cuts says how Predict cuts any number of rows into kernel calls: whole
// batches through the Forward kernels, then the rows left, r < Batch,
// through the calls chosen for r, each over a serving pass's rows (or a
// batch's), the last padded with zero rows when its kernel has more rows
// than remain. The choice for each r is the one the plan's model of the
// passes' times (Network.BatchCycles, Serving.Cycles) finds fastest in
// all: with serving passes of 32, 16, 8, 4, 2 and 1 rows, 7 rows may take
// 4, 2 and 1, or 8 padded, whichever costs less. Rows are
// independent in every kernel and the serving kernels write each row as
// Forward does, so a row's output does not depend on how its call was cut.
type cuts struct {
	// calls[from[r]:from[r+1]] are the calls for r rows left, each the
	// index of a serving pass in desc.Serving, or -1 for a batch.
	calls []int
	from  []int32
}

// planCuts chooses the calls for every count of rows below the batch, by
// dynamic programming over the passes' modeled times: best[r] is the
// least time of r rows, a first call over k rows plus best[r − min(k,
// r)]. Without serving passes (or a model), every count pads into a batch.
func planCuts(desc *compiled.Network) cuts {
	B := desc.Batch
	type pass struct {
		index  int
		rows   int
		cycles float64
	}
	passes := []pass{{-1, B, max(desc.BatchCycles, 1)}}
	for i, s := range desc.Serving {
		passes = append(passes, pass{int(i), s.Rows, s.Cycles})
	}
	best := make([]float64, B)
	first := make([]int, B) // index into passes of r rows' first call
	for r := 1; r < B; r++ {
		best[r] = math.Inf(1)
		for i, p := range passes {
			if c := p.cycles + best[r-min(p.rows, r)]; c < best[r] {
				best[r], first[r] = c, i
			}
		}
	}
	c := cuts{from: make([]int32, B+1)}
	for r := range B {
		c.from[r] = int32(len(c.calls))
		for left := r; left > 0; left -= min(passes[first[left]].rows, left) {
			c.calls = append(c.calls, passes[first[left]].index)
		}
	}
	c.from[B] = int32(len(c.calls))
	return c
}

// of returns the calls for r rows left (0 ≤ r < Batch).
func (c *cuts) of(r int) []int { return c.calls[c.from[r]:c.from[r+1]] }
