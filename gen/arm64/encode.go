package arm64

import "fmt"

// The NEON instructions Go's arm64 assembler does not know (checked with
// go1.26: its TODO list in cmd/asm/internal/asm/testdata/arm64enc.s agrees)
// are emitted as WORD directives, each with the instruction in GNU syntax
// as its comment, so the .s still reads like the math. Every one comes
// from the table below; TestEncodingsMatchGNUAs assembles each form the
// generator can produce with GNU as and compares the words.

// form is one instruction shape on 4×32-bit vectors (.4s): its mnemonic,
// its fixed bits, and how its operands are placed.
type form struct {
	mnemonic string
	base     uint32
	shape    shape
}

// shape says how a form's operands are encoded and written.
type shape int

const (
	sameThree    shape = iota // Vd.4s, Vn.4s, Vm.4s: Rm at 16, Rn at 5, Rd at 0
	twoMisc                   // Vd.4s, Vn.4s
	byElement                 // Vd.4s, Vn.4s, Vm.s[i]: i in H:L (bits 11, 21), Vm in M:Rm (bits 20, 19–16)
	shiftRight                // Vd.4s, Vn.4s, #shift: immh:immb (bits 22–16) = 64 − shift
	bitwise                   // Vd.16b, Vn.16b, Vm.16b: as sameThree
	narrowHalves              // Vd.4h, Vn.4s: as twoMisc, each lane's low half
	narrowBytes               // Vd.8b, Vn.8h: as twoMisc, each half's low byte
	dotByElement              // Vd.4s, Vn.16b, Vm.4b[i]: as byElement, four bytes a lane
)

// The forms, by the name the writer calls them.
var forms = map[string]form{
	"fadd":   {"fadd", 0x4e20d400, sameThree},
	"fsub":   {"fsub", 0x4ea0d400, sameThree},
	"fmul":   {"fmul", 0x6e20dc00, sameThree},
	"fdiv":   {"fdiv", 0x6e20fc00, sameThree},
	"fmax":   {"fmax", 0x4e20f400, sameThree},
	"fmin":   {"fmin", 0x4ea0f400, sameThree},
	"fcmgt":  {"fcmgt", 0x6ea0e400, sameThree},
	"fcmge":  {"fcmge", 0x6e20e400, sameThree},
	"faddp":  {"faddp", 0x6e20d400, sameThree},
	"fmaxp":  {"fmaxp", 0x6e20f400, sameThree},
	"fminp":  {"fminp", 0x6ea0f400, sameThree},
	"smax":   {"smax", 0x4ea06400, sameThree},
	"smin":   {"smin", 0x4ea06c00, sameThree},
	"mla":    {"mla", 0x4ea09400, sameThree},
	"fabs":   {"fabs", 0x4ea0f800, twoMisc},
	"fneg":   {"fneg", 0x6ea0f800, twoMisc},
	"fsqrt":  {"fsqrt", 0x6ea1f800, twoMisc},
	"frintn": {"frintn", 0x4e218800, twoMisc},
	"scvtf":  {"scvtf", 0x4e21d800, twoMisc},
	"fcvtzs": {"fcvtzs", 0x4ea1b800, twoMisc},
	"fcvtns": {"fcvtns", 0x4e21a800, twoMisc},
	"xtnh":   {"xtn", 0x0e612800, narrowHalves},
	"xtnb":   {"xtn", 0x0e212800, narrowBytes},
	"sdote":  {"sdot", 0x4f80e000, dotByElement},
	"fmlae":  {"fmla", 0x4f801000, byElement},
	"sshr":   {"sshr", 0x4f000400, shiftRight},
	"bic":    {"bic", 0x4e601c00, bitwise},
}

// encode returns the word of form f with destination d, sources n and m
// (m unused by twoMisc and shiftRight), and imm (the lane of byElement, the
// shift of shiftRight), and the instruction in GNU syntax.
func encode(f form, d, n, m vreg, imm int) (uint32, string) {
	word := f.base | uint32(n)<<5 | uint32(d)
	switch f.shape {
	case sameThree, bitwise:
		word |= uint32(m) << 16
	case byElement, dotByElement:
		if imm < 0 || imm > 3 {
			panic(fmt.Sprintf("arm64: lane %d of a 4-lane register", imm))
		}
		word |= uint32(m&15)<<16 | uint32(m>>4)<<20 | uint32(imm&1)<<21 | uint32(imm>>1)<<11
	case shiftRight:
		if imm < 1 || imm > 32 {
			panic(fmt.Sprintf("arm64: shift of %d on 32-bit lanes", imm))
		}
		word |= uint32(64-imm) << 16
	}
	return word, gnu(f, d, n, m, imm)
}

// gnu writes an instruction of form f in GNU assembler syntax.
func gnu(f form, d, n, m vreg, imm int) string {
	switch f.shape {
	case twoMisc:
		return fmt.Sprintf("%s v%d.4s, v%d.4s", f.mnemonic, d, n)
	case byElement:
		return fmt.Sprintf("%s v%d.4s, v%d.4s, v%d.s[%d]", f.mnemonic, d, n, m, imm)
	case dotByElement:
		return fmt.Sprintf("%s v%d.4s, v%d.16b, v%d.4b[%d]", f.mnemonic, d, n, m, imm)
	case narrowHalves:
		return fmt.Sprintf("%s v%d.4h, v%d.4s", f.mnemonic, d, n)
	case narrowBytes:
		return fmt.Sprintf("%s v%d.8b, v%d.8h", f.mnemonic, d, n)
	case shiftRight:
		return fmt.Sprintf("%s v%d.4s, v%d.4s, #%d", f.mnemonic, d, n, imm)
	case bitwise:
		return fmt.Sprintf("%s v%d.16b, v%d.16b, v%d.16b", f.mnemonic, d, n, m)
	}
	return fmt.Sprintf("%s v%d.4s, v%d.4s, v%d.4s", f.mnemonic, d, n, m)
}

// word emits the instruction of the form named name as a WORD directive
// with its GNU syntax as the comment.
func (w *writer) word(name string, d, n, m vreg, imm int) {
	f, ok := forms[name]
	if !ok {
		panic("arm64: no encoding for " + name)
	}
	word, text := encode(f, d, n, m, imm)
	w.emit(fmt.Sprintf("WORD $0x%08x // %s", word, text))
}

// The WORD instructions as the kernels call them: d = n op m.
func (w *writer) fadd(d, n, m vreg)  { w.word("fadd", d, n, m, 0) }
func (w *writer) fsub(d, n, m vreg)  { w.word("fsub", d, n, m, 0) }
func (w *writer) fmul(d, n, m vreg)  { w.word("fmul", d, n, m, 0) }
func (w *writer) fdiv(d, n, m vreg)  { w.word("fdiv", d, n, m, 0) }
func (w *writer) fmax(d, n, m vreg)  { w.word("fmax", d, n, m, 0) }
func (w *writer) fmin(d, n, m vreg)  { w.word("fmin", d, n, m, 0) }
func (w *writer) fcmgt(d, n, m vreg) { w.word("fcmgt", d, n, m, 0) }
func (w *writer) fcmge(d, n, m vreg) { w.word("fcmge", d, n, m, 0) }
func (w *writer) faddp(d, n, m vreg) { w.word("faddp", d, n, m, 0) }
func (w *writer) fmaxp(d, n, m vreg) { w.word("fmaxp", d, n, m, 0) }
func (w *writer) fabs(d, n vreg)     { w.word("fabs", d, n, 0, 0) }
func (w *writer) fneg(d, n vreg)     { w.word("fneg", d, n, 0, 0) }
func (w *writer) fsqrt(d, n vreg)    { w.word("fsqrt", d, n, 0, 0) }
func (w *writer) frintn(d, n vreg)   { w.word("frintn", d, n, 0, 0) }
func (w *writer) scvtf(d, n vreg)    { w.word("scvtf", d, n, 0, 0) }
func (w *writer) fcvtzs(d, n vreg)   { w.word("fcvtzs", d, n, 0, 0) }
func (w *writer) bic(d, n, m vreg)   { w.word("bic", d, n, m, 0) }
func (w *writer) fminp(d, n, m vreg) { w.word("fminp", d, n, m, 0) }
func (w *writer) fcvtns(d, n vreg)   { w.word("fcvtns", d, n, 0, 0) }

// The integer forms of the int8 kernels, on 32-bit lanes: d = max(n, m),
// min(n, m), d += n·m; xtnh keeps each lane's low 16 bits (four halves),
// xtnb each half's low byte.
func (w *writer) smax(d, n, m vreg) { w.word("smax", d, n, m, 0) }
func (w *writer) smin(d, n, m vreg) { w.word("smin", d, n, m, 0) }
func (w *writer) mla(d, n, m vreg)  { w.word("mla", d, n, m, 0) }
func (w *writer) xtnh(d, n vreg)    { w.word("xtnh", d, n, 0, 0) }
func (w *writer) xtnb(d, n vreg)    { w.word("xtnb", d, n, 0, 0) }

// sdotLane adds to each lane j of d the dot product of the four signed
// bytes 4j..4j+3 of n with the four signed bytes of lane i of m.
func (w *writer) sdotLane(d, n, m vreg, i int) { w.word("sdote", d, n, m, i) }

// fmlaLane adds n times lane i of m to d: d += n·m[i].
func (w *writer) fmlaLane(d, n, m vreg, i int) { w.word("fmlae", d, n, m, i) }

// sshr shifts every lane of n right by shift bits, copying the sign bit.
func (w *writer) sshr(d, n vreg, shift int) { w.word("sshr", d, n, 0, shift) }
