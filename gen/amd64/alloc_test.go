package amd64

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/mmcloughlin/avo/pass"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// allocationSpecs cover what the allocator meets: every activation, the
// tails of odd widths, one-row tiles, halves, split depths and blocked
// products.
var allocationSpecs = []string{
	"name: A\nbatch: 13\ninput: 1\nlayers:\n  - {dense: 7, activation: sigmoid}\n  - {dense: 33, activation: tanh}\n  - {dense: 3, activation: softmax}\nloss: cross_entropy\n",
	"name: B\nbatch: 1\ninput: 300\nlayers:\n  - {dense: 17, activation: gelu}\n  - {dense: 2, activation: sigmoid}\nloss: binary_cross_entropy\n",
	"name: C\nbatch: 10\ninput: 34\nlayers:\n  - {dense: 18, activation: silu}\n  - {dense: 4, activation: leaky_relu}\nloss: mse\n",
	"name: D\nbatch: 5\ninput: 300\nlayers:\n  - {dense: 2048, activation: relu}\n  - {dense: 300, activation: tanh}\n  - {dense: 3, activation: softmax}\nloss: cross_entropy\n",
}

// The incremental allocator gives exactly avo's allocation: the same
// assembly, byte for byte, on every tier.
func TestAllocationMatchesAvo(t *testing.T) {
	avo := pass.Concat(pass.Compile, pass.FunctionPass(pruneSelfMoves))
	for i, src := range allocationSpecs {
		m, err := spec.Parse(fmt.Sprintf("s%d.yaml", i), []byte(src))
		require.NoError(t, err)
		p, err := plan.New(m, "s.yaml", "s")
		require.NoError(t, err)
		for _, isa := range []plan.ISA{plan.AVX2, plan.AVX512} {
			ours, _, err := Emit(p, isa)
			require.NoError(t, err)
			saved := compile
			compile = avo
			theirs, _, err := Emit(p, isa)
			compile = saved
			require.NoError(t, err)
			require.True(t, bytes.Equal(ours, theirs), "%s on %s: the allocations differ", m.Name, isa.Name)
		}
	}
}
