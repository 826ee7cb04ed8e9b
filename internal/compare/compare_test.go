package compare

import (
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	k "github.com/vecgen/vecgen/kernels"
	"github.com/vecgen/vecgen/kerneltest"
)

// product is one matrix product of spec/fashion.yaml (or its batch-1 twin)
// or of spec/wide.yaml as each implementation computes it. kind is the
// layout: "forward" is c = a·b, "dW" is c = aᵀ·b (a is k×m), "dX" is
// c = a·bᵀ (b is n×k).
type product struct {
	name    string
	m, k, n int
	kind    string
	vecgen  func(a, b, c []float32) // the generated kernel, with what it fuses
}

// The vecgen kernels do more than the product: the forward kernels add
// the bias and apply the activation (relu; softmax for L3), the dW kernels
// also sum db, and the dX kernels transpose w first. The peers do the bare
// product.
var products = []product{
	{"L1Forward", 64, 784, 256, "forward", func(a, b, c []float32) {
		k.FashionL1Forward((*[64 * 784]float32)(a), (*[784 * 256]float32)(b), &bias256, (*[64 * 256]float32)(c))
	}},
	{"L2Forward", 64, 256, 128, "forward", func(a, b, c []float32) {
		k.FashionL2Forward((*[64 * 256]float32)(a), (*[256 * 128]float32)(b), &bias128, (*[64 * 128]float32)(c))
	}},
	{"L3Forward", 64, 128, 10, "forward", func(a, b, c []float32) {
		k.FashionL3Forward((*[64 * 128]float32)(a), (*[128 * 10]float32)(b), &bias10, (*[64 * 10]float32)(c))
	}},
	{"L1WeightGrad", 784, 64, 256, "dW", func(a, b, c []float32) {
		k.FashionL1WeightGrad((*[64 * 784]float32)(a), (*[64 * 256]float32)(b), (*[784 * 256]float32)(c), &bias256)
	}},
	{"L2WeightGrad", 256, 64, 128, "dW", func(a, b, c []float32) {
		k.FashionL2WeightGrad((*[64 * 256]float32)(a), (*[64 * 128]float32)(b), (*[256 * 128]float32)(c), &bias128)
	}},
	{"L3WeightGrad", 128, 64, 10, "dW", func(a, b, c []float32) {
		k.FashionL3WeightGrad((*[64 * 128]float32)(a), (*[64 * 10]float32)(b), (*[128 * 10]float32)(c), &bias10)
	}},
	{"L2InputGrad", 64, 128, 256, "dX", func(a, b, c []float32) {
		k.FashionL2InputGrad((*[64 * 128]float32)(a), (*[256 * 128]float32)(b), &wt2, (*[64 * 256]float32)(c))
	}},
	{"L3InputGrad", 64, 10, 128, "dX", func(a, b, c []float32) {
		k.FashionL3InputGrad((*[64 * 10]float32)(a), (*[128 * 10]float32)(b), &wt3, (*[64 * 128]float32)(c))
	}},
	{"B1L1Forward", 1, 784, 256, "forward", func(a, b, c []float32) {
		k.Fashion1L1Forward((*[784]float32)(a), (*[784 * 256]float32)(b), &bias256, (*[256]float32)(c))
	}},
	{"B1L2Forward", 1, 256, 128, "forward", func(a, b, c []float32) {
		k.Fashion1L2Forward((*[256]float32)(a), (*[256 * 128]float32)(b), &bias128, (*[128]float32)(c))
	}},
	{"B1L3Forward", 1, 128, 10, "forward", func(a, b, c []float32) {
		k.Fashion1L3Forward((*[128]float32)(a), (*[128 * 10]float32)(b), &bias10, (*[10]float32)(c))
	}},
	{"WideL1Forward", 128, 1024, 2048, "forward", func(a, b, c []float32) {
		k.WideL1Forward((*[128 * 1024]float32)(a), (*[1024 * 2048]float32)(b), &bias2048, (*[128 * 2048]float32)(c))
	}},
	{"WideL2Forward", 128, 2048, 1024, "forward", func(a, b, c []float32) {
		k.WideL2Forward((*[128 * 2048]float32)(a), (*[2048 * 1024]float32)(b), &bias1024, (*[128 * 1024]float32)(c))
	}},
	{"WideL1WeightGrad", 1024, 128, 2048, "dW", func(a, b, c []float32) {
		k.WideL1WeightGrad((*[128 * 1024]float32)(a), (*[128 * 2048]float32)(b), (*[1024 * 2048]float32)(c), &bias2048)
	}},
	{"WideL2WeightGrad", 2048, 128, 1024, "dW", func(a, b, c []float32) {
		k.WideL2WeightGrad((*[128 * 2048]float32)(a), (*[128 * 1024]float32)(b), (*[2048 * 1024]float32)(c), &bias1024)
	}},
	{"WideL2InputGrad", 128, 1024, 2048, "dX", func(a, b, c []float32) {
		k.WideL2InputGrad((*[128 * 1024]float32)(a), (*[2048 * 1024]float32)(b), &wtWide2, (*[128 * 2048]float32)(c))
	}},
}

// maxGoPeerMACs is the largest product, in multiply-adds (m·k·n), that the
// Go peers (gonum and the naive loop) time. spec/fashion.yaml's products
// reach 2²⁴ at most; spec/wide.yaml's, 2²⁸ each, take gonum some 50 ms a
// call and the naive loop over 100 ms, 20 to 60 times vecgen's time, which
// would add about a minute to make bench's rounds for a comparison no
// table shows: vecgen alone times them.
const maxGoPeerMACs = 1 << 24

var (
	bias256 [256]float32
	bias128 [128]float32
	bias10  [10]float32
	wt2     [256 * 128]float32
	wt3     [128 * 10]float32

	bias2048 [2048]float32
	bias1024 [1024]float32
	wtWide2  [1024 * 2048]float32
)

// BenchmarkPeak is the machine's FMA ceiling in this run: registers only.
func BenchmarkPeak(b *testing.B) {
	if !havePeak {
		b.Skip("no AVX2+FMA here")
	}
	const n = 1 << 16
	for b.Loop() {
		fmaPeak(n)
	}
	b.ReportMetric(192*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkPeakZMM is the same ceiling with 512-bit FMAs.
func BenchmarkPeakZMM(b *testing.B) {
	if !havePeakZMM {
		b.Skip("no AVX-512F here (or GODEBUG=cpu.avx512f=off)")
	}
	const n = 1 << 16
	for b.Loop() {
		fmaPeakZMM(n)
	}
	b.ReportMetric(384*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkPeakDotZMM is the machine's int8 ceiling in this run:
// VPDPBUSD on ZMM registers only, in int8 multiply-adds (u8 × s8, summed
// four to an int32 lane) per second, counted as two operations each.
func BenchmarkPeakDotZMM(b *testing.B) {
	if !haveDotZMM {
		b.Skip("no AVX-512 VNNI here (or GODEBUG turns it off)")
	}
	const n = 1 << 16
	for b.Loop() {
		dotPeakZMM(n)
	}
	b.ReportMetric(2*768*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
}

// BenchmarkPeakZMMParallel is BenchmarkPeakZMM on every core at once
// (GOMAXPROCS goroutines), reporting their sum: the ceiling of a step
// shared by workers, which is twice the one-core ceiling only when the
// cores do not share their FMA units (separate cores, not SMT siblings).
func BenchmarkPeakZMMParallel(b *testing.B) {
	if !havePeakZMM {
		b.Skip("no AVX-512F here (or GODEBUG=cpu.avx512f=off)")
	}
	const n = 1 << 16
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			fmaPeakZMM(n)
		}
	})
	b.ReportMetric(384*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkStreamZMM reads the batch-1 L1 weights (784×256 floats, which
// stay in L2) in 64-byte loads and does nothing else: the bandwidth
// ceiling of a matrix-vector product that streams them once.
func BenchmarkStreamZMM(b *testing.B) {
	if !havePeakZMM {
		b.Skip("no AVX-512F here (or GODEBUG=cpu.avx512f=off)")
	}
	w := make([]float32, 784*256)
	b.SetBytes(4 * int64(len(w)))
	for b.Loop() {
		streamZMM(&w[0], len(w))
	}
}

// BenchmarkProduct times every product by every implementation (by
// vecgen alone past maxGoPeerMACs), reporting GFLOP/s as 2·m·k·n per call.
func BenchmarkProduct(b *testing.B) {
	r := kerneltest.Case{Seed: 1}.Rand()
	for _, p := range products {
		aRows, aCols := p.m, p.k
		bRows, bCols := p.k, p.n
		ta, tb := blas.NoTrans, blas.NoTrans
		switch p.kind {
		case "dW":
			aRows, aCols, ta = p.k, p.m, blas.Trans
		case "dX":
			bRows, bCols, tb = p.n, p.k, blas.Trans
		}
		a, bm, c := make([]float32, aRows*aCols), make([]float32, bRows*bCols), make([]float32, p.m*p.n)
		kerneltest.Fill(r, a, 1)
		kerneltest.Fill(r, bm, 1)
		impls := []struct {
			name string
			run  func()
		}{
			{"vecgen", func() { p.vecgen(a, bm, c) }},
			{"gonum", func() {
				blas32.Gemm(ta, tb, 1,
					blas32.General{Rows: aRows, Cols: aCols, Stride: aCols, Data: a},
					blas32.General{Rows: bRows, Cols: bCols, Stride: bCols, Data: bm},
					0, blas32.General{Rows: p.m, Cols: p.n, Stride: p.n, Data: c})
			}},
			{"naive", func() {
				switch p.kind {
				case "dW":
					NaiveAT(a, bm, c, p.m, p.k, p.n)
				case "dX":
					NaiveBT(a, bm, c, p.m, p.k, p.n)
				default:
					Naive(a, bm, c, p.m, p.k, p.n)
				}
			}},
		}
		if p.m*p.k*p.n > maxGoPeerMACs {
			impls = impls[:1]
		}
		for _, im := range impls {
			b.Run(p.name+"/"+im.name, func(b *testing.B) {
				// Outside the timing: the first call's page faults on c (8 MB
				// for a wide dW) and a packed kernel's stack growth.
				im.run()
				for b.Loop() {
					im.run()
				}
				b.ReportMetric(2*float64(p.m*p.k*p.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
