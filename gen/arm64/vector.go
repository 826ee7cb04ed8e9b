package arm64

import "strconv"

// The vector primitives: each operation the kernels need, in NEON. A
// vector holds 4 float32; a partial vector of 1 to 3 floats is moved in
// plain pieces (a single float, a pair, and a pair plus one lane), never
// as a whole register, so a tail reads and writes only its array.

// lanes is the float32 lanes of one NEON register.
const lanes = 4

// load sets v to the n floats at m (1 ≤ n ≤ 4) and its lanes past them to
// 0: the scalar loads FMOVS and FMOVD clear the rest of the register.
func (w *writer) load(m mem, n int, v vreg) {
	switch n {
	case 4:
		w.op("FMOVQ %s, %s", m, v.f())
	case 3:
		w.op("FMOVD %s, %s", m, v.f())
		end := w.scope()
		p := w.pointer(m.base, m.off+8)
		w.op("VLD1 (%s), V%d.S[2]", p, v)
		end()
	case 2:
		w.op("FMOVD %s, %s", m, v.f())
	case 1:
		w.op("FMOVS %s, %s", m, v.f())
	default:
		panic("arm64: a load of " + strconv.Itoa(n) + " lanes")
	}
}

// store writes the first n lanes of v to m (1 ≤ n ≤ 4), nothing past them.
func (w *writer) store(v vreg, n int, m mem) {
	switch n {
	case 4:
		w.op("FMOVQ %s, %s", v.f(), m)
	case 3:
		w.op("FMOVD %s, %s", v.f(), m)
		end := w.scope()
		p := w.pointer(m.base, m.off+8)
		w.op("VST1 V%d.S[2], (%s)", v, p)
		end()
	case 2:
		w.op("FMOVD %s, %s", v.f(), m)
	case 1:
		w.op("FMOVS %s, %s", v.f(), m)
	default:
		panic("arm64: a store of " + strconv.Itoa(n) + " lanes")
	}
}

// loadPair loads the two vectors at m and m+16 with one LDP.
func (w *writer) loadPair(m mem, v0, v1 vreg) {
	w.op("FLDPQ %s, (%s, %s)", m, v0.f(), v1.f())
}

// storePair stores v0 and v1 at m and m+16 with one STP.
func (w *writer) storePair(v0, v1 vreg, m mem) {
	w.op("FSTPQ (%s, %s), %s", v0.f(), v1.f(), m)
}

// pastLanes is the name and value of the lane pattern with every bit of
// the lanes from n on set.
func pastLanes(n int) (string, [4]uint32) {
	var p [4]uint32
	for i := n; i < lanes; i++ {
		p[i] = 0xffffffff
	}
	return "lanesfrom" + strconv.Itoa(n), p
}

// fillPast sets the lanes of v from n on to the same lanes of src.
func (w *writer) fillPast(n int, src, v vreg) {
	mask := w.constantLanes(pastLanes(n))
	w.op("VBIT %s, %s, %s", mask.b16(), src.b16(), v.b16()) // v = v where mask is clear, src where set
}

// choose sets dst to t in the lanes of mask (all ones or all zeros) and
// to f elsewhere.
func (w *writer) choose(mask, t, f, dst vreg) {
	switch dst {
	case f:
		w.op("VBIT %s, %s, %s", mask.b16(), t.b16(), dst.b16()) // insert t where mask is set
	case t:
		w.op("VBIF %s, %s, %s", mask.b16(), f.b16(), dst.b16()) // insert f where mask is clear
	default:
		w.mov(dst, mask)
		w.op("VBSL %s, %s, %s", f.b16(), t.b16(), dst.b16()) // t where dst (the mask) is set, else f
	}
}

// signMask sets dst to all ones in the lanes where x's sign bit is set,
// zeros elsewhere.
func (w *writer) signMask(x, dst vreg) { w.sshr(dst, x, 32) }

// keep sets dst to src in the lanes of mask and to 0 elsewhere.
func (w *writer) keep(mask, src, dst vreg) {
	w.op("VAND %s, %s, %s", mask.b16(), src.b16(), dst.b16())
}

// zero sets every lane of v to 0.
func (w *writer) zero(v vreg) { w.op("VMOVI $0, %s", v.b16()) }

// flushSubnormal sets the lanes of v whose magnitude is below the
// smallest normal float32, 2⁻¹²⁶, to 0; NaN is kept (the compare is false
// for it).
func (w *writer) flushSubnormal(v vreg) {
	end := w.scope()
	mag := w.vec()
	w.fabs(mag, v)
	w.fcmgt(mag, w.constantF("minnormal", 0x1p-126), mag) // 2⁻¹²⁶ > |v|
	w.bic(v, v, mag)
	end()
}

// hreduce combines the 4 lanes of v with the pairwise op (faddp or
// fmaxp), leaving the result in every lane: two pairwise steps over v
// beside itself give ((v0∘v1)∘(v2∘v3)) everywhere.
func (w *writer) hreduce(v vreg, pairwise func(d, n, m vreg)) {
	pairwise(v, v, v)
	pairwise(v, v, v)
}

// broadcastParam loads the float32 parameter name into every lane of a
// new register.
func (w *writer) broadcastParam(f *frameLayout, name string) vreg {
	v := w.vec()
	w.op("FMOVS %s, %s", f.at(name), v.f())
	w.op("VDUP V%d.S[0], %s", v, v.s4())
	return v
}
