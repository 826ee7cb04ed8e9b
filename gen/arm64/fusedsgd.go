package arm64

import (
	"github.com/vecgen/vecgen/gen/internal/kerneldoc"
	"github.com/vecgen/vecgen/gen/plan"
)

// stepVector takes SGD's step with the gradient g (n floats) on the
// parameters at p, in place of storing g there.
func (k *kernelWriter) stepVector(g vreg, n int, p mem, lr, decay vreg) {
	end := k.scope()
	pv := k.vec()
	k.load(p, n, pv)
	k.sgdUpdate(pv, g, lr, decay)
	k.store(pv, n, p)
	end()
}

// stepTile is storeTile for a FusedSGD product: SGD's step with each
// accumulator acc[row][vector] on the parameters at C (rows cRow floats
// apart). The hyperparameters are broadcast for each tile: the tile's
// loop leaves no register to keep them in.
func (k *kernelWriter) stepTile(acc [][]vreg, t tileShape, C greg, cRow int) {
	end := k.scope()
	lr, decay := k.scalar("lr"), k.scalar("decay")
	for r, row := range acc {
		endRow := k.scope()
		p := k.pointer(C, 4*r*cRow)
		for v, g := range row {
			k.stepVector(g, t.lanesOf(v), at(p, 16*v), lr, decay)
		}
		endRow()
	}
	end()
}

// columnSumsSGD is columnSums of dz (rows×cols) as the gradient of the
// bias b: SGD's step with each vector of it.
func (k *kernelWriter) columnSumsSGD(dz, b greg, rows, cols int) {
	end := k.scope()
	lr, decay := k.scalar("lr"), k.scalar("decay")
	k.note(kerneldoc.ColumnSums(rows, cols))
	k.note(kerneldoc.StepSGD("db", "b"))
	k.columnSumsThen([]greg{dz, b}, rows, cols, func(sum vreg, n int, vec func(int) mem) {
		k.stepVector(sum, n, vec(1), lr, decay)
	})
	end()
}

// weightGradSGD emits WeightGrad's FusedSGD twin: the product's tiles,
// and for the whole kernel the bias's column sums, take SGD's step with
// the gradient in registers on w and b (the plan gives the product its
// depth in one chunk, so no tile adds into w).
func (k *kernelWriter) weightGradSGD(kn *plan.Kernel, m *plan.Impl) {
	x, dz, w := k.param("x"), k.param("dz"), k.param("w")
	k.gemm(kn.Gemm, m, x, dz, w, epilogue{sgd: true}, kerneldoc.ProductOperands(kn))
	if !kn.Half {
		k.columnSumsSGD(dz, k.param("b"), kn.Gemm.Depth, kn.Gemm.Cols)
	}
}
