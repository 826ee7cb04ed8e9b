package kerneltest

import (
	"fmt"
	"math"
	"testing"

	"github.com/vecgen/vecgen/compiled"
)

// CheckServing checks the network's serving forward passes against its
// Forward kernels: for each serving row count and layer, the first rows
// and the last rows of a batch, passed through the serving kernel, come
// out bit for bit as the batch's rows of Forward's y (and z), into
// buffers whose margins stay untouched. The rows hold random values and
// one row of special ones (0, ±1e30, NaN, ±Inf, a subnormal), whose first
// input meets a NaN of another payload in w; each layer's input is the
// previous layer's output. It also checks the serving list's
// shape: row counts below the batch, largest first, a kernel per layer
// and a positive modeled time.
func CheckServing(t *testing.T, net compiled.Network) {
	t.Helper()
	B := net.Batch
	if err := net.CheckServing(); err != nil {
		t.Fatal(err)
	}
	r := Case{Seed: 23}.Rand()
	in := net.Input
	x := make([]float32, B*in)
	Fill(r, x, 1)
	specials := []float32{0, 1e30, -1e30, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0x1p-140}
	for k := range in { // one row of specials, in the first rows every kernel sees
		x[k] = specials[k%len(specials)]
	}
	// Its first product multiplies two NaNs of different payloads (w's is
	// planted below), which x86 FMAs choose between by operand position:
	// the kernels must agree on which comes out.
	x[0] = math.Float32frombits(0x7fc00011)
	for i, l := range net.Layers {
		w, b, z, y := layerArrays(r, l, B)
		w[0] = math.Float32frombits(0x7fc00022)
		l.Forward(x, w, b, z, y)
		for _, s := range net.Serving {
			for _, first := range []int{0, B - s.Rows} {
				name := fmt.Sprintf("layer %d, rows %d to %d through the %d-row kernel", i+1, first, first+s.Rows-1, s.Rows)
				ys := filled("y", s.Rows*l.Out)
				var zs *Guarded
				var zArg []float32
				if l.PreActivation {
					zs = filled("z", s.Rows*l.Out)
					zArg = zs.S()
				}
				s.Forward[i](x[first*in:(first+s.Rows)*in], w, b, zArg, ys.S())
				Equal(t, name+": y", ys.S(), y[first*l.Out:(first+s.Rows)*l.Out])
				ys.CheckMargins(t)
				if zs != nil {
					Equal(t, name+": z", zs.S(), z[first*l.Out:(first+s.Rows)*l.Out])
					zs.CheckMargins(t)
				}
			}
		}
		x, in = y, l.Out
	}
}
