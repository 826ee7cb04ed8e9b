package arm64

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLint(t *testing.T) {
	good := "TEXT ·f(SB), NOSPLIT, $0-8\n\tMOVD x+0(FP), R0\n\tFMOVQ (R0), F1 // g is fine in a comment\n\tRET\n"
	assert.NoError(t, Lint([]byte(good)))
	for _, r := range []string{"R18", "R27", "R28", "R29", "R30", "RSP", "g", "LR"} {
		bad := strings.Replace(good, "(R0), F1", "("+r+"), F1", 1)
		assert.ErrorContains(t, Lint([]byte(bad)), "names "+r, r)
	}
	assert.ErrorContains(t, Lint([]byte(strings.Replace(good, "\tRET\n", "", 1))), "does not end with RET")
	assert.NoError(t, Lint([]byte(strings.Replace(good, "R0", "R26", -1))), "R26 is allowed")
}
