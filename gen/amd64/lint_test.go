package amd64

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
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
