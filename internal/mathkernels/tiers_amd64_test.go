//go:build gc && !purego

package mathkernels

import "github.com/vecgen/vecgen/compiled"

// tiers lists each tier's functions by name, widest first.
var tiers = []struct {
	tier compiled.Tier
	fn   map[string]func(*[Len]float32)
}{
	{compiled.AVX512, map[string]func(*[Len]float32){
		"Exp": ExpAVX512, "Log": LogAVX512, "Sigmoid": SigmoidAVX512, "Tanh": TanhAVX512, "GELU": GELUAVX512, "GELUErf": GELUErfAVX512, "SiLU": SiLUAVX512}},
	{compiled.AVX2, map[string]func(*[Len]float32){
		"Exp": Exp, "Log": Log, "Sigmoid": Sigmoid, "Tanh": Tanh, "GELU": GELU, "GELUErf": GELUErf, "SiLU": SiLU}},
}
