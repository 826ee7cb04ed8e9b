package amd64

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/vecgen/vecgen/gen/internal/kerneldoc"
	"github.com/vecgen/vecgen/gen/plan"
)

// sgdStep is what a FusedSGD kernel (plan.Kernel.FusedSGD) does with each
// vector g of the gradient it holds in registers, in place of storing it:
// SGD's step on the parameters where g would have been stored. The
// hyperparameters wait in the frame as whole vectors, so that a tile's
// epilogue needs one vector register beyond its accumulators.
type sgdStep struct {
	lr, decay operand.Mem
}

// newSGDStep starts a FusedSGD kernel: the hyperparameters lr and decay
// broadcast into the frame.
func (a *asmWriter) newSGDStep() *sgdStep {
	c := a.c
	s := &sgdStep{lr: c.AllocLocal(4 * a.lanes()), decay: c.AllocLocal(4 * a.lanes())}
	for _, h := range []struct {
		name string
		m    operand.Mem
	}{{"lr", s.lr}, {"decay", s.decay}} {
		x, v := c.XMM(), a.vec()
		c.Load(c.Param(h.name), x)
		c.VBROADCASTSS(x, v)
		c.VMOVUPS(v, h.m)
	}
	return s
}

// stepVector takes s's step with the gradient g (lanes floats) on the
// parameters at p.
func (a *asmWriter) stepVector(s *sgdStep, g reg.VecVirtual, lanes int, p operand.Mem) {
	pv := a.vec()
	a.load(p, lanes, pv)
	a.sgdUpdate(pv, g, s.lr, s.decay)
	a.store(pv, lanes, p)
}

// prefetchTile prefetches the lines of a tile of rows rows of width
// bytes at C (rows cRow floats apart), before its depth loop: a FusedSGD
// tile's epilogue loads the parameters there, and a load that waits for
// memory stops the instructions behind it (a store would not).
func (a *asmWriter) prefetchTile(C reg.Register, cRow, rows, width int) {
	for r := range rows {
		for off := 0; off < width; off += 64 {
			a.c.PREFETCHT0(at(C, 4*r*cRow+off))
		}
		// The row's last line, when the row starts past a line's start.
		a.c.PREFETCHT0(at(C, 4*r*cRow+width-1))
	}
}

// stepTile is storeTile for a FusedSGD product: s's step with each
// accumulator acc[row][vector] on the parameters at C (rows cRow floats
// apart).
func (a *asmWriter) stepTile(acc [][]reg.VecVirtual, lanesOf func(int) int, C reg.Register, cRow int, s *sgdStep) {
	for r := range acc {
		for v, g := range acc[r] {
			a.stepVector(s, g, lanesOf(v), at(C, 4*(r*cRow+a.lanes()*v)))
		}
	}
}

// columnSumsSGD is columnSums of dz (rows×cols) as the gradient of the
// bias b: s's step with each vector of it.
func (a *asmWriter) columnSumsSGD(s *sgdStep, dz, b reg.Register, rows, cols int) {
	a.c.Comment(kerneldoc.ColumnSums(rows, cols))
	a.c.Comment(kerneldoc.StepSGD("db", "b"))
	a.columnSumsThen([]reg.Register{dz, b}, rows, cols, func(sum reg.VecVirtual, lanes int, vec func(int) operand.Mem) {
		a.stepVector(s, sum, lanes, vec(1))
	})
}

// weightGradSGD emits WeightGrad's FusedSGD twin: the product's tiles,
// and for the whole kernel the bias's column sums, take SGD's step with
// the gradient in registers on w and b (the plan gives the product its
// depth in one chunk, so no tile adds into w).
func (a *asmWriter) weightGradSGD(k *plan.Kernel, m *plan.Impl) {
	x, dz, w := a.param("x"), a.param("dz"), a.param("w")
	s := a.newSGDStep()
	a.gemm(k.Gemm, m, x, dz, w, epilogue{sgd: s}, kerneldoc.ProductOperands(k))
	if !k.Half {
		a.columnSumsSGD(s, dz, a.param("b"), k.Gemm.Depth, k.Gemm.Cols)
	}
}
