// Command mkmath writes the mathkernels package's assembly from
// gen.MathFiles, one file per tier: go generate ./internal/mathkernels.
package main

import (
	"fmt"
	"os"

	"github.com/vecgen/vecgen/gen"
	"github.com/vecgen/vecgen/gen/plan"
)

// files names each tier's assembly and stubs.
var files = map[plan.ISA][2]string{
	plan.AVX2:   {"math_amd64.s", "math_stubs_amd64.go"},
	plan.AVX512: {"math_avx512_amd64.s", "math_avx512_stubs_amd64.go"},
}

func main() {
	var out []gen.File
	for _, isa := range plan.Tiers {
		asm, stubs, err := gen.MathFiles("mathkernels", 4096, isa)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mkmath:", err)
			os.Exit(1)
		}
		out = append(out, gen.File{Name: files[isa][0], Data: asm}, gen.File{Name: files[isa][1], Data: stubs})
	}
	if _, err := gen.Write(".", out); err != nil {
		fmt.Fprintln(os.Stderr, "mkmath:", err)
		os.Exit(1)
	}
}
