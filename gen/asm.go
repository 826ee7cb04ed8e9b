package gen

import (
	"fmt"
	"math"
	"strings"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// emitAsm renders every kernel of p as Go assembly, returning the .s file
// and the Go stub declarations that go with it.
func emitAsm(p *plan.Plan) (asm, stubs []byte, err error) {
	c := build.NewContext()
	c.ConstraintExpr("gc,!purego") // avo takes the +build syntax: gc && !purego
	a := &asmWriter{c: c, consts: map[string]operand.Mem{}}
	for i := range p.Kernels {
		k := &p.Kernels[i]
		c.Function(k.Asm)
		c.Attributes(attr.NOSPLIT)
		c.Pragma("noescape")
		c.SignatureExpr(signature(p, k))
		c.Doc(asmDoc(p, k)...)
		a.kernel(p, k)
		c.VZEROUPPER()
		c.RET()
	}
	asm, stubs, err = assemble(c, printer.Config{Name: "vecgen from " + p.Source, Pkg: p.Package})
	if err != nil {
		return nil, nil, fmt.Errorf("assembling %s: %w", p.Model.Name, err)
	}
	return asm, stubs, nil
}

// assemble allocates the registers of every function in c and prints the
// assembly and its Go stubs, which must pass Lint.
func assemble(c *build.Context, cfg printer.Config) (asm, stubs []byte, err error) {
	f, err := c.Result()
	if err != nil {
		return nil, nil, err
	}
	if err := pass.Compile.Execute(f); err != nil {
		return nil, nil, fmt.Errorf("%w (the tile plan needs more registers than exist)", err)
	}
	if asm, err = printer.NewGoAsm(cfg).Print(f); err != nil {
		return nil, nil, err
	}
	if stubs, err = printer.NewStubs(cfg).Print(f); err != nil {
		return nil, nil, err
	}
	if err := Lint(asm); err != nil {
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

// asmWriter emits instructions into one avo context.
type asmWriter struct {
	c      *build.Context
	consts map[string]operand.Mem
	labels int
}

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
// as a counted loop with the count as an immediate.
func (a *asmWriter) loop(name string, count int, body func()) {
	switch {
	case count <= 0:
		return
	case count == 1:
		body()
		return
	}
	n := a.c.GP64()
	a.c.MOVQ(operand.U32(uint32(count)), n) // MOVQ has no imm8 form
	a.labels++
	l := fmt.Sprintf("%s%d", name, a.labels)
	a.c.Label(l)
	body()
	a.c.DECQ(n)
	a.c.JNZ(operand.LabelRef(l))
}

// splat is a read-only 32-byte constant holding bits in all 8 lanes.
func (a *asmWriter) splat(name string, bits uint32) operand.Mem {
	if m, ok := a.consts[name]; ok {
		return m
	}
	m := a.c.StaticGlobal(name)
	a.c.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := range plan.Vector {
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
	r := a.c.YMM()
	a.c.VMOVUPS(a.f32(name, v), r)
	return r
}

// load sets dst to the first lanes floats at m and zeroes the lanes past
// them; store writes the first lanes floats of src to m and nothing past
// them. A partial vector moves in plain pieces of 4, 2 and 1 floats rather
// than under a lane mask: a masked move (VMASKMOVPS) costs several
// micro-ops on every x86 core and is microcoded on some AMD ones.
func (a *asmWriter) load(m operand.Mem, lanes int, dst reg.VecVirtual) {
	c := a.c
	if lanes == plan.Vector {
		c.VMOVUPS(m, dst)
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
	c := a.c
	switch {
	case lanes == plan.Vector:
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

// pastLanes is the VBLENDPS immediate that selects the lanes from lanes on.
func pastLanes(lanes int) operand.Constant { return imm((0xff << lanes) & 0xff) }

func (a *asmWriter) param(name string) reg.GPVirtual {
	r := a.c.GP64()
	a.c.Load(a.c.Param(name), r)
	return r
}

// elementwise runs body over n consecutive float32 of each pointer in ptrs,
// one vector at a time; the last n mod 8 elements run as a partial vector
// of that many lanes. body addresses the current vector of ptrs[i]
// as vec(i).
func (a *asmWriter) elementwise(n int, ptrs []reg.Register, body func(vec func(i int) operand.Mem, lanes int)) {
	cur := make([]reg.Register, len(ptrs))
	for i, p := range ptrs {
		cur[i] = a.c.GP64()
		a.c.MOVQ(p, cur[i])
	}
	vec := func(i int) operand.Mem { return at(cur[i], 0) }
	a.loop("elems", n/plan.Vector, func() {
		body(vec, plan.Vector)
		for _, p := range cur {
			a.c.ADDQ(imm(4*plan.Vector), p)
		}
	})
	if rem := n % plan.Vector; rem > 0 {
		body(vec, rem)
	}
}

func (a *asmWriter) kernel(p *plan.Plan, k *plan.Kernel) {
	c := a.c
	switch k.Op {
	case plan.Forward:
		x, w, b, y := a.param("x"), a.param("w"), a.param("b"), a.param("y")
		z := y // the product's destination: y, or z for the layers that keep it
		if plan.PreActivation(k.Activation) {
			z = a.param("z")
		}
		a.gemm(k.Gemm, x, w, z, b, k.Activation) // fuses relu and leaky_relu
		n := k.Gemm.Rows * k.Gemm.Cols
		switch k.Activation {
		case spec.Sigmoid, spec.Tanh:
			a.elementwise(n, []reg.Register{y}, func(vec func(int) operand.Mem, lanes int) {
				v := c.YMM()
				a.load(vec(0), lanes, v)
				if k.Activation == spec.Sigmoid {
					a.sigmoid(v)
				} else {
					a.tanh(v)
				}
				a.store(v, lanes, vec(0))
			})
		case spec.GELU, spec.SiLU:
			a.elementwise(n, []reg.Register{z, y}, func(vec func(int) operand.Mem, lanes int) {
				v := c.YMM()
				a.load(vec(0), lanes, v)
				if k.Activation == spec.GELU {
					a.gelu(v)
				} else {
					a.silu(v)
				}
				a.store(v, lanes, vec(1))
			})
		case spec.Softmax:
			a.softmaxRows(y, k.Gemm.Rows, k.Gemm.Cols)
		}
	case plan.ActivationGrad:
		a.activationGrad(k)
	case plan.WeightGrad:
		x, dz, dw, db := a.param("x"), a.param("dz"), a.param("dw"), a.param("db")
		a.gemm(k.Gemm, x, dz, dw, nil, spec.Identity)
		a.columnSums(dz, db, k.Gemm.Depth, k.Gemm.Cols)
	case plan.InputGrad:
		dz, w, wt, dx := a.param("dz"), a.param("w"), a.param("wt"), a.param("dx")
		g := k.Gemm
		a.transpose(w, wt, g.Cols, g.Depth) // W is K×N = Cols×Depth
		a.gemm(g, dz, wt, dx, nil, spec.Identity)
	case plan.Loss:
		a.loss(p, k)
	default:
		a.optimizer(k)
	}
}

// gemm emits C = A·B (+ bias, then relu when act is relu) over the whole
// product, in tiles of g.Tile: rows of C in blocks of MR, columns in blocks
// of NR, and the remainders as smaller tiles whose last vector is masked.
// It walks copies of the pointers, so A, B, C and bias still point at the
// arrays' starts afterwards; B is reread for every row block.
func (a *asmWriter) gemm(g *plan.Gemm, A, B, C, bias reg.Register, act spec.Activation) {
	c := a.c
	rowA, rowC := c.GP64(), c.GP64()
	c.MOVQ(A, rowA)
	c.MOVQ(C, rowC)
	A, C = rowA, rowC
	mr, nr := g.Tile.MR, g.Tile.NR
	rowBlock := func(rows int) {
		colB, colC := c.GP64(), c.GP64()
		c.MOVQ(B, colB)
		c.MOVQ(C, colC)
		var colBias reg.Register
		if bias != nil {
			colBias = c.GP64()
			c.MOVQ(bias, colBias)
		}
		a.loop("cols", g.Cols/nr, func() {
			a.tile(g, rows, nr/plan.Vector, plan.Vector, A, colB, colC, colBias, act)
			c.ADDQ(imm(4*nr), colB)
			c.ADDQ(imm(4*nr), colC)
			if colBias != nil {
				c.ADDQ(imm(4*nr), colBias)
			}
		})
		if rem := g.Cols % nr; rem > 0 {
			vecs := (rem + plan.Vector - 1) / plan.Vector
			a.tile(g, rows, vecs, rem-plan.Vector*(vecs-1), A, colB, colC, colBias, act)
		}
	}
	a.loop("rows", g.Rows/mr, func() {
		rowBlock(mr)
		c.ADDQ(imm(4*mr*g.ARow), A)
		c.ADDQ(imm(4*mr*g.CRow), C)
	})
	if rem := g.Rows % mr; rem > 0 {
		rowBlock(rem)
	}
}

// tile is the micro-kernel: rows×(vecs·8) accumulators over the whole depth,
// the last vector holding lastLanes columns, then the epilogue (bias,
// activation, store) in registers.
func (a *asmWriter) tile(g *plan.Gemm, rows, vecs, lastLanes int, A, B, C, bias reg.Register, act spec.Activation) {
	c := a.c
	chains := g.Tile.Chains(vecs, g.Unroll)
	accs := make([][][]reg.VecVirtual, chains) // [chain][row][vector]
	for ch := range accs {
		accs[ch] = make([][]reg.VecVirtual, rows)
		for r := range rows {
			accs[ch][r] = make([]reg.VecVirtual, vecs)
			for v := range vecs {
				accs[ch][r][v] = c.YMM()
				c.VXORPS(accs[ch][r][v], accs[ch][r][v], accs[ch][r][v])
			}
		}
	}
	acc := accs[0]
	lanesOf := func(v int) int { // the last vector holds lastLanes columns
		if v == vecs-1 {
			return lastLanes
		}
		return plan.Vector
	}
	ap, bp := c.GP64(), c.GP64()
	c.MOVQ(A, ap)
	c.MOVQ(B, bp)
	step := func(u int) {
		if rows == 1 { // one row: each B vector is used once, straight from memory
			chain := accs[u%chains][0]
			x := c.YMM()
			c.VBROADCASTSS(at(ap, 4*u*g.ADepth), x)
			for v := range vecs {
				m := at(bp, 4*(u*g.BDepth+plan.Vector*v))
				if n := lanesOf(v); n < plan.Vector { // a partial vector cannot fold into the FMA
					w := c.YMM()
					a.load(m, n, w)
					c.VFMADD231PS(w, x, chain[v])
				} else {
					c.VFMADD231PS(m, x, chain[v])
				}
			}
			return
		}
		w := make([]reg.VecVirtual, vecs)
		for v := range w {
			w[v] = c.YMM()
			a.load(at(bp, 4*(u*g.BDepth+plan.Vector*v)), lanesOf(v), w[v])
		}
		for r := range rows {
			x := c.YMM()
			c.VBROADCASTSS(at(ap, 4*(r*g.ARow+u*g.ADepth)), x)
			for v := range w {
				c.VFMADD231PS(w[v], x, acc[r][v])
			}
		}
	}
	u := g.Unroll
	a.loop("depth", g.Depth/u, func() {
		for i := range u {
			step(i)
		}
		c.ADDQ(imm(4*u*g.ADepth), ap)
		c.ADDQ(imm(4*u*g.BDepth), bp)
	})
	for i := range g.Depth % u {
		step(i)
	}
	for n := chains; n > 1; n = (n + 1) / 2 { // sum the chains pairwise into the first
		half := (n + 1) / 2
		for ch := half; ch < n; ch++ {
			for r := range rows {
				for v := range vecs {
					c.VADDPS(accs[ch][r][v], accs[ch-half][r][v], accs[ch-half][r][v])
				}
			}
		}
	}
	var zero reg.VecVirtual
	if act == spec.ReLU {
		zero = c.YMM()
		c.VXORPS(zero, zero, zero)
	}
	var slope operand.Mem
	if act == spec.LeakyReLU {
		slope = a.f32("leakyslope", 0.01)
	}
	for r := range rows {
		for v := range vecs {
			z := acc[r][v]
			if bias != nil {
				bv := c.YMM()
				a.load(at(bias, 4*plan.Vector*v), lanesOf(v), bv)
				c.VADDPS(bv, z, z)
			}
			switch act {
			case spec.ReLU:
				c.VMAXPS(z, zero, z) // max(0, z); a NaN z is kept (it is the second source)
			case spec.LeakyReLU:
				t := c.YMM()
				c.VMULPS(slope, z, t)
				c.VMAXPS(z, t, z) // max(0.01·z, z); a NaN z is kept
			}
			a.store(z, lanesOf(v), at(C, 4*(r*g.CRow+plan.Vector*v)))
		}
	}
}

// columnSums writes s[c] = Σᵢ m[i,c] for the rows×cols matrix m.
func (a *asmWriter) columnSums(m, s reg.Register, rows, cols int) {
	c := a.c
	a.elementwise(cols, []reg.Register{m, s}, func(vec func(int) operand.Mem, lanes int) {
		sum, v, p := c.YMM(), c.YMM(), c.GP64()
		c.VXORPS(sum, sum, sum)
		c.MOVQ(vec(0).Base, p)
		a.loop("rows", rows, func() {
			a.load(at(p, 0), lanes, v)
			c.VADDPS(v, sum, sum)
			c.ADDQ(imm(4*cols), p)
		})
		a.store(sum, lanes, vec(1))
	})
}

// transpose writes the cols×rows matrix t = mᵀ of the rows×cols matrix m:
// 8×8 blocks in registers (unpack pairs of rows, shuffle pairs of pairs,
// swap 128-bit halves: 24 shuffles for 64 elements), then the rows and
// columns past the last whole block one element at a time.
func (a *asmWriter) transpose(m, t reg.Register, rows, cols int) {
	c := a.c
	const v = plan.Vector
	blockRows, blockCols := rows/v, cols/v
	if blockRows > 0 && blockCols > 0 {
		src, dst := c.GP64(), c.GP64()
		c.MOVQ(m, src)
		c.MOVQ(t, dst)
		a.loop("tblockrows", blockRows, func() {
			s, d := c.GP64(), c.GP64()
			c.MOVQ(src, s)
			c.MOVQ(dst, d)
			a.loop("tblocks", blockCols, func() {
				a.transposeBlock(s, d, cols, rows)
				c.ADDQ(imm(4*v), s)
				c.ADDQ(imm(4*v*rows), d)
			})
			c.ADDQ(imm(4*v*cols), src)
			c.ADDQ(imm(4*v), dst)
		})
	}
	// The scalar remainder: columns past the blocks for the block rows,
	// then every column of the rows past them.
	a.transposeScalar(m, t, rows, cols, 0, blockRows*v, blockCols*v)
	a.transposeScalar(m, t, rows, cols, blockRows*v, rows, 0)
}

// transposeBlock transposes the 8×8 block at s (row stride srcStride
// floats) into d (row stride dstStride).
func (a *asmWriter) transposeBlock(s, d reg.Register, srcStride, dstStride int) {
	c := a.c
	r := make([]reg.VecVirtual, 8)
	for i := range r {
		r[i] = c.YMM()
		c.VMOVUPS(at(s, 4*i*srcStride), r[i])
	}
	u := make([]reg.VecVirtual, 8) // u[2i], u[2i+1]: rows 2i and 2i+1 interleaved
	for i := 0; i < 8; i += 2 {
		u[i], u[i+1] = c.YMM(), c.YMM()
		c.VUNPCKLPS(r[i+1], r[i], u[i])
		c.VUNPCKHPS(r[i+1], r[i], u[i+1])
	}
	q := r // q[4h+j]: column j (mod 4) of rows 4h..4h+3, in both 128-bit halves
	for h := range 2 {
		lo, hi := u[4*h], u[4*h+2]
		lo2, hi2 := u[4*h+1], u[4*h+3]
		c.VSHUFPS(imm(0x44), hi, lo, q[4*h])
		c.VSHUFPS(imm(0xee), hi, lo, q[4*h+1])
		c.VSHUFPS(imm(0x44), hi2, lo2, q[4*h+2])
		c.VSHUFPS(imm(0xee), hi2, lo2, q[4*h+3])
	}
	for j := range 4 {
		o := c.YMM()
		c.VPERM2F128(imm(0x20), q[4+j], q[j], o) // low halves: column j
		c.VMOVUPS(o, at(d, 4*j*dstStride))
		c.VPERM2F128(imm(0x31), q[4+j], q[j], o) // high halves: column j+4
		c.VMOVUPS(o, at(d, 4*(j+4)*dstStride))
	}
}

// transposeScalar copies m[i][j] to t[j][i] for rows i in [fromRow, toRow)
// and columns j in [fromCol, cols), one element at a time.
func (a *asmWriter) transposeScalar(m, t reg.Register, rows, cols, fromRow, toRow, fromCol int) {
	if fromRow >= toRow || fromCol >= cols {
		return
	}
	c := a.c
	src, dstRow := c.GP64(), c.GP64()
	c.LEAQ(at(m, 4*(fromRow*cols+fromCol)), src)
	c.LEAQ(at(t, 4*(fromCol*rows+fromRow)), dstRow)
	a.loop("trows", toRow-fromRow, func() {
		s, dst, x := c.GP64(), c.GP64(), c.GP32()
		c.MOVQ(src, s)
		c.MOVQ(dstRow, dst)
		a.loop("tcols", cols-fromCol, func() {
			c.MOVL(at(s, 0), x)
			c.MOVL(x, at(dst, 0))
			c.ADDQ(imm(4), s)
			c.ADDQ(imm(4*rows), dst)
		})
		c.ADDQ(imm(4*cols), src)
		c.ADDQ(imm(4), dstRow)
	})
}

func (a *asmWriter) activationGrad(k *plan.Kernel) {
	c := a.c
	src := "y"
	if plan.PreActivation(k.Activation) {
		src = "z"
	}
	y, d := a.param(src), a.param("d")
	a.elementwise(k.Elements, []reg.Register{y, d}, func(vec func(int) operand.Mem, lanes int) {
		yv, dv, t := c.YMM(), c.YMM(), c.YMM()
		a.load(vec(0), lanes, yv)
		a.load(vec(1), lanes, dv)
		switch k.Activation {
		case spec.ReLU: // d ← d where y > 0, else 0
			c.VXORPS(t, t, t)
			c.VCMPPS(imm(0x1e), t, yv, t) // GT_OQ: y > 0, false for NaN
			c.VANDPS(t, dv, dv)
		case spec.LeakyReLU: // d ← d where y > 0, else 0.01·d
			c.VXORPS(t, t, t)
			c.VCMPPS(imm(0x1e), t, yv, t)
			ds := c.YMM()
			c.VMULPS(a.f32("leakyslope", 0.01), dv, ds)
			c.VBLENDVPS(t, dv, ds, dv)
		case spec.Sigmoid: // d ← d·y·(1−y)
			one := a.reg32("one", 1)
			c.VSUBPS(yv, one, t)
			c.VMULPS(yv, t, t)
			c.VMULPS(t, dv, dv)
		case spec.Tanh: // d ← d·(1−y²)
			c.VMOVUPS(a.f32("one", 1), t)
			c.VFNMADD231PS(yv, yv, t)
			c.VMULPS(t, dv, dv)
		case spec.GELU: // d ← d·gelu′(z)
			a.geluGrad(yv)
			c.VMULPS(yv, dv, dv)
		case spec.SiLU: // d ← d·silu′(z)
			a.siluGrad(yv)
			c.VMULPS(yv, dv, dv)
		}
		a.store(dv, lanes, vec(1))
	})
}

// optimizer emits one update rule over the whole parameter vector (see
// scalar.SGD, scalar.Momentum and scalar.Adam for the math). The scalar
// hyperparameters are broadcast once, before the loop.
func (a *asmWriter) optimizer(k *plan.Kernel) {
	c := a.c
	scalar := func(name string) reg.VecVirtual {
		x, v := c.XMM(), c.YMM()
		c.Load(c.Param(name), x)
		c.VBROADCASTSS(x, v)
		return v
	}
	switch k.Op {
	case plan.SGD:
		lr, decay := scalar("lr"), scalar("decay")
		a.elementwise(k.Elements, []reg.Register{a.param("p"), a.param("grad")}, func(vec func(int) operand.Mem, lanes int) {
			pv, gv := c.YMM(), c.YMM()
			a.load(vec(0), lanes, pv)
			a.load(vec(1), lanes, gv)
			c.VFMADD231PS(pv, decay, gv) // g′ = grad + decay·p
			c.VFNMADD231PS(gv, lr, pv)   // p ← p − lr·g′
			a.store(pv, lanes, vec(0))
		})
	case plan.Momentum, plan.Nesterov:
		lr, decay, mu := scalar("lr"), scalar("decay"), scalar("mu")
		ptrs := []reg.Register{a.param("p"), a.param("grad"), a.param("v")}
		a.elementwise(k.Elements, ptrs, func(vec func(int) operand.Mem, lanes int) {
			pv, gv, vv := c.YMM(), c.YMM(), c.YMM()
			a.load(vec(0), lanes, pv)
			a.load(vec(1), lanes, gv)
			a.load(vec(2), lanes, vv)
			c.VFMADD231PS(pv, decay, gv) // g′ = grad + decay·p
			c.VFMADD213PS(gv, mu, vv)    // v ← mu·v + g′
			a.store(vv, lanes, vec(2))
			step := vv
			if k.Op == plan.Nesterov {
				c.VFMADD231PS(vv, mu, gv) // g′ + mu·v
				step = gv
			}
			c.VFNMADD231PS(step, lr, pv) // p ← p − lr·step
			a.store(pv, lanes, vec(0))
		})
	default: // Adam, AdamW
		lr, decay := scalar("lr"), scalar("decay")
		b1, b2, eps := scalar("beta1"), scalar("beta2"), scalar("eps")
		c1, c2 := scalar("c1"), scalar("c2")
		one := a.reg32("one", 1)
		ob1, ob2 := c.YMM(), c.YMM()
		c.VSUBPS(b1, one, ob1) // 1 − β₁
		c.VSUBPS(b2, one, ob2) // 1 − β₂
		c.VMULPS(c1, lr, c1)   // lr·c₁
		if k.Op == plan.AdamW {
			c.VFNMADD213PS(one, lr, decay) // decay ← 1 − lr·decay, the factor on p
		}
		ptrs := []reg.Register{a.param("p"), a.param("grad"), a.param("m"), a.param("v")}
		a.elementwise(k.Elements, ptrs, func(vec func(int) operand.Mem, lanes int) {
			pv, gv, mv, vv := c.YMM(), c.YMM(), c.YMM(), c.YMM()
			a.load(vec(0), lanes, pv)
			a.load(vec(1), lanes, gv)
			a.load(vec(2), lanes, mv)
			a.load(vec(3), lanes, vv)
			if k.Op == plan.AdamW {
				c.VMULPS(decay, pv, pv) // p ← p·(1 − lr·decay)
			} else {
				c.VFMADD231PS(pv, decay, gv) // g′ = grad + decay·p
			}
			c.VMULPS(b1, mv, mv)
			c.VFMADD231PS(gv, ob1, mv) // m ← β₁m + (1−β₁)g′
			c.VMULPS(gv, gv, gv)
			c.VMULPS(b2, vv, vv)
			c.VFMADD231PS(gv, ob2, vv) // v ← β₂v + (1−β₂)g′²
			a.store(mv, lanes, vec(2))
			a.store(vv, lanes, vec(3))
			den := gv
			c.VMULPS(c2, vv, den)
			c.VSQRTPS(den, den)
			c.VADDPS(eps, den, den) // √(v·c₂) + ε
			num := vv
			c.VMULPS(c1, mv, num) // lr·c₁·m
			c.VDIVPS(den, num, num)
			c.VSUBPS(num, pv, pv)
			a.store(pv, lanes, vec(0))
		})
	}
}

// loss emits the model's loss: the gradient is stored elementwise and the
// loss terms are accumulated in one vector, summed across lanes at the end.
func (a *asmWriter) loss(p *plan.Plan, k *plan.Kernel) {
	c := a.c
	n := k.Elements
	scale := 1 / float64(n) // mean over all elements (mse, binary cross-entropy)
	if p.Model.Loss == spec.CrossEntropy {
		scale = 1 / float64(p.Model.Batch) // mean over samples
	}
	acc := c.YMM()
	c.VXORPS(acc, acc, acc)
	y, t, d := a.param("y"), a.param("target"), a.param("d")
	a.elementwise(n, []reg.Register{y, t, d}, func(vec func(int) operand.Mem, lanes int) {
		yv, tv, g := c.YMM(), c.YMM(), c.YMM()
		a.load(vec(0), lanes, yv)
		a.load(vec(1), lanes, tv)
		c.VSUBPS(tv, yv, g) // y − target
		switch p.Model.Loss {
		case spec.MSE:
			c.VFMADD231PS(g, g, acc)
			c.VMULPS(a.f32("twoscale", float32(2*scale)), g, g)
		case spec.CrossEntropy:
			c.VMULPS(a.f32("scale", float32(scale)), g, g)
			c.VFMADD231PS(a.safeLog(yv), tv, acc) // acc += t·ln y
		case spec.BinaryCrossEntropy:
			c.VMULPS(a.f32("scale", float32(scale)), g, g)
			c.VFMADD231PS(a.safeLog(yv), tv, acc) // acc += t·ln y
			one := a.reg32("one", 1)
			q, u := c.YMM(), c.YMM()
			c.VSUBPS(yv, one, q) // 1 − y
			c.VSUBPS(tv, one, u) // 1 − t
			c.VFMADD231PS(a.safeLog(q), u, acc)
		}
		a.store(g, lanes, vec(2))
	})
	a.hreduce(acc, c.VADDPS)
	sign := float32(-scale)
	if p.Model.Loss == spec.MSE {
		sign = float32(scale)
	}
	c.VMULPS(a.f32("lossscale", sign), acc, acc)
	c.Store(acc.AsX(), c.ReturnIndex(0))
}

// safeLog returns ln max(v, MinProbability) in a new register, NaN for NaN.
func (a *asmWriter) safeLog(v reg.VecVirtual) reg.VecVirtual {
	c := a.c
	floor := a.reg32("minprob", 0x1p-126)
	l := c.YMM()
	c.VMAXPS(v, floor, l) // NaN v is kept: it is the second source
	a.log(l)
	nan := c.YMM()
	c.VSUBPS(v, v, nan) // 0, or NaN when v is NaN
	c.VADDPS(nan, l, l)
	return l
}

// softmaxRows replaces each of the rows of y (n wide) by its softmax:
// subtract the row maximum, exponentiate, divide by the sum. A row of up to
// shortRow vectors is loaded once and kept in registers; a longer one takes
// three passes over memory (max; exp and sum; scale).
func (a *asmWriter) softmaxRows(y reg.Register, rows, n int) {
	c := a.c
	start := c.GP64()
	c.MOVQ(y, start)
	vecs := (n + plan.Vector - 1) / plan.Vector
	lanes := n - plan.Vector*(vecs-1) // of the last vector
	a.loop("softmax", rows, func() {
		if vecs <= shortRow {
			a.softmaxShortRow(start, vecs, lanes)
		} else {
			a.softmaxLongRow(start, n)
		}
		c.ADDQ(imm(4*n), start)
	})
}

// shortRow is the widest softmax row, in vectors, held in registers: with
// exp's temporaries it leaves room in the 16 YMM registers.
const shortRow = 4

// softmaxShortRow computes the softmax of the row at p (vecs vectors, the
// last holding lanes floats) in registers.
func (a *asmWriter) softmaxShortRow(p reg.Register, vecs, lanes int) {
	c := a.c
	width := func(i int) int { // floats of the row in vector i
		if i == vecs-1 {
			return lanes
		}
		return plan.Vector
	}
	v := make([]reg.VecVirtual, vecs)
	m := c.YMM()
	for i := range v {
		v[i] = c.YMM()
		n := width(i)
		a.load(at(p, 4*plan.Vector*i), n, v[i])
		if n < plan.Vector {
			c.VBLENDPS(pastLanes(n), a.f32("neginf", float32(math.Inf(-1))), v[i], v[i]) // lanes past the row count as −Inf
		}
		if i == 0 {
			c.VMOVAPS(v[i], m)
		} else {
			c.VMAXPS(v[i], m, m) // a NaN v is kept: it is the second source
		}
	}
	a.hreduce(m, c.VMAXPS)
	sum := c.YMM()
	for i := range v {
		a.expShifted(v[i], m, width(i))
		if i == 0 {
			c.VMOVAPS(v[i], sum)
		} else {
			c.VADDPS(v[i], sum, sum)
		}
	}
	a.hreduce(sum, c.VADDPS)
	inv := a.reg32("one", 1)
	c.VDIVPS(sum, inv, inv)
	for i := range v {
		c.VMULPS(inv, v[i], v[i])
		a.store(v[i], width(i), at(p, 4*plan.Vector*i))
	}
}

// expShifted sets the first lanes floats of v to e^(v−m) and the rest to
// 0, so they add nothing to the row's sum. The rest become m before exp, so
// exp sees 0 there: an exp that underflows costs a microcode assist on
// Intel cores.
func (a *asmWriter) expShifted(v, m reg.VecVirtual, lanes int) {
	c := a.c
	if lanes < plan.Vector {
		c.VBLENDPS(pastLanes(lanes), m, v, v)
	}
	c.VSUBPS(m, v, v)
	a.exp(v)
	if lanes < plan.Vector {
		c.VBLENDPS(pastLanes(lanes), a.f32("zero", 0), v, v)
	}
}

// softmaxLongRow computes the softmax of the n floats at p in three passes.
func (a *asmWriter) softmaxLongRow(p reg.Register, n int) {
	c := a.c
	row := []reg.Register{p}
	neginf := a.f32("neginf", float32(math.Inf(-1)))
	m := a.reg32("neginf", float32(math.Inf(-1)))
	a.elementwise(n, row, func(vec func(int) operand.Mem, lanes int) {
		if lanes == plan.Vector {
			c.VMAXPS(vec(0), m, m)
			return
		}
		v := c.YMM()
		a.load(vec(0), lanes, v)
		c.VBLENDPS(pastLanes(lanes), neginf, v, v) // lanes past the row count as −Inf
		c.VMAXPS(v, m, m)
	})
	a.hreduce(m, c.VMAXPS)
	sum := c.YMM()
	c.VXORPS(sum, sum, sum)
	a.elementwise(n, row, func(vec func(int) operand.Mem, lanes int) {
		v := c.YMM()
		a.load(vec(0), lanes, v)
		a.expShifted(v, m, lanes)
		c.VADDPS(v, sum, sum)
		a.store(v, lanes, vec(0))
	})
	a.hreduce(sum, c.VADDPS)
	inv := a.reg32("one", 1)
	c.VDIVPS(sum, inv, inv)
	a.elementwise(n, row, func(vec func(int) operand.Mem, lanes int) {
		v := c.YMM()
		a.load(vec(0), lanes, v)
		c.VMULPS(inv, v, v)
		a.store(v, lanes, vec(0))
	})
}

// hreduce combines the 8 lanes of v with op (VADDPS or VMAXPS) and
// broadcasts the result back to all lanes of v.
func (a *asmWriter) hreduce(v reg.VecVirtual, op func(...operand.Op)) {
	c := a.c
	t, u := c.XMM(), c.XMM()
	c.VEXTRACTF128(imm(1), v, t)
	op(t, v.AsX(), t)
	c.VPERMILPS(imm(0x4e), t, u) // swap 64-bit halves
	op(u, t, t)
	c.VPERMILPS(imm(0xb1), t, u) // swap neighbours
	op(u, t, t)
	c.VBROADCASTSS(t, v)
}

// asmDoc is the doc comment of a kernel's stub: its scalar meaning, shapes
// and register plan.
func asmDoc(p *plan.Plan, k *plan.Kernel) []string {
	lines := []string{fmt.Sprintf("%s is the AVX2+FMA body of %s: %s", k.Asm, k.Public, meaning(p, k))}
	if g := k.Gemm; g != nil {
		lines = append(lines, fmt.Sprintf("Product: %d×%d · %d×%d in %d×%d tiles (%d accumulators), depth unrolled ×%d.",
			g.Rows, g.Depth, g.Depth, g.Cols, g.Tile.MR, g.Tile.NR, g.Tile.MR*g.Tile.NR/plan.Vector, g.Unroll))
		if g.Tile == plan.RowTile {
			lines = append(lines, "One row makes it a matrix-vector product: each element of the right operand is used once,",
				"so it is streamed once into the FMAs, across enough accumulators to hide their latency.")
			if rem := g.Cols % g.Tile.NR; rem > 0 {
				vecs := (rem + plan.Vector - 1) / plan.Vector
				if ch := g.Tile.Chains(vecs, g.Unroll); ch > 1 {
					lines = append(lines, fmt.Sprintf("The last %d columns split the depth over %d sets of %d accumulators, summed at the end.", rem, ch, vecs))
				}
			}
		}
		if k.Op == plan.Forward && k.Activation == spec.Softmax {
			if (g.Cols+plan.Vector-1)/plan.Vector <= shortRow {
				lines = append(lines, "Softmax loads each row once and keeps it in registers.")
			} else {
				lines = append(lines, "Softmax takes three passes over each row: maximum, exp and sum, scale.")
			}
		}
		if k.Op == plan.InputGrad {
			lines = append(lines, "w is transposed into wt first, in 8×8 register blocks, so the product reads it along rows.")
		}
	}
	return lines
}

// meaning states a kernel's scalar meaning in one line.
func meaning(p *plan.Plan, k *plan.Kernel) string {
	params := fmt.Sprintf(" (all %d parameters)", k.Elements)
	switch k.Op {
	case plan.Loss:
		switch p.Model.Loss {
		case spec.CrossEntropy:
			return "L = −(1/B)·Σ target·ln max(y, 2⁻¹²⁶), d = (y − target)/B, with y the softmax output."
		case spec.BinaryCrossEntropy:
			return "L = −(1/(B·N))·Σ target·ln y + (1−target)·ln(1−y) (logs floored at 2⁻¹²⁶), d = (y − target)/(B·N)."
		default:
			return "L = (1/(B·N))·Σ (y − target)², d = 2(y − target)/(B·N)."
		}
	case plan.SGD:
		return "p ← p − lr·(grad + decay·p)" + params + "."
	case plan.Momentum:
		return "g′ = grad + decay·p, v ← mu·v + g′, p ← p − lr·v" + params + "."
	case plan.Nesterov:
		return "g′ = grad + decay·p, v ← mu·v + g′, p ← p − lr·(g′ + mu·v)" + params + "."
	case plan.Adam:
		return "g′ = grad + decay·p, m ← β₁m + (1−β₁)g′, v ← β₂v + (1−β₂)g′², p ← p − lr·c₁m/(√(c₂v) + eps)" + params + "."
	case plan.AdamW:
		return "p ← p·(1 − lr·decay), m ← β₁m + (1−β₁)grad, v ← β₂v + (1−β₂)grad², p ← p − lr·c₁m/(√(c₂v) + eps)" + params + "."
	}
	l := p.Layers[k.Layer-1]
	shape := fmt.Sprintf("B=%d, K=%d, N=%d", p.Model.Batch, l.In, l.Out)
	switch k.Op {
	case plan.Forward:
		if plan.PreActivation(l.Activation) {
			return fmt.Sprintf("z = x·w + b, y = %s(z), x B×K, w K×N, z and y B×N (%s).", l.Activation, shape)
		}
		return fmt.Sprintf("y = %s(x·w + b), x B×K, w K×N, y B×N (%s).", l.Activation, shape)
	case plan.ActivationGrad:
		if plan.PreActivation(l.Activation) {
			return fmt.Sprintf("d ← d ⊙ %s′(z), elementwise over B×N (%s).", l.Activation, shape)
		}
		return fmt.Sprintf("d ← d ⊙ %s′(y), elementwise over B×N (%s).", l.Activation, shape)
	case plan.WeightGrad:
		return fmt.Sprintf("dw = xᵀ·dz (K×N), db = Σ rows of dz (%s).", shape)
	case plan.InputGrad:
		return fmt.Sprintf("wt = wᵀ (N×K), then dx = dz·wt (B×K) (%s).", shape)
	}
	return ""
}
