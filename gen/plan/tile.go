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

// blocks returns the panels of a product of tile t on cores c: none when
// B is smaller than c.BlockBudget or A has one row (each element of B is then used
// once anyway); otherwise depth in chunks of 256 steps (or all of it, when
// shorter; all of it when whole is set) and columns in the widest
// multiple of the tile's width whose chunk of B fits the budget.
func blocks(g *Gemm, t Tile, c Core, whole bool) (depth, cols int) {
	if g.Rows == 1 || 4*g.Depth*g.Cols < c.BlockBudget {
		return 0, 0
	}
	depth = min(g.Depth, 256)
	if whole {
		depth = g.Depth
	}
	cols = max(t.NR, c.BlockBudget/(4*depth)/t.NR*t.NR)
	return depth, cols
}

// packing returns the blocks a packed product of tile t copies its
// operands in on cores c: depth steps of each micro-panel of B at a time,
// the most multiples of unroll whose Tile.NR columns fit c.PackBytes (or
// the whole depth when shorter); and rows of A at a time, a multiple of
// t.MR (or all of them) making the fewest panels whose chunks
// (Gemm.PackedA) fit c.PackABytes, as even as the tiles allow. None when B is smaller than c.BlockBudget, or A has no more
// rows than one tile: B is then read once whatever its layout, and a copy
// would double its traffic. With whole set, the depth is taken whole,
// in one chunk.
func packing(g *Gemm, t Tile, unroll int, c Core, whole bool) (depth, rows int) {
	if g.Rows <= t.MR || 4*g.Depth*g.Cols < c.BlockBudget {
		return 0, 0
	}
	depth = min(g.Depth, max(unroll, c.PackBytes/(4*t.NR)/unroll*unroll))
	if whole {
		depth = g.Depth
	}
	most := g.Rows // the most rows whose chunk fits, a multiple of MR below Rows
	for most > t.MR {
		if _, floats := g.PackedA(depth, most); 4*floats <= c.PackABytes {
			break
		}
		most = (most - 1) / t.MR * t.MR
	}
	panels := (g.Rows + most - 1) / most // as few as fit, as even as tiles allow
	rows = ((g.Rows+panels-1)/panels + t.MR - 1) / t.MR * t.MR
	return depth, min(rows, g.Rows)
}

// PackedA is the layout of a packed chunk of depth steps of rows rows of
// A: stride floats between its lines, floats in all. When A's rows lie
// along the depth (forward, dX), a line is a row; otherwise (dW, where A
// is xᵀ) a line is a step, holding rows adjacent floats of a row of x.
// Read in place, the lines a tile reads are often a power of two of bytes
// apart (a layer 1024 wide), so that they all fall in one set of L1 and
// evict each other; packed, they are a cache line more than their length
// apart (PackedStride) and spread over the sets.
func (g Gemm) PackedA(depth, rows int) (stride, floats int) {
	if g.ADepth == 1 {
		stride = PackedStride(depth)
		return stride, rows * stride
	}
	stride = PackedStride(rows)
	return stride, depth * stride
}

// PackedStride is the floats between the lines of n floats of a packed
// operand: n rounded up to a cache line, and one line more.
func PackedStride(n int) int { return (n+15)/16*16 + 16 }

// Chains is the number of accumulator sets a tile of vecs vectors (vecs ≤
// NR/lanes) splits the depth over, step d adding into set d mod Chains,
// and summed at the end. A one-row tile narrower than NR would otherwise
// leave too few independent FMAs in flight to cover their latency: the
// batch-1 output layer has 2 AVX2 vectors.
func (m Impl) Chains(vecs int) int {
	if m.Tile.MR != 1 || m.OneChain {
		return 1
	}
	return max(1, min(m.Unroll, m.Tile.NR/m.ISA.Lanes/vecs))
}

// Registers is the number of vector registers the inner loop of the
// tile of product g keeps live at most. On the x86 tiers, that counts the
// one a partial column tail is assembled in (its high half, or for a
// one-row tile the whole vector, which cannot fold into the FMA as a full
// one does); on NEON, the accumulators, the vectors of A (neonALoads) and
// two of B, loaded in pairs.
func (m Impl) Registers(g *Gemm) int {
	vecs := m.Tile.NR / m.ISA.Lanes
	if m.ISA == NEON {
		if m.Tile.MR == 1 {
			return vecs + 1 + 2
		}
		return neonRegisters(g, m.Tile.MR, vecs)
	}
	if m.Tile.MR == 1 {
		return vecs + 1 + 1
	}
	return m.Tile.MR*vecs + vecs + 1 + 1
}

// tile is the register block a product gets on tier isa, and its depth
// unrolling. AVX2 keeps its classic tiles; AVX-512 and NEON take the tile
// bestTile's model finds fastest for this shape, and a one-row product
// their matrix-vector tile.
func tile(isa ISA, g *Gemm) (Tile, int) {
	switch {
	case isa == AVX512 && g.Rows == 1:
		return WideRowTile, 4
	case isa == NEON && g.Rows == 1:
		return NEONRowTile, 4
	case isa == AVX512 || isa == NEON:
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

// NEONRowTile is the NEON matrix-vector tile: 16 accumulators across 64
// columns. Each element of B is used once, so the product streams B at
// the load pipes' rate (two or three vectors a cycle), and 16 independent
// FMAs cover a 4-cycle latency at up to four a cycle.
var NEONRowTile = Tile{MR: 1, NR: 64}

// Core is what the tile model assumes of the cores a tier runs on.
type Core struct {
	FMAPorts  int // vector FMAs issued per cycle
	LoadPorts int // vector loads issued per cycle
	// MinStep is the fewest cycles one depth step of a tile takes: each
	// accumulator is updated once per step, so a step waits at least for
	// an FMA's latency (4 cycles on every core modeled) plus one of
	// scheduling slack, and a tile needs more than FMAPorts×4
	// accumulators to keep every FMA port busy.
	MinStep int
	// BlockBudget bounds the bytes of B a product reads in place, from L2
	// for every block of rows: a B this large or larger is packed (the
	// tiers with Packs set) or computed in panels.
	BlockBudget int
	// PackBytes is the most bytes of a packed micro-panel of B, which
	// every block of rows reads (from L1 when it fits), and PackABytes
	// the most of a packed chunk of A's rows, which every micro-panel
	// reads (from L2).
	PackBytes, PackABytes int
	// L2Bytes is the bytes a cycle a core streams from L2, the bound of a
	// product that reads each element of B once (a few rows of A).
	L2Bytes int
}

// x86Core is the x86 tiers' model: two FMA ports and two loads a cycle
// on every core measured (Zen 4 and Zen 5, Intel Xeons). L2 streams 64
// bytes a cycle on Zen 4 and Zen 5 and about 32 sustained on Intel's
// cores: the model takes the slower. B stays in place below 1 MB, the L2
// of a Zen 4 or Zen 5 core (Intel's have 2 MB): on Zen 5, fashion's first
// forward (784 KB of B) runs at 94% of the FMA ceiling in place and 85%
// packed, and a 128×1024·1024×2048 dW (B of exactly 1 MB, its rows 8 KB
// apart) at 71% in place and 88% packed. A packed micro-panel of B takes
// up to 32 KB, a chunk of 256 steps of a 32-column tile: measured on Zen 5
// (48 KB of L1), the wide forward ran at 85% of the ceiling with 16 KB,
// 90% with 32 and 86% with 64, where C's fewer round trips through the
// cache outweigh a micro-panel past L1. Zen 4's L1 is 32 KB: unmeasured.
// A packed chunk of A takes up to 384 KB, read from L2 by every
// micro-panel: with 128 KB the wide forward and dX lost 5% (two panels of
// rows, B copied twice), and with 256 KB a 256-row forward 1024 wide lost
// 5% against 384. The two buffers are in the kernel's frame, which stays
// under 448 KB: the stack of a goroutine that runs one grows to 512 KB.
var x86Core = Core{FMAPorts: 2, LoadPorts: 2, MinStep: 5, BlockBudget: 1 << 20, PackBytes: 32 << 10, PackABytes: 384 << 10, L2Bytes: 32}

// arm64Core is NEON's model, for one tile that must serve every arm64
// core: four 128-bit FMA pipes as Neoverse V1 and Apple's cores have (a
// tile that keeps four busy keeps Neoverse N1's two busy too), two loads a
// cycle as N1 (V1 and Apple's cores have three), and the 1 MB L2 of N1
// and V1 (Graviton 2 and 3), which streams 32 bytes a cycle to L1.
var arm64Core = Core{FMAPorts: 4, LoadPorts: 2, MinStep: 5, BlockBudget: 1 << 19, L2Bytes: 32}

// stepCycles is the model's time of one depth step of a tile with fmas
// FMAs and loads vector loads a step.
func stepCycles(c Core, fmas, loads float64) float64 {
	return max(fmas/float64(c.FMAPorts), loads/float64(c.LoadPorts), float64(c.MinStep))
}

// tileCycles is the model's time of one rows×vecs tile over depth steps:
// the steps, then zeroing, finishing and storing each accumulator and
// setting up the tile's pointers (about 2 cycles an accumulator and 10 a
// tile), which weigh on short depths such as a batch of 64 in dW.
func tileCycles(isa ISA, g *Gemm, rows, vecs, depth int) float64 {
	fmas := float64(rows * vecs)
	loads := float64(rows + vecs) // x86: a broadcast of A per row, a load of B per vector
	if isa == NEON {
		loads = float64(vecs) + neonALoads(g, rows)
	}
	return float64(depth)*stepCycles(isa.Core, fmas, loads) + float64(2*rows*vecs+10)
}

// NEON has no broadcast-FMA: its FMLA by element multiplies a vector of B
// by one lane of a register of A. A product whose A runs along the depth
// (ADepth 1: forward, dX) loads one vector per row of the tile for every
// 4 steps, each lane a step; one whose A runs along the rows (ARow 1: dW,
// where A is xᵀ) loads one vector per 4 rows every step, each lane a row,
// so its tiles have a multiple of 4 rows.

// DepthLanes reports whether the NEON kernels read A of product g along
// its depth, 4 steps to a vector (otherwise along its rows, 4 rows to a
// vector, which needs ARow 1).
func (g Gemm) DepthLanes() bool { return g.ADepth == 1 }

// neonALoads is the vectors of A a NEON tile of rows rows loads per depth
// step, on average.
func neonALoads(g *Gemm, rows int) float64 {
	if g.DepthLanes() {
		return float64(rows) / 4
	}
	return float64((rows + 3) / 4)
}

// neonRegisters is the vector registers a NEON mr×vecs tile of product g
// keeps live: its accumulators, its registers of A (one per row, or one
// per 4 rows) and two of B, loaded in pairs.
func neonRegisters(g *Gemm, mr, vecs int) int {
	a := mr
	if !g.DepthLanes() {
		a = (mr + 3) / 4
	}
	return mr*vecs + a + 2
}

// tileCandidates returns the tiles bestTile weighs on tier isa, by
// accumulator vectors a row and rows. On x86, at most isa.Registers − 3
// accumulators and B registers (one left for the broadcast, one for a
// tail, one for the epilogue's temporaries; with two, avo failed to
// allocate a 9×48 tile), up to 4 vectors wide. On NEON, every tile up to 8
// vectors wide whose registers (neonRegisters) fit, with a multiple of 4
// rows when A runs along the rows.
func tileCandidates(isa ISA, g *Gemm) []Tile {
	var tiles []Tile
	if isa != NEON {
		for vecs := 1; vecs <= 4; vecs++ {
			for mr := 1; mr*vecs+vecs+3 <= isa.Registers; mr++ {
				tiles = append(tiles, Tile{MR: mr, NR: vecs * isa.Lanes})
			}
		}
		return tiles
	}
	step := 1
	if !g.DepthLanes() {
		step = 4
	}
	for vecs := 1; vecs <= 8; vecs++ {
		for mr := step; neonRegisters(g, mr, vecs) <= isa.Registers; mr += step {
			tiles = append(tiles, Tile{MR: mr, NR: vecs * isa.Lanes})
		}
	}
	return tiles
}

// bestTile returns the tile of tileCandidates that minimizes the model's
// time for the whole product, its row and column remainders included;
// among equals, the one with more accumulators (each value loaded serves
// more FMAs), then more rows, so the choice is deterministic.
func bestTile(g *Gemm, isa ISA) Tile {
	var best Tile
	bestCost, bestAccs := 0.0, 0
	for _, t := range tileCandidates(isa, g) {
		cost := productCycles(isa, g, t)
		accs := t.MR * t.NR / isa.Lanes
		if best.MR == 0 || cost < bestCost || cost == bestCost && accs >= bestAccs {
			best, bestCost, bestAccs = t, cost, accs
		}
	}
	return best
}

// productCycles is the model's time of product g in tiles of t on tier
// isa: the whole tiles, then the row and column remainders as smaller
// tiles.
func productCycles(isa ISA, g *Gemm, t Tile) float64 {
	mr, nr := t.MR, t.NR
	vecs := nr / isa.Lanes
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
		c := float64(full) * tileCycles(isa, g, rows, vecs, g.Depth)
		if rem > 0 {
			c += tileCycles(isa, g, rows, (rem+isa.Lanes-1)/isa.Lanes, g.Depth)
		}
		cost += float64(n) * c
	}
	return cost
}
