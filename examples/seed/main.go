// Command seed runs the worked example through the generated kernels:
// X (3×4) · W (4×2) + b with the Seed model of spec/seed.yaml.
package main

import (
	"fmt"

	"github.com/vecgen/vecgen/kernels"
)

func main() {
	for _, row := range Forward() {
		fmt.Printf("%.2f %.2f\n", row[0], row[1])
	}
}

// Forward computes Z = X·W + b for the worked example, one row per sample.
func Forward() [][]float32 {
	x := [kernels.SeedBatch * kernels.SeedL1In]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	w := [kernels.SeedL1In * kernels.SeedL1Out]float32{.1, .2, .3, .4, .5, .6, .7, .8}
	b := [kernels.SeedL1Out]float32{.1, .2}
	var z [kernels.SeedBatch * kernels.SeedL1Out]float32
	kernels.SeedL1Forward(&x, &w, &b, &z)
	rows := make([][]float32, kernels.SeedBatch)
	for i := range rows {
		rows[i] = z[i*kernels.SeedL1Out : (i+1)*kernels.SeedL1Out]
	}
	return rows
}
