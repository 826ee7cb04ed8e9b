package arm64

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The writer's registers: never a reserved one, freed by scope, and a
// hoisted constant never takes a register code after its frame's line
// has held.
func TestWriterRegisters(t *testing.T) {
	w := newWriter()
	w.begin()
	var gps []greg
	for range 26 { // R0–R17 and R19–R26
		gps = append(gps, w.gp())
	}
	for _, r := range gps {
		assert.NotContains(t, []greg{18, 27, 28, 29, 30}, r)
	}
	assert.PanicsWithValue(t, errRegisters{"general-purpose"}, func() { w.gp() })

	w = newWriter()
	w.begin()
	live := w.vec() // V0: held across the frame's line, freed inside the frame
	w.zero(live)
	end := w.scope()
	for _, v := range w.vecs(3) { // V1–V3: used and freed before the frame
		w.zero(v)
	}
	end()
	h := w.openHoist()
	w.comment("the loop")
	inner := w.scope()
	used := w.vec() // V1 again, inside the frame
	w.zero(used)
	inner()
	w.release(1<<live, 0)
	c := w.constant("one", 0x3f800000)
	assert.Equal(t, vreg(1), used)
	assert.Equal(t, vreg(2), c, "the lowest register no code held at the frame's line or since")
	assert.Equal(t, c, w.constant("one", 0x3f800000), "a constant is hoisted once")
	w.closeHoist(h)
	joined := strings.Join(w.finish(), "\n")
	assert.Contains(t, joined, "MOVD $neonconsts<>(SB), R0")
	assert.Contains(t, joined, "VMOVI $0, V3.B16\n\tFMOVQ (R0), F2 // one\n\t// the loop")
}
