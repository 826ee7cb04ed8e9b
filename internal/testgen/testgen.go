// Package testgen emits the _test.go file of a generated package: for every
// kernel a differential test against package scalar on seeded inputs of
// several magnitudes and offsets, with guard bands around every buffer;
// special values (0, ±1e30, NaN, ±Inf); a finite-difference check of the
// whole network's gradient; and a benchmark per kernel.
package testgen

import (
	"bytes"
	_ "embed"
	"fmt"
	"go/format"
	"math"
	"strings"
	"text/template"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

//go:embed model_test.go.tmpl
var source string

var tmpl = template.Must(template.New("test").Parse(source))

// kernel is one kernel as the template sees it.
type kernel struct {
	*plan.Kernel
	Params  []plan.Param
	B, K, N string // shape constant names
	Act     string // scalar.<Activation>
	Flops   int    // per call, 0 when not a product
	// BenchRange is the range Benchmark<Kernel> fills each array argument
	// from, as Go source ("lo, hi").
	BenchRange map[string]string
	Size       int    // floats in the kernel's largest array
	Args       string // call arguments converting guarded buffers to array pointers
	// ActivationUlps bounds the error of the Forward kernel's activation
	// alone, in units in the last place, over ActivationSweep (Go source
	// of the values tried).
	ActivationUlps  int
	ActivationSweep string
	PreAct          bool   // the layer keeps its pre-activation z
	Src             string // what ActivationGrad reads: y, or z when PreAct
	// For the optimizers: the scalar function, its calls on the wanted
	// values and on magnitudes, and which state vectors the rule keeps.
	Reference, ReferenceCall string
	Velocity, Moments        bool
}

// layer is one layer for the whole-network gradient check.
type layer struct {
	plan.Layer
	In, Out    string
	Act        string
	HasActGrad bool
	PreAct     bool   // Forward also writes z
	Src        string // what ActivationGrad reads: y, or z when PreAct
	Prev       int    // the previous layer's index, 0 for the first layer
}

type data struct {
	*plan.Plan
	// ForwardFlops is the flops of one pass of the whole forward, and
	// GradientChecks the passes the gradient check takes (two per finite
	// difference, 8 differences per parameter array).
	ForwardFlops, GradientChecks int
	Header                       string
	Kernels                      []kernel
	Layers                       []layer
	Last                         layer
	LossFunc                     string // scalar function of the loss
	LossDZ                       bool   // the loss gradient is dz of the last layer
	Targets                      string // how targets are drawn: onehot, unit or any
	Backward                     []step // layers from last to first
	// SplitDepthUlps bounds the first layer's activation in the combine
	// (the generator's table), when the plan splits its depth.
	SplitDepthUlps int
	// Int8Tiers names the compiled.Tier of each tier with int8 kernels,
	// Int8Ulps bounds each layer's activation in its int8 kernel (as in
	// its Forward test), and Int8Flops is the reference's work in
	// kerneltest.CheckInt8.
	Int8Tiers []string
	Int8Ulps  []int
	Int8Flops int
}

// step is one layer of the backward pass in the gradient check.
type step struct {
	layer
	Input       string // the layer's input: x or the previous layer's output
	PrevActGrad bool   // the previous layer has an ActivationGrad kernel
	PrevSrc     string // what the previous layer's ActivationGrad reads
}

// scalarActivation is a's value in package scalar, as Go source.
func scalarActivation(a spec.Activation) string { return "scalar." + plan.Activations[a].Scalar }

func gradSource(a spec.Activation) string {
	if plan.PreActivation(a) {
		return "z"
	}
	return "y"
}

// optimizerReference is the scalar call an optimizer kernel is checked
// against, as Go source: once on the wanted values, once on magnitudes
// (absolute values, the step's sign flipped so every term adds).
func optimizerReference(kd *kernel) {
	var vecs, absVecs []string
	for _, q := range kd.Params {
		if q.Len == 0 {
			continue
		}
		vecs = append(vecs, fmt.Sprintf("want[%q]", q.Name)) // the reference leaves grad as it is
		absVecs = append(absVecs, fmt.Sprintf("mag[%q]", q.Name))
	}
	var hyper, absHyper []string
	switch kd.Op {
	case plan.SGD:
		kd.Reference, hyper = "SGD", []string{"lr", "decay"}
	case plan.Momentum, plan.Nesterov:
		kd.Reference, kd.Velocity = "Momentum", true
		hyper = []string{"lr", "decay", "mu"}
	default:
		kd.Reference, kd.Moments = "Adam", true
		hyper = []string{"lr", "decay", "beta1", "beta2", "eps", "c1", "c2"}
	}
	for _, h := range hyper {
		if h == "lr" {
			absHyper = append(absHyper, "-float64(lr)")
		} else {
			absHyper = append(absHyper, "float64("+h+")")
		}
	}
	var flag string
	switch kd.Op {
	case plan.Momentum, plan.Adam:
		flag = ", false"
	case plan.Nesterov, plan.AdamW:
		flag = ", true"
	}
	kd.ReferenceCall = fmt.Sprintf("scalar.%s(%s, %s%s)\nscalar.%s(%s, %s%s)",
		kd.Reference, strings.Join(vecs, ", "), strings.Join(hyper, ", "), flag,
		kd.Reference, strings.Join(absVecs, ", "), strings.Join(absHyper, ", "), flag)
}

// Emit renders the test file of p.
func Emit(p *plan.Plan) ([]byte, error) {
	d := data{Plan: p, Header: fmt.Sprintf("Code generated by vecgen from %s. DO NOT EDIT.", p.Source)}
	for i := range p.Kernels {
		k := &p.Kernels[i]
		if k.Half || k.Op == plan.BiasGrad || k.Chunk || k.Op == plan.Combine || k.FusedSGD {
			continue // checked by kerneltest.CheckHalves, CheckChunks, CheckSplitDepth and CheckFusedSGD
		}
		kd := kernel{Kernel: k, Params: p.Params(k)}
		_, kd.B = p.RowsOf(k)
		if k.Layer > 0 {
			kd.K, kd.N, kd.Act = p.In(k.Layer), p.Out(k.Layer), scalarActivation(k.Activation)
		} else {
			kd.N, kd.Act = p.Out(len(p.Layers)), scalarActivation(k.Activation)
		}
		if k.Gemm != nil {
			kd.Flops = k.Gemm.Flops()
		}
		kd.BenchRange = benchRanges(p, k, kd.Params)
		for _, q := range kd.Params {
			kd.Size = max(kd.Size, q.Len)
		}
		kd.PreAct, kd.Src = plan.PreActivation(k.Activation), gradSource(k.Activation)
		if k.Op.IsOptimizer() {
			optimizerReference(&kd)
		}
		if k.Op == plan.Forward {
			kd.ActivationUlps = activationUlps(k.Activation, k.Gemm.Cols)
			kd.ActivationSweep = "kerneltest.Sweep(1 << 16)"
			if k.Activation == spec.Softmax {
				// Every finite logit range where the probabilities are not all 0
				// or 1, then rows of ±10⁴, which must stay finite.
				kd.ActivationSweep = "append(kerneltest.SweepRange(1<<14, -110, 110), kerneltest.LogitExtremes(1<<10)...)"
			}
		}
		var args []string
		for _, q := range kd.Params {
			if q.Len == 0 {
				args = append(args, q.Name)
			} else {
				args = append(args, fmt.Sprintf("(*[%s]float32)(%s.S())", q.Size, q.Name))
			}
		}
		kd.Args = strings.Join(args, ", ")
		d.Kernels = append(d.Kernels, kd)
	}
	for _, l := range p.Layers {
		d.Layers = append(d.Layers, layer{Layer: l, In: p.In(l.Index), Out: p.Out(l.Index),
			Act: scalarActivation(l.Activation), HasActGrad: p.Find(plan.ActivationGrad, l.Index) != nil, Prev: l.Index - 1,
			PreAct: plan.PreActivation(l.Activation), Src: gradSource(l.Activation)})
	}
	d.Last = d.Layers[len(d.Layers)-1]
	for i := len(d.Layers) - 1; i >= 0; i-- {
		s := step{layer: d.Layers[i], Input: "x"}
		if i > 0 {
			s.Input, s.PrevActGrad, s.PrevSrc = fmt.Sprintf("y%d", i), d.Layers[i-1].HasActGrad, d.Layers[i-1].Src
		}
		d.Backward = append(d.Backward, s)
	}
	for i := range p.Kernels {
		if k := &p.Kernels[i]; k.Op == plan.Forward && !k.Half && k.Rows == 0 {
			d.ForwardFlops += k.Gemm.Flops()
		}
	}
	d.GradientChecks = 2 * 8 * 2 * len(p.Layers)
	d.SplitDepthUlps = plan.Activations[p.Layers[0].Activation].Ulps
	if len(p.Int8) > 0 {
		for _, isa := range plan.Int8Tiers() {
			d.Int8Tiers = append(d.Int8Tiers, isa.Name)
		}
		for _, k := range p.Int8 {
			d.Int8Ulps = append(d.Int8Ulps, activationUlps(k.Activation, k.Out))
			d.Int8Flops += 2 * k.In * k.Out * int8CheckRows
		}
	}
	d.LossDZ = p.LossGivesDZ()
	loss := plan.Losses[p.Model.Loss]
	d.LossFunc, d.Targets = loss.Scalar, loss.Targets
	var b bytes.Buffer
	if err := tmpl.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("testgen: %w", err)
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("testgen: generated test for %s does not parse: %w\n%s", p.Model.Name, err, b.Bytes())
	}
	return src, nil
}

// activationUlps bounds a Forward kernel's activation a over rows of n
// outputs, in ulp: the table's, and for softmax, whose row sum's error
// grows like n/8 ulp, ⌈n/8⌉ more.
func activationUlps(a spec.Activation, n int) int {
	ulps := plan.Activations[a].Ulps
	if a == spec.Softmax {
		ulps += (n + plan.AVX2.Lanes - 1) / plan.AVX2.Lanes
	}
	return ulps
}

// int8CheckRows bounds the rows kerneltest.CheckInt8 runs through the
// reference and the kernels of a layer, counted over its calls: 13 rows
// drawn, each count of its int8Counts from both ends (each call checked
// against two passes of the reference), and each count's first rows
// again (at most 4·13 calls of 13 rows).
const int8CheckRows = 4 * 13 * 13

// benchRanges are the ranges Benchmark<Kernel> fills the arguments of k
// from. A product's take the values a layer sees in training, centered,
// and w scaled by 1/√in so that the pre-activations are about ⅓ in
// magnitude: with every value positive, the sums of a layer a thousand
// wide reached the hundreds, where gelu's and silu's exp underflows
// through subnormals, and the benchmark timed that (gelu took a fifth
// more time than relu on a 2048-wide layer; 4% with these ranges, on
// Zen 5). The others take [0.01, 0.99], which keeps the optimizers'
// second moments positive.
func benchRanges(p *plan.Plan, k *plan.Kernel, params []plan.Param) map[string]string {
	ranges := map[string]string{}
	for _, q := range params {
		switch {
		case k.Gemm == nil:
			ranges[q.Name] = "0.01, 0.99"
		case q.Name == "w":
			bound := 1 / math.Sqrt(float64(p.Layers[k.Layer-1].In))
			ranges[q.Name] = fmt.Sprintf("-%.3g, %.3g", bound, bound)
		default:
			ranges[q.Name] = "-1, 1"
		}
	}
	return ranges
}
