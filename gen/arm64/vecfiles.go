package arm64

import (
	"fmt"

	"github.com/vecgen/vecgen/gen/plan"
)

// sliceHeader is the size in bytes of a []float32 header (pointer, length,
// capacity): the stride between the sources sumScaled reads.
const sliceHeader = 24

// gatherRowsGroup is how many rows gatherRows copies at once.
const gatherRowsGroup = 4

// VecFiles renders, for tier isa (NEON), the vector loops nn runs over
// lengths known only at run time, for package pkg: sumScaledNEON,
// firstNonFiniteNEON, maxAbsBitsNEON and gatherRowsNEON, with the same meaning and order
// of operations as the x86 tiers' (gen/amd64/vecfiles.go).
func VecFiles(pkg string, isa plan.ISA) (asm, stubs []byte, err error) {
	if isa != plan.NEON {
		return nil, nil, fmt.Errorf("arm64: no %s tier", isa.Name)
	}
	f := newFile("gen.VecFiles", pkg)
	err = render(func() {
		f.sumScaled()
		f.firstNonFinite()
		f.maxAbsBits()
		f.gatherRows()
	})
	if err != nil {
		return nil, nil, err
	}
	return f.finish()
}

// sumScaled emits
//
//	sumScaledNEON(dst *float32, srcs *[]float32, nsrcs, n int, scale float32)
//
// which sets dst[i] = scale·(((dst[i] + s₀[i]) + s₁[i]) + …) for i < n,
// s_j the data of srcs[j], in one pass over memory: 4 vectors at a time
// (each source added in turn), then one vector, then one float. No FMA, so
// the result is bit-identical to the same loop in Go.
func (f *file) sumScaled() {
	args := []arg{{"dst", "*float32"}, {"srcs", "*[]float32"}, {"nsrcs", "int"}, {"n", "int"}, {"scale", "float32"}}
	doc := []string{"sumScaledNEON sets dst[i] = scale·(dst[i] + Σⱼ srcs[j][i]) for i < n, summing in order."}
	f.function("sumScaledNEON", args, nil, doc, func(frame *frameLayout) {
		w := f.w
		dst, srcs, nsrcs, n := w.gp(), w.gp(), w.gp(), w.gp()
		w.op("MOVD %s, %s", frame.at("dst"), dst)
		w.op("MOVD %s, %s", frame.at("srcs"), srcs)
		w.op("MOVD %s, %s", frame.at("nsrcs"), nsrcs)
		w.op("MOVD %s, %s", frame.at("n"), n)
		scale := w.broadcastParam(frame, "scale")
		off := w.gp() // byte offset of the current block, in dst and in every source
		w.op("MOVD ZR, %s", off)
		// block sums the next vecs vectors (one float when vecs is 0)
		// while at least that many floats remain.
		block := func(name string, vecs int) {
			floats := max(vecs*lanes, 1)
			end := w.scope()
			w.label(name)
			w.op("CMP $%d, %s", floats, n)
			w.op("BLT %sdone", name)
			acc, tmp := w.vecs(max(vecs, 1)), w.vec()
			d, p, j, q := w.gp(), w.copyGP(srcs), w.copyGP(nsrcs), w.gp()
			w.op("ADD %s, %s, %s", off, dst, d)
			w.transferBlock(d, acc, vecs, false)
			w.op("CBZ %s, %sscale", j, name)
			w.label(name + "src")
			w.op("MOVD (%s), %s", p, q) // srcs[j]'s data pointer
			w.op("ADD %s, %s, %s", off, q, q)
			for i, a := range acc {
				if vecs == 0 {
					w.op("FMOVS (%s), %s", q, tmp.f())
					w.op("FADDS %s, %s, %s", tmp.f(), a.f(), a.f())
				} else {
					w.load(at(q, 16*i), lanes, tmp)
					w.fadd(a, a, tmp)
				}
			}
			w.op("ADD $%d, %s, %s", sliceHeader, p, p)
			w.op("SUBS $1, %s, %s", j, j)
			w.op("BNE %ssrc", name)
			w.label(name + "scale")
			for _, a := range acc {
				if vecs == 0 {
					w.op("FMULS %s, %s, %s", scale.f(), a.f(), a.f())
				} else {
					w.fmul(a, a, scale)
				}
			}
			w.transferBlock(d, acc, vecs, true)
			w.addImm(off, 4*floats)
			w.op("SUB $%d, %s, %s", floats, n, n)
			w.op("B %s", name)
			w.label(name + "done")
			end()
		}
		block("four", 4)
		block("one", 1)
		block("scalar", 0)
	})
}

// transferBlock loads (or, with store set, stores) the block of vecs
// vectors at dst into acc; vecs 0 means one float.
func (w *writer) transferBlock(dst greg, acc []vreg, vecs int, store bool) {
	for i, a := range acc {
		switch {
		case vecs == 0 && store:
			w.op("FMOVS %s, (%s)", a.f(), dst)
		case vecs == 0:
			w.op("FMOVS (%s), %s", dst, a.f())
		case store:
			w.store(a, lanes, at(dst, 16*i))
		default:
			w.load(at(dst, 16*i), lanes, a)
		}
	}
}

// firstNonFinite emits
//
//	firstNonFiniteNEON(v *float32, n int) int
//
// which returns the index of the first block of v[:n] holding a NaN or an
// infinity (blocks of 4 vectors, then of one, then single floats), or n
// when every float is finite: x − x is 0 for every finite x and NaN for
// the others, the sum of a block's differences is NaN when one is, and a
// compare of the sum with itself finds it. The caller finds the element
// within the block.
func (f *file) firstNonFinite() {
	args := []arg{{"v", "*float32"}, {"n", "int"}}
	doc := []string{"firstNonFiniteNEON returns the start of the first block of v[:n] holding a NaN or an infinity, or n."}
	f.function("firstNonFiniteNEON", args, &arg{"ret", "int"}, doc, func(frame *frameLayout) {
		w := f.w
		i := f.eachBlock(frame, nil, func(vecs int, v greg) {
			sum, d := w.vec(), w.vec()
			if vecs == 0 {
				w.op("FMOVS (%s), %s", v, sum.f())
				w.op("FSUBS %s, %s, %s", sum.f(), sum.f(), sum.f())
			} else {
				for j := range vecs {
					w.load(at(v, 16*j), lanes, d)
					w.fsub(d, d, d)
					if j == 0 {
						w.mov(sum, d)
					} else {
						w.fadd(sum, sum, d)
					}
				}
				w.hreduce(sum, w.faddp)
			}
			w.op("FCMPS %s, %s", sum.f(), sum.f())
			w.op("BVS found") // unordered: the block holds a NaN or an infinity
		})
		w.label("found")
		w.op("MOVD %s, %s", i, frame.at("ret"))
	})
}

// eachBlock walks the float32 vector v[:n] of the function's arguments v
// and n in blocks of 4 vectors, then of one, then single floats: it loads
// the arguments, calls setup (when not nil), then calls body once for each
// kind of block (vecs 4, 1 and 0) with the register pointing at the
// block, inside the block's allocation scope; body's code runs for each
// block of its kind. It returns the register holding the index of the
// current block, which after the walk is n.
func (f *file) eachBlock(frame *frameLayout, setup func(), body func(vecs int, v greg)) greg {
	w := f.w
	v, n, i, left := w.gp(), w.gp(), w.gp(), w.gp()
	w.op("MOVD %s, %s", frame.at("v"), v)
	w.op("MOVD %s, %s", frame.at("n"), n)
	w.op("MOVD ZR, %s", i) // index of the current block; v points at it
	if setup != nil {
		setup()
	}
	block := func(label string, vecs int) {
		floats := max(vecs*lanes, 1)
		end := w.scope()
		w.label(label)
		w.op("SUB %s, %s, %s", i, n, left)
		w.op("CMP $%d, %s", floats, left)
		w.op("BLT %sdone", label)
		body(vecs, v)
		w.addImm(i, floats)
		w.addImm(v, 4*floats)
		w.op("B %s", label)
		w.label(label + "done")
		end()
	}
	block("four", 4)
	block("one", 1)
	block("scalar", 0)
	return i
}

// maxAbsBits emits
//
//	maxAbsBitsNEON(v *float32, n int) uint32
//
// which returns the bits of the largest |v[i]| over v[:n] (blocks of 4
// vectors, then of one, then single floats; 0 when n is 0): FMAX keeps a
// NaN operand, so the result is the largest magnitude, +Inf when one is
// infinite and a NaN (positive, as FABS left it) when one is, whose bits
// order as the x86 tiers' do.
func (f *file) maxAbsBits() {
	args := []arg{{"v", "*float32"}, {"n", "int"}}
	doc := []string{"maxAbsBitsNEON returns the bits of the largest |v[i]| over v[:n]: the largest magnitude, +Inf or a NaN."}
	f.function("maxAbsBitsNEON", args, &arg{"ret", "uint32"}, doc, func(frame *frameLayout) {
		w := f.w
		var acc, one vreg
		setup := func() {
			acc, one = w.vec(), w.vec()
			w.zero(acc)
			w.zero(one) // the single floats', apart: a scalar write clears the other lanes
		}
		f.eachBlock(frame, setup, func(vecs int, v greg) {
			d := w.vec()
			if vecs == 0 {
				w.op("FMOVS (%s), %s", v, d.f())
				w.op("FABSS %s, %s", d.f(), d.f())
				w.op("FMAXS %s, %s, %s", d.f(), one.f(), one.f())
			}
			for j := range vecs {
				w.load(at(v, 16*j), lanes, d)
				w.fabs(d, d)
				w.fmax(acc, acc, d)
			}
		})
		w.hreduce(acc, w.fmaxp)
		w.op("FMAXS %s, %s, %s", one.f(), acc.f(), acc.f())
		w.op("FMOVS %s, %s", acc.f(), frame.at("ret"))
	})
}

// gatherRows emits
//
//	gatherRowsNEON(dst *float32, dstStride int, src *float32, srcStride int, rows *int, groups int, n int)
//
// which copies groups·4 rows of n floats, dst[j·dstStride + i] =
// src[rows[j]·srcStride + i], four rows at a time: one vector of each row
// in turn, then single floats, so that the cache misses of four rows
// scattered over memory are in flight together. The caller checks the
// bounds.
func (f *file) gatherRows() {
	args := []arg{{"dst", "*float32"}, {"dstStride", "int"}, {"src", "*float32"}, {"srcStride", "int"},
		{"rows", "*int"}, {"groups", "int"}, {"n", "int"}}
	doc := []string{"gatherRowsNEON copies groups·4 rows of n floats, dst[j·dstStride+i] = src[rows[j]·srcStride+i], four rows at a time."}
	f.function("gatherRowsNEON", args, nil, doc, func(frame *frameLayout) {
		w := f.w
		regs := map[string]greg{}
		for _, a := range args {
			regs[a.name] = w.gp()
			w.op("MOVD %s, %s", frame.at(a.name), regs[a.name])
		}
		dst, src, rows, groups, n := regs["dst"], regs["src"], regs["rows"], regs["groups"], regs["n"]
		srcStride, dstStride := regs["srcStride"], regs["dstStride"]
		w.op("LSL $2, %s, %s", srcStride, srcStride) // strides in bytes
		w.op("LSL $2, %s, %s", dstStride, dstStride)
		w.op("CBZ %s, gathered", groups)
		w.label("group")
		w.comment("The group's rows: src + 4·rows[q]·srcStride and dst + 4·q·dstStride.")
		end := w.scope()
		srcs, dsts := make([]greg, gatherRowsGroup), make([]greg, gatherRowsGroup)
		for q := range srcs {
			srcs[q], dsts[q] = w.gp(), w.gp()
			w.op("MOVD %d(%s), %s", 8*q, rows, srcs[q])
			w.op("MUL %s, %s, %s", srcStride, srcs[q], srcs[q])
			w.op("ADD %s, %s, %s", src, srcs[q], srcs[q])
			if q == 0 {
				w.op("MOVD %s, %s", dst, dsts[q])
			} else {
				w.op("ADD %s, %s, %s", dstStride, dsts[q-1], dsts[q])
			}
		}
		count, v := w.gp(), w.vecs(gatherRowsGroup)
		w.op("LSR $2, %s, %s", n, count)
		w.op("CBZ %s, floats", count)
		w.label("vectors")
		w.comment("One vector of each row, loads first: four rows' misses in flight.")
		for q := range v {
			w.op("FMOVQ.P 16(%s), %s", srcs[q], v[q].f())
		}
		for q := range v {
			w.op("FMOVQ.P %s, 16(%s)", v[q].f(), dsts[q])
		}
		w.op("SUBS $1, %s, %s", count, count)
		w.op("BNE vectors")
		w.label("floats")
		w.comment("The rows' last floats, fewer than a vector, one at a time.")
		w.op("AND $3, %s, %s", n, count)
		w.op("CBZ %s, next", count)
		w.label("float")
		for q := range v {
			w.op("FMOVS.P 4(%s), %s", srcs[q], v[q].f())
			w.op("FMOVS.P %s, 4(%s)", v[q].f(), dsts[q])
		}
		w.op("SUBS $1, %s, %s", count, count)
		w.op("BNE float")
		w.label("next")
		w.comment("The next group's first row of dst is 4 strides on.")
		w.op("ADD %s<<2, %s, %s", dstStride, dst, dst)
		end()
		w.op("ADD $%d, %s, %s", 8*gatherRowsGroup, rows, rows)
		w.op("SUBS $1, %s, %s", groups, groups)
		w.op("BNE group")
		w.label("gathered")
	})
}
