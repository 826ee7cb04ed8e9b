package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// guard is the number of sentinel floats on each side of dst: SumScaled
// must not write them.
const guard = 16

const sentinel = float32(-12345.5)

// TestSumScaledMatchesGo compares SumScaled with sumScaledGo, bit for bit,
// over every length through every code path (blocks of 32, of 8, single
// floats), with 0 to 4 sources, at unaligned starts, with special values.
func TestSumScaledMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 0x1p-140}
	lengths := []int{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 1000, 4099}
	for _, n := range lengths {
		for nsrcs := range 5 {
			for _, start := range []int{0, 1, 3} {
				t.Run(fmt.Sprintf("n=%d/srcs=%d/start=%d", n, nsrcs, start), func(t *testing.T) {
					fill := func(k int) []float32 {
						s := make([]float32, k)
						for i := range s {
							s[i] = rng.Float32()*4 - 2
							if rng.IntN(50) == 0 {
								s[i] = special[rng.IntN(len(special))]
							}
						}
						return s
					}
					buf := make([]float32, start+guard+n+guard)
					for i := range buf {
						buf[i] = sentinel
					}
					dst := buf[start+guard : start+guard+n]
					copy(dst, fill(n))
					srcs := make([][]float32, nsrcs)
					for j := range srcs {
						srcs[j] = fill(n + j)[j:] // sources at other alignments too
					}
					scale := float32(0.25) + rng.Float32()
					want := append([]float32(nil), dst...)
					sumScaledGo(want, srcs, scale)
					before := make([][]float32, nsrcs)
					for j, s := range srcs {
						before[j] = append([]float32(nil), s...)
					}

					SumScaled(dst, srcs, scale)
					if i := firstDifference(dst, want); i >= 0 {
						t.Fatalf("dst[%d] = %v, want %v", i, dst[i], want[i])
					}
					for i := range buf[:start+guard] {
						require.Equal(t, sentinel, buf[i], "element %d before dst was overwritten", i)
					}
					for i, v := range buf[start+guard+n:] {
						require.Equal(t, sentinel, v, "element %d after dst was overwritten", i)
					}
					for j := range srcs {
						require.Equal(t, -1, firstDifference(srcs[j], before[j]), "source %d was written", j)
					}
				})
			}
		}
	}
}

// firstDifference is the first index where a and b differ in their bits,
// any NaN matching any NaN, or -1.
func firstDifference(a, b []float32) int {
	for i := range a {
		nans := a[i] != a[i] && b[i] != b[i]
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !nans {
			return i
		}
	}
	return -1
}

// TestSumScaledValues pins the meaning on a small case.
func TestSumScaledValues(t *testing.T) {
	dst := []float32{1, 2, 3}
	SumScaled(dst, [][]float32{{10, 20, 30}, {100, 200, 300, 400}}, 0.5)
	assert.Equal(t, []float32{55.5, 111, 166.5}, dst)
	SumScaled(dst, nil, 2)
	assert.Equal(t, []float32{111, 222, 333}, dst, "no sources: only the scale")
}

func TestSumScaledRejectsShortSource(t *testing.T) {
	assert.PanicsWithValue(t, "vec: source 1 has 2 elements, fewer than the 3 of dst", func() {
		SumScaled(make([]float32, 3), [][]float32{make([]float32, 3), make([]float32, 2)}, 1)
	})
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
