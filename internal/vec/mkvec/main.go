// Command mkvec writes the vec package's assembly from gen.SumFiles:
// go generate ./internal/vec.
package main

import (
	"fmt"
	"os"

	"github.com/vecgen/vecgen/gen"
)

func main() {
	asm, stubs, err := gen.SumFiles("vec")
	if err == nil {
		_, err = gen.Write(".", []gen.File{{Name: "sum_amd64.s", Data: asm}, {Name: "sum_stubs_amd64.go", Data: stubs}})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkvec:", err)
		os.Exit(1)
	}
}
