package plan

// Tile is a register block of a matrix product: MR rows of C by NR columns
// (NR a multiple of the tier's lanes), with MR·NR/lanes accumulators, NR/lanes
// registers for a row of B and one broadcast of A.
type Tile struct{ MR, NR int }

// DefaultTile is the classic AVX2 plan: 12 accumulators, 2 for B, 1
// broadcast, which with a column tail's register fills the 16 YMM.
var DefaultTile = Tile{MR: 6, NR: 16}

// RowTile is the AVX2 plan for a product with one row (a matrix-vector
// product, as in a batch-1 forward or dX): 12 independent accumulators
// across 96 columns, enough to cover the FMA latency, with B read straight
// into the FMAs. Each element of B is used once, so the product is bound
// by streaming B from cache, not by arithmetic.
var RowTile = Tile{MR: 1, NR: 96}

// BlockBudget is the most bytes of B a product keeps in L2 while every
// block of rows streams past it: half of the smallest L2 of the CPUs the
// kernels have run on (2 MB a core), so that A and C have room too.
const BlockBudget = 1 << 20

// blocks returns the panels of a product of tile t: none when B fits
// BlockBudget or A has one row (each element of B is then used once
// anyway); otherwise depth in chunks of 256 steps (or all of it, when
// shorter) and columns in the widest multiple of the tile's width whose
// chunk of B fits the budget.
func blocks(g *Gemm, t Tile) (depth, cols int) {
	if g.Rows == 1 || 4*g.Depth*g.Cols <= BlockBudget {
		return 0, 0
	}
	depth = min(g.Depth, 256)
	cols = max(t.NR, BlockBudget/(4*depth)/t.NR*t.NR)
	return depth, cols
}

// Chains is the number of accumulator sets a tile of vecs vectors (vecs ≤
// NR/lanes) splits the depth over, step d adding into set d mod Chains,
// and summed at the end. A one-row tile narrower than NR would otherwise
// leave too few independent FMAs in flight to cover their latency: the
// batch-1 output layer has 2 AVX2 vectors.
func (m Impl) Chains(vecs int) int {
	if m.Tile.MR != 1 {
		return 1
	}
	return max(1, min(m.Unroll, m.Tile.NR/m.ISA.Lanes/vecs))
}

// Registers is the number of vector registers the tile's inner loop keeps
// live at most, counting the one a partial column tail is assembled in
// (its high half, or for a one-row tile the whole vector, which cannot fold
// into the FMA as a full one does).
func (m Impl) Registers() int {
	vecs := m.Tile.NR / m.ISA.Lanes
	if m.Tile.MR == 1 {
		return vecs + 1 + 1
	}
	return m.Tile.MR*vecs + vecs + 1 + 1
}

// tile is the register block a product gets on tier isa, and its depth
// unrolling. AVX2 keeps its classic tiles; AVX-512 takes the tile of
// wideTiles that bestTile's model finds fastest for this shape.
func tile(isa ISA, g *Gemm) (Tile, int) {
	switch {
	case isa == AVX512 && g.Rows == 1:
		return WideRowTile, 4
	case isa == AVX512:
		return bestTile(g, isa), 4
	case g.Rows == 1:
		return RowTile, 4
	}
	return DefaultTile, 4
}

// WideRowTile is the AVX-512 matrix-vector tile: 16 accumulators across
// 256 columns, twice the 8 independent FMAs two 512-bit FMA ports need in
// flight to cover a 4-cycle latency.
var WideRowTile = Tile{MR: 1, NR: 256}

// Step costs of the tile model, in cycles: two FMAs and two vector loads
// issue per cycle, and since each accumulator is updated once per depth
// step, a step takes at least minStep cycles: an FMA's latency (4 cycles
// on the cores measured) plus one of scheduling slack, so a tile needs
// more than the bare 2×4 = 8 accumulators to keep both ports busy.
const (
	fmaPorts  = 2
	loadPorts = 2
	minStep   = 5
)

// stepCycles is the model's time of one depth step of a rows×vecs tile:
// rows·vecs FMAs, rows broadcasts and vecs loads of B.
func stepCycles(rows, vecs int) float64 {
	fma := float64(rows*vecs) / fmaPorts
	loads := float64(rows+vecs) / loadPorts
	return max(fma, loads, minStep)
}

// tileCycles is the model's time of one rows×vecs tile over depth steps:
// the steps, then zeroing, finishing and storing each accumulator and
// setting up the tile's pointers (about 2 cycles an accumulator and 10 a
// tile), which weigh on short depths such as a batch of 64 in dW.
func tileCycles(rows, vecs, depth int) float64 {
	return float64(depth)*stepCycles(rows, vecs) + float64(2*rows*vecs+10)
}

// bestTile returns the tile of at most isa.Registers − 3 accumulators
// and B registers (one left for the broadcast, one for a tail, one for
// the epilogue's temporaries; with two, avo failed to allocate a 9×48
// tile) that
// minimizes the model's time for the whole product, its row and column
// remainders included; among equals, the one with more accumulators (each
// value loaded serves more FMAs), then more rows, so the choice is
// deterministic.
func bestTile(g *Gemm, isa ISA) Tile {
	var best Tile
	bestCost, bestAccs := 0.0, 0
	for vecs := 1; vecs <= 4; vecs++ {
		for mr := 1; mr*vecs+vecs+3 <= isa.Registers; mr++ {
			nr := vecs * isa.Lanes
			cost := 0.0
			for _, rows := range []int{mr, g.Rows % mr} {
				n := g.Rows / mr
				if rows != mr {
					n = 1
				}
				if rows == 0 || n == 0 {
					continue
				}
				full, rem := g.Cols/nr, g.Cols%nr
				c := float64(full) * tileCycles(rows, vecs, g.Depth)
				if rem > 0 {
					c += tileCycles(rows, (rem+isa.Lanes-1)/isa.Lanes, g.Depth)
				}
				cost += float64(n) * c
			}
			accs := mr * vecs
			if best.MR == 0 || cost < bestCost || cost == bestCost && accs >= bestAccs {
				best, bestCost, bestAccs = Tile{MR: mr, NR: nr}, cost, accs
			}
		}
	}
	return best
}
