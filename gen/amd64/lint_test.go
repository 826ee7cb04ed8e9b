package amd64

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

func TestLint(t *testing.T) {
	good := "TEXT ·f(SB), NOSPLIT, $0-8\n\tVXORPS Y0, Y0, Y0\n\tVZEROUPPER\n\tRET\n"
	assert.NoError(t, Lint([]byte(good)))
	assert.ErrorContains(t, Lint([]byte(strings.Replace(good, "Y0, Y0, Y0", "Y16, Y0, Y0", 1))), "uses Y16")
	assert.ErrorContains(t, Lint([]byte(strings.Replace(good, "Y0, Y0, Y0", "Y0, Y31, Y0", 1))), "uses Y31")
	assert.ErrorContains(t, Lint([]byte(strings.Replace(good, "\tVZEROUPPER\n", "", 1))), "without VZEROUPPER")
	assert.ErrorContains(t, Lint([]byte(strings.Replace(good, "Y0, Y0, Y0", "Z1, Z1, Z1", 1))), "ZMM")
	// A function with no vector code needs no VZEROUPPER.
	assert.NoError(t, Lint([]byte("TEXT ·g(SB), NOSPLIT, $0-8\n\tMOVQ AX, BX\n\tRET\n")))
}

// The printed assembly moves no register to itself.
func TestNoSelfMoves(t *testing.T) {
	m, err := spec.Load("../../spec/fashion.yaml")
	require.NoError(t, err)
	p, err := plan.New(m, "fashion.yaml", "k")
	require.NoError(t, err)
	selfMove := regexp.MustCompile(`(?m)^\s+(MOVQ|VMOVAPS)\s+([A-Z0-9]+), ([A-Z0-9]+)$`)
	for _, isa := range []plan.ISA{plan.AVX2, plan.AVX512} {
		asm, _, err := Emit(p, isa)
		require.NoError(t, err)
		for _, m := range selfMove.FindAllStringSubmatch(string(asm), -1) {
			assert.NotEqual(t, m[2], m[3], "%s: %s", isa.Name, strings.TrimSpace(m[0]))
		}
	}
}
