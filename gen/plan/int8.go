package plan

import (
	"fmt"
	"strings"

	"github.com/vecgen/vecgen/scalar"
	"github.com/vecgen/vecgen/spec"
)

// Int8Kernel is a layer's int8 forward pass for serving (see
// scalar.DenseInt8Packed): over a number of rows given at run time, each
// row quantized to uint8 in the kernel, its products with the packed int8
// weights summed in int32, then the float32 epilogue. Its rows do not
// depend on each other or on the tile that computes them: integer sums
// are exact in any order, and the epilogue is the same instructions on
// every row.
type Int8Kernel struct {
	Layer      int    // 1-based
	Public     string // exported Go name, e.g. FashionL1ForwardInt8
	Activation spec.Activation
	In, Out    int
	Impls      []Int8Impl // one per tier with int8 instructions (ISA.Int8)
}

// Int8Tile is how a tier computes an int8 product: tiles of Rows rows by
// Vecs vectors of outputs, whose weights are loaded into registers once
// for all the tile's rows; the rows left past the last whole tile, one at
// a time, by OneRowVecs vectors, whose weights each product reads from
// memory (no register holds them, so more accumulators fit).
type Int8Tile struct {
	Rows, Vecs, OneRowVecs int
}

// Int8Impl is an int8 kernel rendered for one tier.
type Int8Impl struct {
	ISA  ISA
	Asm  string // assembly symbol, e.g. fashionL1ForwardInt8AVX512
	Tile Int8Tile
	// Scratch, on a tier without frames (ISA.Frames), is the bytes of the
	// buffer the caller passes: a tile's rows quantized, each ScratchRow
	// bytes (the packed depth rounded up to 16, so that the last 16-byte
	// load of a row stays inside it), then a float32 scale and an int32
	// correction per row. Zero where the kernel keeps them in its frame.
	Scratch, ScratchRow int
}

// Impl returns the kernel's rendering for tier isa, or nil when the tier
// has no int8 kernels.
func (k *Int8Kernel) Impl(isa ISA) *Int8Impl {
	for i := range k.Impls {
		if k.Impls[i].ISA == isa {
			return &k.Impls[i]
		}
	}
	return nil
}

// Depth and Width are the kernel's inputs and outputs in the packed
// layout of its weights (scalar.Int8Depth, scalar.Int8Width).
func (k *Int8Kernel) Depth() int { return scalar.Int8Depth(k.In) }
func (k *Int8Kernel) Width() int { return scalar.Int8Width(k.Out) }

// Packed is the length of the kernel's packed weights.
func (k *Int8Kernel) Packed() int { return scalar.Int8PackedLen(k.In, k.Out) }

// Int8Packed is the Go name of the constant of the length of layer's
// packed int8 weights.
func (p *Plan) Int8Packed(layer int) string { return fmt.Sprintf("%sL%dInt8Weights", p.Prefix, layer) }

// Int8Tiers lists the tiers that have int8 kernels, in the order of Tiers.
func Int8Tiers() []ISA {
	var tiers []ISA
	for _, isa := range Tiers {
		if isa.Int8 != (Int8Tile{}) {
			tiers = append(tiers, isa)
		}
	}
	return tiers
}

// addInt8 adds each layer's int8 forward kernel. (spec.MaxWidth keeps
// every layer within scalar.MaxInt8Depth inputs, whose int32 sums cannot
// overflow.)
func (p *Plan) addInt8() {
	for _, l := range p.Layers {
		k := Int8Kernel{Layer: l.Index, Public: p.Prefix + l.Name + "ForwardInt8", Activation: l.Activation, In: l.In, Out: l.Out}
		for _, isa := range Int8Tiers() {
			m := Int8Impl{ISA: isa, Asm: strings.ToLower(k.Public[:1]) + k.Public[1:] + isa.Name, Tile: isa.Int8}
			if !isa.Frames {
				m.ScratchRow = (k.Depth() + 15) / 16 * 16
				m.Scratch = isa.Int8.Rows * (m.ScratchRow + 8)
			}
			k.Impls = append(k.Impls, m)
		}
		p.Int8 = append(p.Int8, k)
	}
}
