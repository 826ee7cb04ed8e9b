// Command mkmath writes the mathkernels package's assembly from
// gen.MathFiles, one file per tier: go generate ./internal/mathkernels.
package main

import (
	"fmt"
	"os"

	"github.com/vecgen/vecgen/gen"
	"github.com/vecgen/vecgen/gen/plan"
)

func main() {
	var out []gen.File
	for _, isa := range plan.Tiers {
		asm, stubs, err := gen.MathFiles("mathkernels", 4096, isa)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mkmath:", err)
			os.Exit(1)
		}
		asmName, stubsName := gen.TierFiles("math", isa)
		out = append(out, gen.File{Name: asmName, Data: asm}, gen.File{Name: stubsName, Data: stubs})
	}
	if _, err := gen.Write(".", out); err != nil {
		fmt.Fprintln(os.Stderr, "mkmath:", err)
		os.Exit(1)
	}
}
