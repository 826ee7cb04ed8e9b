// Command mkvec writes the vec package's assembly from gen.VecFiles, one
// file per tier: go generate ./internal/vec.
package main

import (
	"fmt"
	"os"

	"github.com/vecgen/vecgen/gen"
	"github.com/vecgen/vecgen/gen/plan"
)

// files names each tier's assembly and stubs.
var files = map[plan.ISA][2]string{
	plan.AVX2:   {"loops_amd64.s", "loops_stubs_amd64.go"},
	plan.AVX512: {"loops_avx512_amd64.s", "loops_avx512_stubs_amd64.go"},
}

func main() {
	var out []gen.File
	for _, isa := range plan.Tiers {
		asm, stubs, err := gen.VecFiles("vec", isa)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mkvec:", err)
			os.Exit(1)
		}
		out = append(out, gen.File{Name: files[isa][0], Data: asm}, gen.File{Name: files[isa][1], Data: stubs})
	}
	if _, err := gen.Write(".", out); err != nil {
		fmt.Fprintln(os.Stderr, "mkvec:", err)
		os.Exit(1)
	}
}
