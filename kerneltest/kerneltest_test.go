package kerneltest

import (
	"math"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/vecgen/vecgen/scalar"
)

// TestIdentityProduct compares the shortcut with the float64 reference's
// whole product, on rows holding nothing special, one NaN or infinity, or
// two, with in < out, in = out and in > out.
func TestIdentityProduct(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, shape := range [][2]int{{3, 5}, {4, 4}, {6, 2}} {
		in, out := shape[0], shape[1]
		rows := [][]float32{
			{1.5, -0.0, 2, -3, 7, 1}, {inf, 1, 2, 3, 4, 5}, {1, 2, nan, 3, 4, 5},
			{-inf, 1, inf, 3, 4, 5}, {1, 2, 3, 4, 5, -inf},
		}
		var x []float32
		for _, r := range rows {
			x = append(x, r[:in]...)
		}
		w := make([]float32, in*out)
		for k := range min(in, out) {
			w[k*out+k] = 1
		}
		want := make([]float32, len(rows)*out)
		scalar.Dense(x, w, make([]float32, out), want, len(rows), in, out, scalar.Identity)
		got := IdentityProduct(x, len(rows), in, out)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Errorf("in=%d out=%d: z[%d] = %v, want %v", in, out, i, got[i], want[i])
			}
		}
	}
}

func TestRows(t *testing.T) {
	assert.Equal(t, []int{0, 1, 2, 3}, Rows(4, 10), "within the budget: every row")
	assert.Equal(t, []int{0, 9}, Rows(10, ReferenceBudget), "one row's worth: the first and the last")
	got := Rows(1000, ReferenceBudget/4)
	assert.Equal(t, []int{0, 333, 666, 999}, got)
	assert.Equal(t, []int{0}, Rows(1, ReferenceBudget*2))
}

func TestGather(t *testing.T) {
	m := []float32{0, 1, 2, 10, 11, 12, 20, 21, 22} // 3×3
	assert.Equal(t, []float32{20, 21, 22, 0, 1, 2}, GatherRows(m, 3, []int{2, 0}))
	assert.Equal(t, []float32{1, 2, 11, 12, 21, 22}, GatherCols(m, 3, 3, []int{1, 2}))
	assert.Equal(t, "y", RowsName("y", []int{0, 1, 2}, 3))
	assert.Equal(t, "y rows [0 2]", RowsName("y", []int{0, 2}, 3))
}

func TestElements(t *testing.T) {
	assert.Equal(t, []int{0, 1, 2}, Elements(3))
	idx := Elements(ElementBudget + 10)
	assert.Len(t, idx, ElementBudget)
	assert.Equal(t, []int{0, ElementBudget/2 - 1}, []int{idx[0], idx[ElementBudget/2-1]})
	assert.Equal(t, []int{ElementBudget/2 + 10, ElementBudget + 9}, []int{idx[ElementBudget/2], idx[ElementBudget-1]})
	assert.Equal(t, []float32{30, 10}, Gather([]float32{10, 20, 30}, []int{2, 0}))
	assert.Equal(t, "p", ElementsName("p", Elements(3), 3))
	assert.Equal(t, "p (its first and last 524288 elements)", ElementsName("p", idx, ElementBudget+10))
}

func TestSnapshotOfALargeBuffer(t *testing.T) {
	g := NewGuarded("w", LargeArray+1, 0)
	s := Save(g)
	assert.Nil(t, s.saved[0], "of a Large buffer only the checksum is kept")
	g.S()[LargeArray/2] = 1
	assert.NotEqual(t, s.sums[0], checksum(g.S()), "a change moves the checksum")
}

// TestDAZ checks that only subnormals become zeros, each of its own sign,
// and that s is left as it was.
func TestDAZ(t *testing.T) {
	tiny := float32(0x1p-140)
	least := math.Float32frombits(1)
	largest := math.Float32frombits(0x007fffff)
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	s := []float32{tiny, -tiny, least, -largest, 0x1p-126, -0x1p-126, 1, inf, -inf, nan, 0}
	got := DAZ(s)
	want := []uint32{0, 0x80000000, 0, 0x80000000, math.Float32bits(0x1p-126), math.Float32bits(-0x1p-126),
		math.Float32bits(1), math.Float32bits(inf), math.Float32bits(-inf), math.Float32bits(nan), 0}
	for i := range want {
		assert.Equal(t, want[i], math.Float32bits(got[i]), "DAZ of %v", s[i])
	}
	assert.Equal(t, tiny, s[0], "the input is not changed")
}

func TestPlaced(t *testing.T) {
	s := []float32{1, 2, 3}
	for _, offset := range []int{0, 1, 5} {
		got := placed(s, offset)
		assert.Equal(t, s, got)
		assert.Equal(t, uintptr(4*offset), uintptr(unsafe.Pointer(&got[0]))%64, "offset %d", offset)
	}
}
