package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/kerneltest"
)

// eachTier runs f as a subtest on every tier, skipping those this build
// or CPU cannot run.
func eachTier(t *testing.T, f func(t *testing.T)) {
	saved := tier
	defer func() { tier = saved }()
	for _, tr := range compiled.Tiers {
		t.Run(tr.String(), func(t *testing.T) {
			if !canRun(tr) {
				t.Skipf("this build or CPU cannot run the %s tier", tr)
			}
			tier = tr
			f(t)
		})
	}
}

// TestSumScaledMatchesGo compares SumScaled with sumScaledGo on every
// tier, bit for bit, over every length through every code path (blocks of
// 4 vectors, of one, single floats), with 0 to 4 sources, at unaligned
// starts, with special values, inside guard bands, and with the sources
// left unchanged.
func TestSumScaledMatchesGo(t *testing.T) { eachTier(t, testSumScaledMatchesGo) }

func testSumScaledMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 1000, 4099}
	for _, n := range lengths {
		for nsrcs := range 5 {
			for _, offset := range []int{0, 1, 3} {
				t.Run(fmt.Sprintf("n=%d/srcs=%d/offset=%d", n, nsrcs, offset), func(t *testing.T) {
					fill := func(g *kerneltest.Guarded) *kerneltest.Guarded {
						v := g.S()
						kerneltest.Fill(rng, v, 2)
						for i := range v {
							if rng.IntN(50) == 0 {
								v[i] = kerneltest.Specials[rng.IntN(len(kerneltest.Specials))]
							}
						}
						return g
					}
					dst := fill(kerneltest.NewGuarded("dst", n, offset))
					bufs := make([]*kerneltest.Guarded, nsrcs)
					srcs := make([][]float32, nsrcs)
					for j := range srcs {
						bufs[j] = fill(kerneltest.NewGuarded(fmt.Sprintf("srcs[%d]", j), n, j)) // other alignments too
						srcs[j] = bufs[j].S()
					}
					scale := float32(0.25) + rng.Float32()
					want := append([]float32(nil), dst.S()...)
					sumScaledGo(want, srcs, scale)
					inputs := kerneltest.Save(bufs...)

					SumScaled(dst.S(), srcs, scale)
					kerneltest.Equal(t, "dst", dst.S(), want)
					kerneltest.CheckMargins(t, append(bufs, dst)...)
					inputs.Unchanged(t)
				})
			}
		}
	}
}

// TestSumScaledValues pins the meaning on a small case.
func TestSumScaledValues(t *testing.T) {
	eachTier(t, func(t *testing.T) {
		dst := []float32{1, 2, 3}
		SumScaled(dst, [][]float32{{10, 20, 30}, {100, 200, 300, 400}}, 0.5)
		assert.Equal(t, []float32{55.5, 111, 166.5}, dst)
		SumScaled(dst, nil, 2)
		assert.Equal(t, []float32{111, 222, 333}, dst, "no sources: only the scale")
	})
}

func TestSumScaledRejectsShortSource(t *testing.T) {
	assert.PanicsWithValue(t, "vec: source 1 has 2 elements, fewer than the 3 of dst", func() {
		SumScaled(make([]float32, 3), [][]float32{make([]float32, 3), make([]float32, 2)}, 1)
	})
}

// TestFirstNonFinite plants NaN, ±Inf or nothing at every position of
// vectors of every length through every code path (blocks of 4 vectors, of
// one, single floats), among finite values that include subnormals and
// the largest floats, and requires the first one planted to be found.
func TestFirstNonFinite(t *testing.T) {
	eachTier(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
		for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 129, 200} {
			v := make([]float32, n)
			for i := range v {
				v[i] = []float32{1, -0x1p-149, math.MaxFloat32, -math.MaxFloat32, 0}[rng.IntN(5)]
			}
			assert.Equal(t, -1, FirstNonFinite(v), "n=%d, all finite", n)
			for at := range n {
				for _, b := range bad {
					w := append([]float32(nil), v...)
					w[at] = b
					if at+1 < n {
						w[at+1+rng.IntN(n-at-1)] = bad[rng.IntN(len(bad))] // a later one must not win
					}
					if got := FirstNonFinite(w); got != at {
						t.Fatalf("n=%d: %v planted at %d, found at %d", n, b, at, got)
					}
				}
			}
		}
	})
}

// TestMaxAbs plants the largest magnitude, +Inf, -Inf or NaN at every
// position of vectors of every length through every code path, among
// values that include subnormals, zeros of both signs and negatives, and
// requires the planted one (any NaN for NaN, which beats +Inf).
func TestMaxAbs(t *testing.T) {
	eachTier(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		assert.Equal(t, float32(0), MaxAbs(nil))
		for _, n := range []int{1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 129, 200} {
			v := make([]float32, n)
			for i := range v {
				v[i] = []float32{1, -0x1p-149, -3, 2.5, 0, float32(math.Copysign(0, -1))}[rng.IntN(6)]
			}
			assert.Equal(t, maxAbsGo(v), MaxAbs(v), "n=%d", n)
			for at := range n {
				for _, big := range []float32{-7, 1e30, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
					w := append([]float32(nil), v...)
					w[at] = big
					if at+1 < n && math.IsNaN(float64(big)) {
						w[at+1+rng.IntN(n-at-1)] = float32(math.Inf(-1)) // NaN beats an infinity after it
					}
					got := MaxAbs(w)
					switch want := float32(math.Abs(float64(big))); {
					case math.IsNaN(float64(big)):
						if !math.IsNaN(float64(got)) {
							t.Fatalf("n=%d: NaN planted at %d, got %v", n, at, got)
						}
					case got != want:
						t.Fatalf("n=%d: %v planted at %d, got %v", n, big, at, got)
					}
				}
			}
		}
	})
}

// BenchmarkMaxAbs scans a batch of spec/wide.yaml's widest activations:
// what a training step pays to bound its gradients before it fuses SGD
// into them.
func BenchmarkMaxAbs(b *testing.B) {
	v := make([]float32, 128*2048)
	b.SetBytes(4 * int64(len(v)))
	for b.Loop() {
		MaxAbs(v)
	}
}

// BenchmarkFirstNonFinite scans a gradient of spec/fashion.yaml, every
// value finite: what a training step pays to refuse a non-finite one.
func BenchmarkFirstNonFinite(b *testing.B) {
	v := make([]float32, 235146)
	for _, impl := range []struct {
		name string
		f    func([]float32) int
	}{{"vec", FirstNonFinite}, {"go", func(v []float32) int { return firstNonFiniteGo(v, 0) }}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(4 * int64(len(v)))
			for b.Loop() {
				impl.f(v)
			}
		})
	}
}

// BenchmarkSumScaled is the reduction of a step of spec/fashion.yaml with
// 4 workers: 235146 parameters, 3 sources, in assembly and in Go.
func BenchmarkSumScaled(b *testing.B) {
	const params = 235146
	dst := make([]float32, params)
	srcs := [][]float32{make([]float32, params), make([]float32, params), make([]float32, params)}
	for _, impl := range []struct {
		name string
		f    func([]float32, [][]float32, float32)
	}{{"vec", SumScaled}, {"go", sumScaledGo}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(4 * params * 5) // 4 reads and a write per element
			for b.Loop() {
				impl.f(dst, srcs, 0.25)
			}
		})
	}
}

// TestGatherRowsMatchesCopy compares GatherRows with one copy per row on
// every tier, bit for bit (NaN payloads and subnormals included), for row
// counts through every group of four and the rows left over, row lengths
// through every code path (whole vectors, single floats), strides equal
// to and past the length, the matrices at every alignment and the rows in
// any order (repeats too), inside guard bands: nothing outside the rows is
// written and src is left unchanged.
func TestGatherRowsMatchesCopy(t *testing.T) { eachTier(t, testGatherRowsMatchesCopy) }

func testGatherRowsMatchesCopy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, count := range []int{0, 1, 3, 4, 5, 8, 11} {
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 33, 392, 784} {
			for _, gap := range []int{0, 5} {
				t.Run(fmt.Sprintf("rows=%d/n=%d/stride=n+%d", count, n, gap), func(t *testing.T) {
					const srcRows = 50
					dstStride, srcStride := n+gap, n+3*gap
					src := kerneltest.NewGuarded("src", (srcRows-1)*srcStride+n, rng.IntN(4))
					for i := range src.S() {
						src.S()[i] = math.Float32frombits(rng.Uint32()) // every bit pattern, NaNs too
						if i%97 == 0 {
							src.S()[i] = 0x1p-140 // a subnormal
						}
					}
					dst := kerneltest.NewGuarded("dst", max(count*dstStride-gap, 0), rng.IntN(4))
					kerneltest.Fill(rng, dst.S(), 1)
					rows := make([]int, count)
					for j := range rows {
						rows[j] = rng.IntN(srcRows) // repeats allowed
					}
					want := append([]float32(nil), dst.S()...)
					for j, r := range rows {
						copy(want[j*dstStride:j*dstStride+n], src.S()[r*srcStride:r*srcStride+n])
					}
					inputs := kerneltest.Save(src)

					GatherRows(dst.S(), dstStride, src.S(), srcStride, rows, n)
					kerneltest.Equal(t, "dst", dst.S(), want)
					kerneltest.CheckMargins(t, src, dst)
					inputs.Unchanged(t)
				})
			}
		}
	}
}

// TestGatherRowsRejectsBadRows requires a panic, before anything is
// written, for rows that would overlap or fall outside dst or src.
func TestGatherRowsRejectsBadRows(t *testing.T) {
	src, dst := make([]float32, 40), make([]float32, 20)
	for _, c := range []struct {
		name, want           string
		dstStride, srcStride int
		rows                 []int
		n                    int
	}{
		{"overlapping rows of dst", "vec: rows of 8 floats at strides of 4 and 10", 4, 10, []int{0, 1}, 8},
		{"overlapping rows of src", "vec: rows of 8 floats at strides of 8 and 4", 8, 4, []int{0, 1}, 8},
		{"negative length", "vec: rows of -1 floats at strides of 4 and 4", 4, 4, []int{0}, -1},
		{"past dst", "vec: 3 rows of 8 floats, 8 apart, do not fit 20 floats", 8, 10, []int{0, 1, 2}, 8},
		{"past src", "vec: row 4 of src (rows[1]) is not among its 4 rows", 8, 10, []int{0, 4}, 8},
		{"before src", "vec: row -1 of src (rows[0]) is not among its 4 rows", 8, 10, []int{-1, 0}, 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := append([]float32(nil), dst...)
			assert.PanicsWithValue(t, c.want, func() { GatherRows(dst, c.dstStride, src, c.srcStride, c.rows, c.n) })
			assert.Equal(t, before, dst)
		})
	}
}

// BenchmarkGatherRows gathers the 64 rows of a Fashion-MNIST step (784
// floats each) from 60,000 rows (188 MB) in a shuffled order, with
// GatherRows and with one copy per row, after writing 4 MB of other
// memory, as a training step leaves the caches between two gathers.
func BenchmarkGatherRows(b *testing.B) {
	const width, samples, batch = 784, 60000, 64
	data := make([]float32, samples*width)
	for i := range data {
		data[i] = float32(i%255) / 255
	}
	order := rand.New(rand.NewPCG(7, 8)).Perm(samples)
	tile, junk := make([]float32, batch*width), make([]float32, 1<<20)
	rows := make([]int, batch)
	for _, impl := range []struct {
		name   string
		gather func()
	}{
		{"GatherRows", func() { GatherRows(tile, width, data, width, rows, width) }},
		{"copy", func() {
			for j, r := range rows {
				copy(tile[j*width:(j+1)*width], data[r*width:(r+1)*width])
			}
		}},
	} {
		b.Run(impl.name, func(b *testing.B) {
			next := 0
			for b.Loop() {
				b.StopTimer()
				for i := range junk {
					junk[i]++
				}
				if next+batch > samples {
					next = 0
				}
				copy(rows, order[next:next+batch])
				next += batch
				b.StartTimer()
				impl.gather()
			}
		})
	}
}
