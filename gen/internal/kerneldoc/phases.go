package kerneldoc

import (
	"fmt"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// The phase comments the backends put in the assembly, so that each loop
// says what it walks and each epilogue step what it does, in the words of
// the math. The backends write the same phases with these sentences; how
// a depth step runs differs by instruction set, and each backend says it.

// Operands names a product's A, B and C: x, w and y for a forward pass,
// xᵀ, dz and dw for dW, dz, wᵀ and dx for dX.
type Operands struct{ A, B, C string }

// ProductOperands returns the names of kernel k's product.
func ProductOperands(k *plan.Kernel) Operands {
	switch k.Op {
	case plan.WeightGrad:
		return Operands{"xᵀ", "dz", "dw"}
	case plan.InputGrad:
		return Operands{"dz", "wᵀ", "dx"}
	case plan.PartialForward:
		return Operands{"x", "w", "p"}
	}
	if plan.PreActivation(k.Activation) {
		return Operands{"x", "w", "z"}
	}
	return Operands{"x", "w", "y"}
}

// Product begins a product: C = A·B, its shape and its tile.
func Product(n Operands, g *plan.Gemm, t plan.Tile) string {
	return fmt.Sprintf("%s = %s·%s: %d×%d · %d×%d, in %d×%d tiles of %s.", n.C, n.A, n.B, g.Rows, g.Depth, g.Depth, g.Cols, t.MR, t.NR, n.C)
}

// Panels begins a blocked product's loop over panels of columns.
func Panels(n Operands, cols, depth int) string {
	return fmt.Sprintf("Panels of %d columns of %s (%d KB of %s, kept in L2), %d steps of depth at a time.", cols, n.C, 4*cols*depth/1024, n.B, depth)
}

// MicroPanels begins a product whose B is packed.
func MicroPanels(n Operands, cols, depth int) string {
	return fmt.Sprintf("Chunks of %d steps of depth; in each, micro-panels of %d columns of %s, each copied into a contiguous buffer (%d KB, in L1) that every block of rows reads.", depth, cols, n.C, 4*cols*depth/1024)
}

// PackA begins the copy of a chunk of A's rows.
func PackA(n Operands, depth, rows int) string {
	return fmt.Sprintf("Copy %d steps × %d rows of %s into its buffer, each line a cache line longer than it holds.", depth, rows, n.A)
}

// PackRows begins the copy of a chunk of a micro-panel of B.
func PackRows(n Operands, depth, cols int) string {
	return fmt.Sprintf("Copy %d steps × %d columns of %s into the buffer.", depth, cols, n.B)
}

// PackTransposed begins the copy of a chunk of a micro-panel of wᵀ.
func PackTransposed(depth, cols int) string {
	return fmt.Sprintf("Copy %d rows × %d columns of w into the buffer, transposed: a chunk of wᵀ.", cols, depth)
}

// RowPanels begins a packed product taken a panel of rows at a time.
func RowPanels(n Operands, rows int) string {
	return fmt.Sprintf("Panels of %d rows of %s at a time, the last one shorter.", rows, n.C)
}

// LastRows begins the rows past the last whole panel.
func LastRows(n Operands, rows int) string {
	return fmt.Sprintf("The last %d rows of %s.", rows, n.C)
}

// Chunks begins the chunks of depth of one panel.
func Chunks(n Operands, depth, more int) string {
	return fmt.Sprintf("The first %d steps of depth of this panel, then %d more chunks added to %s.", depth, more, n.C)
}

// LastColumns begins the columns past the last whole panel or tile.
func LastColumns(n Operands, cols int) string {
	return fmt.Sprintf("The last %d columns of %s.", cols, n.C)
}

// RowBlock begins a block of rows, tile by tile across the columns.
func RowBlock(n Operands, rows, cols int) string {
	return fmt.Sprintf("%d rows of %s, %d columns at a time.", rows, n.C, cols)
}

// RowBlockTail begins the tile of a block of rows past its whole tiles.
func RowBlockTail(n Operands, rows, cols int) string {
	return fmt.Sprintf("%d rows of %s, the last %d columns.", rows, n.C, cols)
}

// DepthTail begins the depth steps past the unrolled loop.
func DepthTail(steps int) string { return fmt.Sprintf("The last %d steps of depth.", steps) }

// SumChains begins the sum of a one-row tile's accumulator sets.
func SumChains(sets int) string {
	return fmt.Sprintf("Sum the %d accumulator sets pairwise into the first.", sets)
}

// Accumulate begins loading a later chunk's accumulators from C.
func Accumulate(n Operands) string { return fmt.Sprintf("Start from the sums %s holds.", n.C) }

// Store begins a tile's epilogue: the bias, the fused activation (relu and
// leaky_relu; the others take a pass of their own) and the store.
func Store(n Operands, bias bool, act spec.Activation) string {
	fused := act == spec.ReLU || act == spec.LeakyReLU
	switch {
	case bias && fused:
		return fmt.Sprintf("Add the bias, apply %s and store the tile of %s.", act, n.C)
	case bias:
		return fmt.Sprintf("Add the bias and store the tile of %s.", n.C)
	}
	return fmt.Sprintf("Store the tile of %s.", n.C)
}

// StepSGD begins a FusedSGD kernel's epilogue of a tile or a vector of
// the gradient: SGD's step with it on the parameters, in place of its
// store.
func StepSGD(grad, p string) string {
	return fmt.Sprintf("SGD's step with the %s in place of its store: %s ← %s − lr·(%s + decay·%s).", grad, p, p, grad, p)
}

// Transpose begins the transpose of w into wt ahead of dX's product.
func Transpose(g *plan.Gemm) string {
	return fmt.Sprintf("wt = wᵀ (%d×%d), so the product reads it along rows.", g.Depth, g.Cols)
}

// PanelInputGrad begins dX computed a panel of w's rows at a time.
func PanelInputGrad(g *plan.Gemm, cols int) string {
	return fmt.Sprintf("dx = dz·wᵀ: %d×%d · %d×%d, %d columns of dx (rows of w) at a time.", g.Rows, g.Depth, g.Depth, g.Cols, cols)
}

// InputGradPanel begins one such panel.
func InputGradPanel(g *plan.Gemm, cols int) string {
	return fmt.Sprintf("wt = %d rows of w transposed (%d×%d), then dx's %d columns from them.", cols, g.Depth, cols, cols)
}

// ActivationPass begins an activation applied in a pass of its own.
func ActivationPass(act spec.Activation) string {
	if plan.PreActivation(act) {
		return fmt.Sprintf("y = %s(z), elementwise.", act)
	}
	return fmt.Sprintf("y = %s(y), elementwise.", act)
}

// Softmax begins the softmax of every row.
const Softmax = "y = softmax(y), row by row: subtract the row's maximum, exponentiate, divide by the sum."

// Combine begins the sum of the two partial products.
const Combine = "z = (p0 + p1) + b, row by row."

// ColumnSums begins db.
func ColumnSums(rows, cols int) string {
	return fmt.Sprintf("db = Σ rows of dz (%d rows of %d).", rows, cols)
}

// ActivationGrad begins d ⊙ act′.
func ActivationGrad(act spec.Activation) string {
	src := "y"
	if plan.PreActivation(act) {
		src = "z"
	}
	return fmt.Sprintf("d ← d ⊙ %s′(%s), elementwise.", act, src)
}

// Optimizer begins an update.
func Optimizer(k *plan.Kernel) string { return fmt.Sprintf("%s over %d parameters.", k.Op, k.Elements) }

// Loss begins the loss.
const Loss = "d = the loss's gradient, elementwise; the loss's terms summed in one vector."
