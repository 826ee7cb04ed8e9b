package amd64

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/plan"
)

// The vector primitives: each operation the kernels need, rendered in the
// writer's tier. AVX2 moves a partial vector in plain pieces and selects
// lanes with vector masks (VBLENDVPS); AVX-512 does both under opmask
// registers (K1–K7), which also suppress faults on the masked-off lanes of
// a memory operand, so a tail never reads or writes past its array.

// wide reports whether the writer renders the AVX-512 tier.
func (a *asmWriter) wide() bool { return a.isa == plan.AVX512 }

// vec allocates a vector register of the tier's width.
func (a *asmWriter) vec() reg.VecVirtual {
	if a.wide() {
		return a.c.ZMM()
	}
	return a.c.YMM()
}

// mask returns an opmask register holding bits (lane i selected by bit i),
// set once per function at its first use: the kernels have no branches
// but their loops, which run at least once, so the first use dominates
// every later one.
func (a *asmWriter) mask(bits uint16) reg.Register {
	if k, ok := a.masks[bits]; ok {
		return k
	}
	k, t := a.c.K(), a.c.GP32()
	a.c.MOVL(operand.U32(uint32(bits)), t)
	a.c.KMOVW(t, k)
	a.masks[bits] = k
	return k
}

// firstLanes is the opmask of lanes 0 to n−1.
func (a *asmWriter) firstLanes(n int) reg.Register { return a.mask(uint16(1)<<n - 1) }

// load sets dst to the first lanes floats at m and zeroes the lanes past
// them; store writes the first lanes floats of src to m and nothing past
// them. AVX-512 moves a partial vector under an opmask. AVX2 moves it in
// plain pieces of 4, 2 and 1 floats rather than under a lane mask: its
// masked move (VMASKMOVPS) costs several micro-ops on every x86 core and
// is microcoded on some AMD ones.
func (a *asmWriter) load(m operand.Mem, lanes int, dst reg.VecVirtual) {
	c := a.c
	if lanes == a.lanes() {
		c.VMOVUPS(m, dst)
		return
	}
	if a.wide() {
		c.VMOVUPS_Z(m, a.firstLanes(lanes), dst)
		return
	}
	// A VEX load into the low half clears the upper half, but avo's
	// liveness sees a partial write: without a full write first, dst would
	// be live from the function's start and could get a register above Y15.
	c.VXORPS(dst, dst, dst)
	switch {
	case lanes > 4:
		hi := c.XMM()
		c.VMOVUPS(m, dst.AsX())
		a.loadSmall(m.Offset(16), lanes-4, hi)
		c.VINSERTF128(imm(1), hi, dst, dst)
	case lanes == 4:
		c.VMOVUPS(m, dst.AsX())
	default:
		a.loadSmall(m, lanes, dst.AsX())
	}
}

// loadSmall sets x to 1 to 3 floats at m, and its other lanes to 0.
func (a *asmWriter) loadSmall(m operand.Mem, lanes int, x reg.Register) {
	c := a.c
	switch lanes {
	case 1:
		c.VMOVSS(m, x)
	case 2:
		c.VMOVSD(m, x)
	case 3:
		c.VMOVSD(m, x)
		c.VINSERTPS(imm(2<<4), m.Offset(8), x, x) // into lane 2
	}
}

func (a *asmWriter) store(src reg.VecVirtual, lanes int, m operand.Mem) {
	if a.wide() && lanes < a.lanes() {
		a.c.VMOVUPS(src, a.firstLanes(lanes), m)
		return
	}
	a.storePieces(src, lanes, m)
}

// storeExact is store for memory the kernel reads back soon after, such
// as the next row of a softmax: its pieces cover exactly the lanes
// written. A masked 512-bit store spans 64 bytes whatever its mask, and a
// later load that overlaps that span cannot take its data from the store
// buffer: it waits until the store has reached the cache, which chains
// rows that would otherwise overlap (measured: a softmax of rows of 10
// floats ran 4× slower with masked stores).
func (a *asmWriter) storeExact(src reg.VecVirtual, lanes int, m operand.Mem) {
	if !a.wide() || lanes == a.lanes() {
		a.storePieces(src, lanes, m)
		return
	}
	const half = 8 // lanes in a YMM half of a ZMM register
	if lanes <= half {
		a.storePieces(src.AsY().(reg.VecVirtual), lanes, m)
		return
	}
	hi := a.c.YMM()
	a.c.VMOVUPS(src.AsY(), m)
	a.c.VEXTRACTF64X4(imm(1), src, hi)
	a.storePieces(hi, lanes-half, m.Offset(4*half))
}

// storePieces writes the first lanes floats of src (all of them, or up
// to 8 of a YMM register) in plain moves of 8, 4, 2 and 1 floats.
func (a *asmWriter) storePieces(src reg.VecVirtual, lanes int, m operand.Mem) {
	c := a.c
	switch {
	case lanes == int(src.Size())/4:
		c.VMOVUPS(src, m)
	case lanes > 4:
		hi := c.XMM()
		c.VMOVUPS(src.AsX(), m)
		c.VEXTRACTF128(imm(1), src, hi)
		a.storeSmall(hi, lanes-4, m.Offset(16))
	case lanes == 4:
		c.VMOVUPS(src.AsX(), m)
	default:
		a.storeSmall(src.AsX(), lanes, m)
	}
}

// storeSmall writes the first 1 to 3 floats of x to m.
func (a *asmWriter) storeSmall(x reg.Register, lanes int, m operand.Mem) {
	c := a.c
	switch lanes {
	case 1:
		c.VMOVSS(x, m)
	case 2:
		c.VMOVSD(x, m)
	case 3:
		c.VMOVSD(x, m)
		c.VEXTRACTPS(imm(2), x, m.Offset(8))
	}
}

// fillPast sets the lanes of v from lanes on to the same lanes of src (a
// register or a splat constant).
func (a *asmWriter) fillPast(lanes int, src operand.Op, v reg.VecVirtual) {
	if a.wide() {
		a.c.VMOVUPS(src, a.mask(^(uint16(1)<<lanes - 1)), v) // merge-masked
		return
	}
	a.c.VBLENDPS(imm((0xff<<lanes)&0xff), src, v, v)
}

// compare returns a mask of the lanes where x pred y holds (pred a VCMPPS
// predicate: 1 is LT_OS, 0x1e GT_OQ; both false for NaN). into is a vector
// the AVX2 mask may be built in.
func (a *asmWriter) compare(pred int, x reg.VecVirtual, y operand.Op, into reg.VecVirtual) reg.Register {
	if a.wide() {
		k := a.c.K()
		a.c.VCMPPS(imm(pred), y, x, k)
		return k
	}
	a.c.VCMPPS(imm(pred), y, x, into)
	return into
}

// choose sets dst to t in the lanes of mask and to f elsewhere.
func (a *asmWriter) choose(mask reg.Register, t, f operand.Op, dst reg.VecVirtual) {
	if a.wide() {
		a.c.VBLENDMPS(t, f, mask, dst)
		return
	}
	a.c.VBLENDVPS(mask, t, f, dst)
}

// chooseBySign sets dst to t in the lanes where x's sign bit is set and to
// f elsewhere.
func (a *asmWriter) chooseBySign(x reg.VecVirtual, t, f operand.Op, dst reg.VecVirtual) {
	if a.wide() {
		k := a.c.K()
		a.c.VPMOVD2M(x, k)
		a.c.VBLENDMPS(t, f, k, dst)
		return
	}
	a.c.VBLENDVPS(x, t, f, dst)
}

// keep sets dst to src in the lanes of mask and to 0 elsewhere.
func (a *asmWriter) keep(mask reg.Register, src operand.Op, dst reg.VecVirtual) {
	if a.wide() {
		a.c.VMOVAPS_Z(src, mask, dst)
		return
	}
	a.c.VANDPS(src, mask, dst)
}

// flushSubnormal sets the lanes of v whose magnitude is below the
// smallest normal float32, 2⁻¹²⁶, to 0 (NaN is kept: NLT_UQ holds for it).
func (a *asmWriter) flushSubnormal(v reg.VecVirtual) {
	mag := a.vec()
	a.c.VANDPS(a.splat("absmask", 0x7fffffff), v, mag)
	normal := a.compare(5, mag, a.f32("minnormal", 0x1p-126), mag) // NLT_UQ: not below
	a.keep(normal, v, v)
}

// roundEven rounds every lane of v to the nearest integer, ties to even.
func (a *asmWriter) roundEven(v reg.VecVirtual) {
	if a.wide() {
		a.c.VRNDSCALEPS(imm(0), v, v)
		return
	}
	a.c.VROUNDPS(imm(0), v, v)
}

// hreduce combines the lanes of v with op (VADDPS or VMAXPS) and
// broadcasts the result back to all lanes of v.
func (a *asmWriter) hreduce(v reg.VecVirtual, op func(...operand.Op)) {
	c := a.c
	y := v
	if a.wide() { // the upper 256 bits onto the lower first
		y = c.YMM()
		c.VEXTRACTF64X4(imm(1), v, y)
		op(y, v.AsY(), y)
	}
	t, u := c.XMM(), c.XMM()
	c.VEXTRACTF128(imm(1), y, t)
	op(t, y.AsX(), t)
	c.VPERMILPS(imm(0x4e), t, u) // swap 64-bit halves
	op(u, t, t)
	c.VPERMILPS(imm(0xb1), t, u) // swap neighbours
	op(u, t, t)
	c.VBROADCASTSS(t, v)
}

// zero sets every lane of v to 0.
// VXORPS of a register with itself is the one zeroing idiom avo's liveness
// knows for ZMM (an AVX512DQ form); VPXORD would leave v live from the
// function's start.
func (a *asmWriter) zero(v reg.VecVirtual) {
	a.c.VXORPS(v, v, v)
}

// jumpIfNaN jumps to label when a lane of v is NaN.
func (a *asmWriter) jumpIfNaN(v reg.VecVirtual, label string) {
	c := a.c
	if a.wide() {
		k := c.K()
		c.VCMPPS(imm(3), v, v, k) // UNORD_Q
		c.KORTESTW(k, k)
	} else {
		t, bits := c.YMM(), c.GP32()
		c.VCMPPS(imm(3), v, v, t)
		c.VMOVMSKPS(t, bits)
		c.TESTL(bits, bits)
	}
	c.JNZ(operand.LabelRef(label))
}
