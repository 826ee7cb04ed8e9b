// Command mkmath writes the mathkernels package's assembly from
// gen.MathFiles: go generate ./internal/mathkernels.
package main

import (
	"fmt"
	"os"

	"github.com/vecgen/vecgen/gen"
)

func main() {
	asm, stubs, err := gen.MathFiles("mathkernels", 4096)
	if err == nil {
		_, err = gen.Write(".", []gen.File{{Name: "math_amd64.s", Data: asm}, {Name: "math_stubs_amd64.go", Data: stubs}})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkmath:", err)
		os.Exit(1)
	}
}
