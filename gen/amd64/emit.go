// Package amd64 is vecgen's x86-64 backend: it renders a plan's kernels
// for the AVX2 and AVX-512 tiers as Go assembly, through avo, with the Go
// stubs that declare them.
package amd64

import (
	"fmt"
	"math"
	"strings"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/internal/kerneldoc"
	"github.com/vecgen/vecgen/gen/plan"
)

// Emit renders every kernel of p for tier isa as Go assembly, returning
// the .s file and the Go stub declarations that go with it.
func Emit(p *plan.Plan, isa plan.ISA) (asm, stubs []byte, err error) {
	c := build.NewContext()
	c.ConstraintExpr("gc,!purego") // avo takes the +build syntax: gc && !purego
	a := newAsmWriter(c, isa)
	for i := range p.Kernels {
		k := &p.Kernels[i]
		m := k.Impl(isa)
		c.Function(m.Asm)
		if m.PackDepth == 0 { // a packed product's buffer makes a frame too large for NOSPLIT
			c.Attributes(attr.NOSPLIT)
		}
		c.Pragma("noescape")
		c.SignatureExpr(signature(p, k))
		c.Doc(kerneldoc.Lines(p, k, m)...)
		a.begin()
		restore := func() {}
		if p.Flush {
			restore = a.flushSubnormals()
		}
		a.kernel(p, k, m)
		restore()
		c.VZEROUPPER()
		c.RET()
	}
	for i := range p.Int8 {
		k := &p.Int8[i]
		m := k.Impl(isa)
		if m == nil {
			continue
		}
		c.Function(m.Asm) // its frame holds a tile's quantized rows: not NOSPLIT
		c.Pragma("noescape")
		c.SignatureExpr(int8Signature(k))
		c.Doc(int8Doc(k, m)...)
		a.begin()
		restore := func() {}
		if p.Flush {
			restore = a.flushSubnormals()
		}
		a.forwardInt8(k, m)
		restore()
		c.VZEROUPPER()
		c.RET()
	}
	asm, stubs, err = assemble(c, isa, printer.Config{Name: "vecgen from " + p.Source, Pkg: p.Package})
	if err != nil {
		return nil, nil, fmt.Errorf("assembling %s for %s: %w", p.Model.Name, isa.Name, err)
	}
	return asm, stubs, nil
}

// assemble allocates the registers of every function in c and prints the
// assembly and its Go stubs, which must pass the lint of tier isa.
func assemble(c *build.Context, isa plan.ISA, cfg printer.Config) (asm, stubs []byte, err error) {
	f, err := c.Result()
	if err != nil {
		return nil, nil, err
	}
	if err := compile.Execute(f); err != nil {
		return nil, nil, fmt.Errorf("%w (the tile plan needs more registers than exist)", err)
	}
	if asm, err = printer.NewGoAsm(cfg).Print(f); err != nil {
		return nil, nil, err
	}
	if stubs, err = printer.NewStubs(cfg).Print(f); err != nil {
		return nil, nil, err
	}
	if err := LintTier(asm, isa); err != nil {
		return nil, nil, err
	}
	return asm, stubs, nil
}

// signature is the kernel's Go signature with literal array lengths.
func signature(p *plan.Plan, k *plan.Kernel) string {
	var args []string
	for _, q := range p.Params(k) {
		if q.Len == 0 {
			args = append(args, q.Name+" float32")
		} else {
			args = append(args, fmt.Sprintf("%s *[%d]float32", q.Name, q.Len))
		}
	}
	s := "func(" + strings.Join(args, ", ") + ")"
	if k.Returns() {
		s += " float32"
	}
	return s
}

// asmWriter emits the instructions of one tier into one avo context. The
// kernels are written once against its vector primitives (asm_vector.go),
// which render each operation in the tier's instructions.
type asmWriter struct {
	c      *build.Context
	isa    plan.ISA
	consts map[string]operand.Mem
	labels int
	masks  map[uint16]reg.Register // the function's opmask registers by lane bits (AVX-512)
}

func newAsmWriter(c *build.Context, isa plan.ISA) *asmWriter {
	return &asmWriter{c: c, isa: isa, consts: map[string]operand.Mem{}}
}

// begin starts a new function: registers do not carry over.
func (a *asmWriter) begin() { a.masks = map[uint16]reg.Register{} }

// lanes is the number of float32 in one vector of the tier.
func (a *asmWriter) lanes() int { return a.isa.Lanes }

// imm is an immediate operand: U8 when it fits (avo's instruction forms
// take imm8 or imm32, and operand.Imm would guess 16 bits for 256..65535).
func imm(n int) operand.Constant {
	if n >= 0 && n < 256 {
		return operand.U8(n)
	}
	return operand.U32(uint32(n))
}

func at(base reg.Register, disp int) operand.Mem { return operand.Mem{Base: base, Disp: disp} }

// loop emits body count times: as straight code when count is 1, otherwise
// as a counted loop with the count as an immediate, in a register.
func (a *asmWriter) loop(name string, count int, body func()) {
	a.countedLoop(name, count, func() operand.Op { return a.c.GP64() }, body)
}

// loopIn is loop with its count kept at mem (a frame slot), for the outer
// loops of a kernel whose inner ones need every register.
func (a *asmWriter) loopIn(name string, count int, mem operand.Mem, body func()) {
	a.countedLoop(name, count, func() operand.Op { return mem }, body)
}

// countedLoop emits body count times, counting down in the operand
// counter gives (called only when a loop is emitted).
func (a *asmWriter) countedLoop(name string, count int, counter func() operand.Op, body func()) {
	switch {
	case count <= 0:
		return
	case count == 1:
		body()
		return
	}
	n := counter()
	a.c.MOVQ(operand.U32(uint32(count)), n) // MOVQ has no imm8 form
	a.labels++
	l := fmt.Sprintf("%s%d", name, a.labels)
	a.c.Label(l)
	body()
	a.c.DECQ(n)
	a.c.JNZ(operand.LabelRef(l))
}

// splat is a read-only constant of one vector holding bits in every lane.
func (a *asmWriter) splat(name string, bits uint32) operand.Mem {
	if m, ok := a.consts[name]; ok {
		return m
	}
	m := a.c.StaticGlobal(name)
	a.c.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := range a.lanes() {
		a.c.AddDatum(4*i, operand.U32(bits))
	}
	a.consts[name] = m
	return m
}

func (a *asmWriter) f32(name string, v float32) operand.Mem {
	return a.splat(name, math.Float32bits(v))
}

// reg32 loads a splat constant into a register.
func (a *asmWriter) reg32(name string, v float32) reg.VecVirtual {
	r := a.vec()
	a.c.VMOVUPS(a.f32(name, v), r)
	return r
}

func (a *asmWriter) param(name string) reg.GPVirtual {
	r := a.c.GP64()
	a.c.Load(a.c.Param(name), r)
	return r
}

// mxcsrFlush are MXCSR's flush-to-zero bit (a result that would be
// subnormal is written as 0) and its denormals-are-zero bit (a subnormal
// operand is read as 0).
const mxcsrFlush = 1<<15 | 1<<6

// flushSubnormals starts a kernel's run with FTZ and DAZ set in MXCSR,
// after saving the caller's MXCSR in a frame slot, and returns the
// restore that ends the run. The modes belong to the thread, which other
// goroutines share between calls, so every call sets and restores them.
func (a *asmWriter) flushSubnormals() (restore func()) {
	saved := a.c.AllocLocal(8)
	flushed := saved.Offset(4)
	a.c.Comment("Flush subnormals for this call: MXCSR |= FTZ|DAZ.")
	a.c.STMXCSR(saved)
	r := a.c.GP32()
	a.c.MOVL(saved, r)
	a.c.ORL(operand.U32(mxcsrFlush), r)
	a.c.MOVL(r, flushed)
	a.c.LDMXCSR(flushed)
	return func() {
		a.c.Comment("Restore the caller's MXCSR.")
		a.c.LDMXCSR(saved)
	}
}

// kernel emits the body of kernel k for the writer's tier.
func (a *asmWriter) kernel(p *plan.Plan, k *plan.Kernel, m *plan.Impl) {
	switch k.Op {
	case plan.Forward:
		a.forward(k, m)
	case plan.ActivationGrad:
		a.activationGrad(k)
	case plan.WeightGrad:
		if k.FusedSGD {
			a.weightGradSGD(k, m)
			break
		}
		x, dz, dw := a.param("x"), a.param("dz"), a.param("dw")
		if k.Half { // a half leaves db to BiasGrad
			a.gemm(k.Gemm, m, x, dz, dw, epilogue{}, kerneldoc.ProductOperands(k))
			break
		}
		db := a.param("db")
		a.gemm(k.Gemm, m, x, dz, dw, epilogue{}, kerneldoc.ProductOperands(k))
		a.columnSums(dz, db, k.Gemm.Depth, k.Gemm.Cols)
	case plan.PartialForward: // the product alone: the bias and activation come with the combine
		a.gemm(k.Gemm, m, a.param("x"), a.param("w"), a.param("p"), epilogue{}, kerneldoc.ProductOperands(k))
	case plan.Combine:
		a.combine(k, p.Layers[k.Layer-1].Out)
	case plan.BiasGrad:
		out := p.Layers[k.Layer-1].Out
		if k.FusedSGD {
			a.columnSumsSGD(a.newSGDStep(), a.param("dz"), a.param("b"), k.Elements/out, out)
			break
		}
		a.columnSums(a.param("dz"), a.param("db"), k.Elements/out, out)
	case plan.InputGrad:
		dz, w, wt, dx := a.param("dz"), a.param("w"), a.param("wt"), a.param("dx")
		g := k.Gemm
		if m.PackDepth > 0 { // each micro-panel of wᵀ is packed from w: wt is not used
			names := kerneldoc.ProductOperands(k)
			a.c.Comment(kerneldoc.Product(names, g, m.Tile))
			a.packedGemm(g, m, dz, w, dx, epilogue{}, a.transposedOf(g, m.Tile.NR), names)
			break
		}
		a.panelInputGrad(g, m, dz, w, wt, dx) // plan.Impl.PanelTranspose: every other dX on x86
	case plan.Loss:
		a.loss(p, k)
	default:
		a.optimizer(k)
	}
}

// pruneSelfMoves removes the moves of a register to itself that register
// allocation leaves where a copy and its source got the same register:
// MOVQ, and VMOVAPS of a whole YMM or ZMM register (a VMOVAPS of an XMM
// register clears the bits above it, so it stays). avo's own pass skips
// the second of two such moves in a row.
func pruneSelfMoves(fn *ir.Function) error {
	nodes := fn.Nodes[:0]
	for _, n := range fn.Nodes {
		if i, ok := n.(*ir.Instruction); ok && isSelfMove(i) {
			continue
		}
		nodes = append(nodes, n)
	}
	fn.Nodes = nodes
	return nil
}

// isSelfMove reports whether i moves a register to itself and nothing else.
func isSelfMove(i *ir.Instruction) bool {
	if len(i.Operands) != 2 || i.Operands[0] != i.Operands[1] || !operand.IsRegister(i.Operands[0]) {
		return false
	}
	switch i.Opcode {
	case "MOVQ":
		return true
	case "VMOVAPS":
		return operand.IsYMM(i.Operands[0]) || operand.IsZMM(i.Operands[0])
	}
	return false
}
