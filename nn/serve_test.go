package nn_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/nn"
)

// A sample's outputs do not depend on how many samples Predict is given,
// nor where they sit, nor the workers: any count of rows goes through
// the batch's kernels and the serving kernels, and each row comes out bit
// for bit the same. Every count up to a batch and one is tried, from the
// start and the end of the samples, and a few past that.
func TestPredictRowsDoNotDependOnCount(t *testing.T) {
	defer nn.LetWorkersExceedCores()()
	for _, desc := range []compiled.Network{kernels.FashionNetwork(), kernels.DigitsNetwork(), kernels.ScorerNetwork()} {
		require.NotEmpty(t, desc.Serving, desc.Name)
		B, width := desc.Batch, desc.Output()
		total := 3*B + 5
		x, _ := samples(desc, total, 7)
		for _, workers := range []int{1, 2} {
			net, err := nn.New(desc, nn.Options{Workers: workers, Seed: 3})
			require.NoError(t, err)
			all := make([]float32, total*width)
			require.NoError(t, net.Predict(x, all))
			counts := []int{2*B - 1, 2 * B, total} // past a batch, every count of the rows left
			for n := 1; n <= B+1; n++ {
				counts = append(counts, n)
			}
			for _, n := range counts {
				for _, first := range []int{0, total - n} {
					out := make([]float32, n*width)
					require.NoError(t, net.Predict(x[first*desc.Input:(first+n)*desc.Input], out))
					want := all[first*width : (first+n)*width]
					for i := range out {
						if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s, %d workers: Predict of %d samples from %d: output %d of sample %d is %v, %v among %d", desc.Name, workers, n, first, i%width, first+i/width, out[i], want[i], total)
						}
					}
				}
			}
		}
	}
}

// Predict cuts the rows past the whole batches into serving calls that
// cover them, the last padded at most: no call is wasted, and every count
// below the batch has calls.
func TestCutsCoverTheRows(t *testing.T) {
	for _, desc := range []compiled.Network{kernels.FashionNetwork(), kernels.DigitsNetwork(), kernels.LogisticNetwork(), kernels.SeedNetwork()} {
		rows := func(s int) int {
			if s < 0 {
				return desc.Batch
			}
			return desc.Serving[s].Rows
		}
		assert.Empty(t, nn.Cuts(desc, 0), desc.Name)
		for r := 1; r < desc.Batch; r++ {
			calls := nn.Cuts(desc, r)
			require.NotEmpty(t, calls, "%s, %d rows", desc.Name, r)
			covered := 0
			for _, s := range calls[:len(calls)-1] {
				covered += rows(s)
			}
			assert.Less(t, covered, r, "%s, %d rows: the calls before the last cover them", desc.Name, r)
			assert.GreaterOrEqual(t, covered+rows(calls[len(calls)-1]), r, "%s, %d rows: the calls leave some", desc.Name, r)
		}
		if len(desc.Serving) > 0 && desc.Serving[len(desc.Serving)-1].Rows == 1 {
			assert.Equal(t, []int{len(desc.Serving) - 1}, nn.Cuts(desc, 1), "%s: one row takes the one-row kernel", desc.Name)
		}
	}
	// Without serving passes every count pads into a batch.
	desc := kernels.DigitsNetwork()
	desc.Serving = nil
	assert.Equal(t, []int{-1}, nn.Cuts(desc, 5))
}

// New refuses a descriptor whose serving passes are malformed.
func TestNewChecksServing(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(d *compiled.Network)
		want string
	}{
		{"as many rows as the batch", func(d *compiled.Network) { d.Serving[0].Rows = d.Batch }, "serving pass 0 has 32 rows"},
		{"not largest first", func(d *compiled.Network) { d.Serving[1].Rows = d.Serving[0].Rows }, "than the pass before"},
		{"a layer short", func(d *compiled.Network) { d.Serving[0].Forward = d.Serving[0].Forward[:1] }, "has 1 kernels for 2 layers"},
		{"no time", func(d *compiled.Network) { d.Serving[0].Cycles = math.NaN() }, "a time of NaN cycles"},
		{"no batch time", func(d *compiled.Network) { d.BatchCycles = 0 }, "a batch time of 0 cycles"},
		{"a nil kernel", func(d *compiled.Network) { d.Serving[0].Forward = []func(x, w, b, z, y []float32){nil, nil} }, "lacks layer 1's kernel"},
	} {
		desc := kernels.DigitsNetwork()
		desc.Serving = append([]compiled.Serving(nil), desc.Serving...)
		c.edit(&desc)
		_, err := nn.New(desc, nn.Options{})
		assert.ErrorContains(t, err, c.want, c.name)
	}
}

// BenchmarkPredictRows is Predict of n samples on spec/fashion.yaml (batch
// 64) with one worker: serving latency from one request to a batch job.
func BenchmarkPredictRows(b *testing.B) {
	desc := kernels.FashionNetwork()
	net, err := nn.New(desc, nn.Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 2, 4, 8, 16, 32, 64, 100, 1000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			x, _ := samples(desc, n, 1)
			out := make([]float32, n*desc.Output())
			for b.Loop() {
				if err := net.Predict(x, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
