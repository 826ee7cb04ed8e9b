package arm64

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// vreg is one of the 32 NEON registers V0–V31.
type vreg uint8

// s4 is v as four float32 lanes, b16 as sixteen bytes, f as the scalar
// register that shares its low bits (F0–F31, also the name of a Q register
// in FMOVQ and FLDPQ).
func (v vreg) s4() string  { return fmt.Sprintf("V%d.S4", v) }
func (v vreg) b16() string { return fmt.Sprintf("V%d.B16", v) }
func (v vreg) f() string   { return fmt.Sprintf("F%d", v) }

// greg is a general-purpose register.
type greg uint8

func (r greg) String() string { return fmt.Sprintf("R%d", r) }

// gpUsable is the set of general-purpose registers the kernels may use:
// R0–R17 and R19–R26. Never R18 (the platform register on macOS and
// Windows), R27 (the assembler's temporary, which it uses for offsets that
// do not fit an instruction), R28 (g), R29 (the frame pointer), R30 (the
// link register) or RSP.
const gpUsable uint32 = 1<<18 - 1 | (1<<27-1)&^(1<<19-1)

// mem is a memory operand: base plus a byte offset.
type mem struct {
	base greg
	off  int
}

func (m mem) String() string {
	if m.off == 0 {
		return fmt.Sprintf("(%s)", m.base)
	}
	return fmt.Sprintf("%d(%s)", m.off, m.base)
}

// plus is m moved n bytes on.
func (m mem) plus(n int) mem { return mem{m.base, m.off + n} }

// at is the operand off bytes past the address in base.
func at(base greg, off int) mem { return mem{base, off} }

// writer emits the functions of one .s file for the NEON tier. Registers
// are allocated in scopes (scope), lowest number first, and freed when the
// scope ends; the kernels are written so that a register lives no longer
// than the scope that allocated it.
type writer struct {
	out    bytes.Buffer
	consts constTable
	fn     *function
}

// function is the state of the function being written.
type function struct {
	lines        []string
	vfree, gfree uint32
	// vlast and glast are the line at which each register was last
	// allocated (−1: not yet in this function), vfreed and gfreed the
	// line at which it was last freed, so that a constant hoisted to an
	// earlier line takes only a register no code since that line has
	// used.
	vlast, glast   [32]int
	vfreed, gfreed [32]int
	scopes         []*scope
	hoists         []*hoist // open hoist frames, outermost first
	spliced        []*hoist // every frame, to be spliced into lines
	labels         int
	base           greg // the register holding the constant table's address
	hasBase        bool
	prologue       *hoist // the frame at the function's first line
}

// scope is the registers allocated since it was opened.
type scope struct {
	v, g uint32
}

// hoist is a point before a loop that code inside the loop may move
// constant loads to: they run once, in registers reserved until the frame
// ends, instead of once per iteration.
type hoist struct {
	at     int // the line the loads go before
	lines  []string
	consts map[string]vreg
	v, g   uint32 // the registers it reserved
}

func newWriter() *writer { return &writer{} }

// begin starts a function: every register free.
func (w *writer) begin() {
	f := &function{vfree: math.MaxUint32, gfree: gpUsable}
	for i := range f.vlast {
		f.vlast[i], f.glast[i], f.vfreed[i], f.gfreed[i] = -1, -1, -1, -1
	}
	w.fn = f
	f.prologue = w.openHoist()
	w.scope()
}

// finish returns the function's body, hoisted lines spliced in, and
// checks that every scope and frame was closed.
func (w *writer) finish() []string {
	f := w.fn
	if len(f.scopes) != 1 || len(f.hoists) != 1 {
		panic(fmt.Sprintf("arm64: function ended with %d scopes and %d hoist frames open", len(f.scopes), len(f.hoists)))
	}
	var out []string
	next := 0
	for _, h := range f.spliced { // in the order they were opened, so outer frames come first
		out = append(out, f.lines[next:h.at]...)
		out = append(out, h.lines...)
		next = h.at
	}
	out = append(out, f.lines[next:]...)
	w.fn = nil
	return out
}

// emit appends one instruction or directive.
func (w *writer) emit(s string) { w.fn.lines = append(w.fn.lines, "\t"+s) }

// op emits an instruction from a format.
func (w *writer) op(format string, args ...any) { w.emit(fmt.Sprintf(format, args...)) }

// comment emits a comment line: the phases of a kernel.
func (w *writer) comment(format string, args ...any) {
	w.fn.lines = append(w.fn.lines, "\t// "+fmt.Sprintf(format, args...))
}

// note emits a phase comment given whole.
func (w *writer) note(text string) { w.fn.lines = append(w.fn.lines, "\t// "+text) }

// label places a label, unique in the function.
func (w *writer) label(name string) { w.fn.lines = append(w.fn.lines, name+":") }

// newLabel returns a fresh label name built on name.
func (w *writer) newLabel(name string) string {
	w.fn.labels++
	return fmt.Sprintf("%s%d", name, w.fn.labels)
}

// scope opens an allocation scope and returns the function that ends it,
// freeing every register allocated in it.
func (w *writer) scope() (end func()) {
	s := &scope{}
	f := w.fn
	f.scopes = append(f.scopes, s)
	return func() {
		if f.scopes[len(f.scopes)-1] != s {
			panic("arm64: scopes ended out of order")
		}
		f.scopes = f.scopes[:len(f.scopes)-1]
		w.release(s.v, s.g)
	}
}

// release frees the vector registers in v and the general-purpose ones
// in g, recording the line.
func (w *writer) release(v, g uint32) {
	f := w.fn
	f.vfree |= v
	f.gfree |= g
	for r := range 32 {
		if v&(1<<r) != 0 {
			f.vfreed[r] = len(f.lines)
		}
		if g&(1<<r) != 0 {
			f.gfreed[r] = len(f.lines)
		}
	}
}

// errRegisters is the panic an allocation that finds no register raises;
// Emit turns it into an error.
type errRegisters struct{ kind string }

func (e errRegisters) Error() string {
	return "arm64: out of " + e.kind + " registers (the tile plan needs more registers than exist)"
}

// take allocates the lowest register of free, records it in the innermost
// scope and returns it.
func (w *writer) take(free *uint32, last *[32]int, inScope func(*scope) *uint32, kind string) uint8 {
	if *free == 0 {
		panic(errRegisters{kind})
	}
	r := bits.TrailingZeros32(*free)
	*free &^= 1 << r
	last[r] = len(w.fn.lines)
	*inScope(w.fn.scopes[len(w.fn.scopes)-1]) |= 1 << r
	return uint8(r)
}

// vec allocates a vector register in the innermost scope.
func (w *writer) vec() vreg {
	return vreg(w.take(&w.fn.vfree, &w.fn.vlast, func(s *scope) *uint32 { return &s.v }, "vector"))
}

// vecs allocates n vector registers.
func (w *writer) vecs(n int) []vreg {
	v := make([]vreg, n)
	for i := range v {
		v[i] = w.vec()
	}
	return v
}

// gp allocates a general-purpose register in the innermost scope.
func (w *writer) gp() greg {
	return greg(w.take(&w.fn.gfree, &w.fn.glast, func(s *scope) *uint32 { return &s.g }, "general-purpose"))
}

// copyGP returns a new register holding r's value.
func (w *writer) copyGP(r greg) greg {
	c := w.gp()
	w.op("MOVD %s, %s", r, c)
	return c
}

// openHoist opens a hoist frame at the current line.
func (w *writer) openHoist() *hoist {
	h := &hoist{at: len(w.fn.lines), consts: map[string]vreg{}}
	w.fn.hoists = append(w.fn.hoists, h)
	w.fn.spliced = append(w.fn.spliced, h)
	return h
}

// closeHoist ends the innermost hoist frame, freeing its registers.
func (w *writer) closeHoist(h *hoist) {
	f := w.fn
	if f.hoists[len(f.hoists)-1] != h {
		panic("arm64: hoist frames ended out of order")
	}
	f.hoists = f.hoists[:len(f.hoists)-1]
	w.release(h.v, h.g)
}

// hoisted runs body inside a hoist frame: constants it asks for are
// loaded once before it, where registers allow.
func (w *writer) hoisted(body func()) {
	h := w.openHoist()
	body()
	w.closeHoist(h)
}

// reserve takes a register of the set free (with the lines of its last
// allocation and release in last and freed) for frame h: one that no code
// has held at h's line or since, so that loading it there clobbers
// nothing. ok is false when none is.
func (w *writer) reserve(h *hoist, free *uint32, last, freed *[32]int) (uint8, bool) {
	for r := range 32 {
		if *free&(1<<r) != 0 && last[r] < h.at && freed[r] <= h.at {
			*free &^= 1 << r
			last[r] = h.at
			return uint8(r), true
		}
	}
	return 0, false
}

// constBase returns the register holding the address of the file's
// constant table, loaded at the function's first line.
func (w *writer) constBase() greg {
	f := w.fn
	if !f.hasBase {
		r, ok := w.reserve(f.prologue, &f.gfree, &f.glast, &f.gfreed)
		if !ok {
			panic(errRegisters{"general-purpose"})
		}
		f.prologue.g |= 1 << r
		f.base, f.hasBase = greg(r), true
		f.prologue.lines = append(f.prologue.lines, fmt.Sprintf("\tMOVD $%s(SB), %s", constSymbol, f.base))
	}
	return f.base
}

// constant returns a register holding the splat of bits in all 4 lanes,
// named name in the constant table: a register an open hoist frame loaded
// it into (the outermost frame that has one to spare), or else a register
// of the innermost scope, loaded here.
func (w *writer) constant(name string, bits uint32) vreg {
	return w.constantLanes(name, [4]uint32{bits, bits, bits, bits})
}

// constantF is constant for a float32 value.
func (w *writer) constantF(name string, v float32) vreg {
	return w.constant(name, math.Float32bits(v))
}

// constantLanes is constant with a value per lane.
func (w *writer) constantLanes(name string, lanes [4]uint32) vreg {
	off := w.consts.add(name, lanes)
	if r, ok := w.hoistedConstant(name); ok {
		return r
	}
	f := w.fn
	base := w.constBase()
	for _, h := range f.hoists[1:] {
		if r, ok := w.reserve(h, &f.vfree, &f.vlast, &f.vfreed); ok {
			h.v |= 1 << r
			h.consts[name] = vreg(r)
			h.lines = append(h.lines, fmt.Sprintf("\tFMOVQ %s, F%d // %s", at(base, off), r, name))
			return vreg(r)
		}
	}
	r := w.vec()
	w.op("FMOVQ %s, %s // %s", at(base, off), r.f(), name)
	return r
}

// hoistedConstant returns the register an open hoist frame holds the
// constant name in (the prologue frame holds the table's base only).
func (w *writer) hoistedConstant(name string) (vreg, bool) {
	for _, h := range w.fn.hoists[1:] {
		if r, ok := h.consts[name]; ok {
			return r, true
		}
	}
	return 0, false
}

// constantInto sets dst to the float constant name (a copy of its
// hoisted register, or a load), for an instruction that overwrites its
// operand.
func (w *writer) constantInto(name string, v float32, dst vreg) {
	b := math.Float32bits(v)
	off := w.consts.add(name, [4]uint32{b, b, b, b})
	if r, ok := w.hoistedConstant(name); ok {
		w.mov(dst, r)
		return
	}
	w.op("FMOVQ %s, %s // %s", at(w.constBase(), off), dst.f(), name)
}

// constTable is the file's read-only data: splat constants and lane
// patterns, 16 bytes each, in the order first used.
type constTable struct {
	names  []string
	values [][4]uint32
	offset map[string]int
}

// constSymbol names the table in the assembly.
const constSymbol = "neonconsts<>"

// add records name's value and returns its offset in the table; a name
// always has the same value.
func (t *constTable) add(name string, lanes [4]uint32) int {
	if t.offset == nil {
		t.offset = map[string]int{}
	}
	if off, ok := t.offset[name]; ok {
		if t.values[off/16] != lanes {
			panic("arm64: constant " + name + " given two values")
		}
		return off
	}
	off := 16 * len(t.names)
	t.names = append(t.names, name)
	t.values = append(t.values, lanes)
	t.offset[name] = off
	return off
}

// data renders the table as DATA and GLOBL directives.
func (t *constTable) data() string {
	if len(t.names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n// The constants the kernels load: 4 lanes each.\n")
	for i, name := range t.names {
		fmt.Fprintf(&b, "// %d: %s\n", 16*i, name)
		for lane, v := range t.values[i] {
			fmt.Fprintf(&b, "DATA %s+%d(SB)/4, $%#08x\n", constSymbol, 16*i+4*lane, v)
		}
	}
	fmt.Fprintf(&b, "GLOBL %s(SB), RODATA|NOPTR, $%d\n", constSymbol, 16*len(t.names))
	return b.String()
}

// loop emits body count times: as straight code when count is 1,
// otherwise as a loop counting down in a register.
func (w *writer) loop(name string, count int, body func()) {
	switch {
	case count <= 0:
		return
	case count == 1:
		body()
		return
	}
	end := w.scope()
	n := w.gp()
	w.op("MOVD $%d, %s", count, n)
	l := w.newLabel(name)
	w.label(l)
	body()
	w.op("SUBS $1, %s, %s", n, n)
	w.op("BNE %s", l)
	end()
}

// addImm adds the constant n to r.
func (w *writer) addImm(r greg, n int) {
	switch {
	case n > 0:
		w.op("ADD $%d, %s, %s", n, r, r)
	case n < 0:
		w.op("SUB $%d, %s, %s", -n, r, r)
	}
}

// pointer returns a new register holding base + off.
func (w *writer) pointer(base greg, off int) greg {
	r := w.gp()
	if off == 0 {
		w.op("MOVD %s, %s", base, r)
	} else {
		w.op("ADD $%d, %s, %s", off, base, r)
	}
	return r
}

// mov copies vector register src to dst.
func (w *writer) mov(dst, src vreg) {
	if dst != src {
		w.op("VMOV %s, %s", src.b16(), dst.b16())
	}
}

// sortedNames is names in order, for deterministic output.
func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
