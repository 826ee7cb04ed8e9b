// Command mkvec writes the vec package's assembly from gen.VecFiles, one
// file per tier: go generate ./internal/vec.
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
		asm, stubs, err := gen.VecFiles("vec", isa)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mkvec:", err)
			os.Exit(1)
		}
		asmName, stubsName := gen.TierFiles("loops", isa)
		out = append(out, gen.File{Name: asmName, Data: asm}, gen.File{Name: stubsName, Data: stubs})
	}
	if _, err := gen.Write(".", out); err != nil {
		fmt.Fprintln(os.Stderr, "mkvec:", err)
		os.Exit(1)
	}
}
