//go:build gc && !purego

package mathkernels

import "github.com/vecgen/vecgen/compiled"

// tiers lists each tier's functions by name.
var tiers = []struct {
	tier compiled.Tier
	fn   map[string]func(*[Len]float32)
}{
	{compiled.NEON, map[string]func(*[Len]float32){
		"Exp": ExpNEON, "Log": LogNEON, "Sigmoid": SigmoidNEON, "Tanh": TanhNEON, "GELU": GELUNEON, "GELUErf": GELUErfNEON, "SiLU": SiLUNEON}},
}
