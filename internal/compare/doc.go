// Package compare benchmarks the generated kernels against what a Go
// developer could use instead, in one run so that the ratios hold on a
// noisy machine: a plain Go loop, gonum's blas32.Gemm, and, as the
// machine's ceilings, loops of independent ymm and zmm FMAs with no memory
// traffic. The products are spec/fashion.yaml's (and its batch-1 twin's)
// and spec/wide.yaml's; the Go peers time only the former, the wide ones
// being 21 times the largest of them. peers.py times the same products, and
// whole forward passes and training steps (spec/wide.yaml's too), in numpy
// and PyTorch; make bench runs both, and internal/benchreport turns their
// output into PERFORMANCE.md's tables.
package compare

// Naive computes c = a·b (c is m×n, a is m×k, b is k×n, all row-major)
// the way a Go programmer writes it first: for each row of a, accumulate
// a[i][p]·(row p of b) into row i of c (the i-p-j order, which walks b
// and c along rows).
func Naive(a, b, c []float32, m, k, n int) {
	for i := range m {
		ci := c[i*n : i*n+n]
		clear(ci)
		for p := range k {
			aip, bp := a[i*k+p], b[p*n:p*n+n]
			for j := range ci {
				ci[j] += aip * bp[j]
			}
		}
	}
}

// NaiveAT computes c = aᵀ·b with a k×m: dW = Xᵀ·dZ.
func NaiveAT(a, b, c []float32, m, k, n int) {
	clear(c[:m*n])
	for p := range k {
		bp := b[p*n : p*n+n]
		for i := range m {
			api, ci := a[p*m+i], c[i*n:i*n+n]
			for j := range ci {
				ci[j] += api * bp[j]
			}
		}
	}
}

// NaiveBT computes c = a·bᵀ with b n×k: dX = dZ·Wᵀ, a dot product per
// element.
func NaiveBT(a, b, c []float32, m, k, n int) {
	for i := range m {
		ai := a[i*k : i*k+k]
		for j := range n {
			bj := b[j*k : j*k+k]
			var s float32
			for p, v := range ai {
				s += v * bj[p]
			}
			c[i*n+j] = s
		}
	}
}
