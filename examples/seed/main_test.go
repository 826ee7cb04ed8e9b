package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWorkedExample(t *testing.T) {
	z := Forward()
	want := [][]float32{{5.1, 6.2}, {11.5, 14.2}, {17.9, 22.2}}
	for i := range want {
		assert.InDeltaSlice(t, want[i], z[i], 1e-5, "row %d", i)
	}
}

func Example() {
	main()
	// Output:
	// 5.10 6.20
	// 11.50 14.20
	// 17.90 22.20
}
