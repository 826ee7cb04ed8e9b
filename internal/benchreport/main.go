// Command benchreport turns the output of make bench (go test -bench over
// internal/compare and nn, the same vecgen benchmarks on the AVX2 tier, and
// internal/compare/peers.py's numpy and PyTorch timings) into the Markdown
// tables of PERFORMANCE.md: each product's and workload's median time for
// vecgen, its AVX2 tier and its peers, the ratio to the best peer, the
// fraction of this run's widest measured FMA ceiling and of the nominal
// one, the performance targets next to what was measured, Predict of n
// rows against numpy's and PyTorch's forward of as many, int8 serving
// against float32 and PyTorch's dynamic quantization, a Fashion-MNIST
// epoch through nn's Fit against PyTorch's training loop, and
// spec/wide.yaml's products and SGD step against numpy's and PyTorch's.
//
//	go run ./internal/benchreport [-update PERFORMANCE.md] < bench.txt
//
// With -update it replaces the text between the file's
// "<!-- benchreport -->" and "<!-- /benchreport -->" lines.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// NominalPeak is the peak the targets were written against: one Zen 4
// core's AVX2 FMA float32 rate at 3.56 GHz (2 FMA pipes × 8 lanes × 2 flops
// per cycle). The run's own ceiling, BenchmarkPeak, is shown beside it.
const NominalPeak = 115.0

func main() {
	update := flag.String("update", "", "rewrite the tables in this Markdown `file`")
	flag.Parse()
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	runs, err := parse(bytes.NewReader(in))
	if err == nil && len(runs) == 0 {
		err = fmt.Errorf("no benchmark results on stdin")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	report := render(runs, configs(in))
	fmt.Print(report)
	if *update != "" {
		if err := splice(*update, report); err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(1)
		}
	}
}

// result is one benchmark's samples: ns/op and any other metrics by unit.
type result struct {
	metrics map[string][]float64
}

// line matches "BenchmarkName-2   123   456 ns/op   7.8 GFLOP/s ...".
var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader) (map[string]*result, error) {
	out := map[string]*result{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := strings.Fields(m[2])
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("cannot read %q", sc.Text())
		}
		res := out[m[1]]
		if res == nil {
			res = &result{metrics: map[string][]float64{}}
			out[m[1]] = res
		}
		for i := 0; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("cannot read %q: %v", sc.Text(), err)
			}
			res.metrics[f[i+1]] = append(res.metrics[f[i+1]], v)
		}
	}
	return out, sc.Err()
}

// configs holds the first value of each configuration line ("cpu: …",
// and peers.py's "blas: …", "numpy: …", "torch: …").
func configs(out []byte) map[string]string {
	conf := map[string]string{}
	for l := range strings.Lines(string(out)) {
		key, value, ok := strings.Cut(l, ": ")
		if !ok || key == "" || strings.ContainsAny(key, " \t") || !unicode.IsLower(rune(key[0])) {
			continue
		}
		if _, seen := conf[key]; !seen {
			conf[key] = strings.TrimSpace(value)
		}
	}
	return conf
}

// median of name's unit, and whether it was measured.
func median(runs map[string]*result, name, unit string) (float64, bool) {
	r := runs[name]
	if r == nil || len(r.metrics[unit]) == 0 {
		return 0, false
	}
	v := slices.Clone(r.metrics[unit])
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2], true
	}
	return (v[n/2-1] + v[n/2]) / 2, true
}

// product is a row of the kernel tables: a BenchmarkProduct case, its
// GFLOP/s target against the nominal peak (0: none), and whether the
// issue's peer target (≥ 1.15× the best peer's speed and ≥ 85% of the
// widest ceiling) applies to it.
type product struct {
	name, shape string
	target      float64
	peerTarget  bool
}

var products = []product{
	{"L1Forward", "64×784·784×256", 104, true}, {"L1WeightGrad", "784×64·64×256", 104, true},
	{"L2Forward", "64×256·256×128", 100, true}, {"L2WeightGrad", "256×64·64×128", 100, true},
	{"L2InputGrad", "64×128·128×256", 100, true},
	{"L3Forward", "64×128·128×10", 80, false}, {"L3WeightGrad", "128×64·64×10", 80, false},
	{"L3InputGrad", "64×10·10×128", 80, false},
	{"B1L1Forward", "1×784·784×256", 0, false}, {"B1L2Forward", "1×256·256×128", 0, false},
	{"B1L3Forward", "1×128·128×10", 0, false},
}

// The performance targets against the peers, of spec/fashion.yaml's and
// spec/wide.yaml's L1 and L2 products.
const (
	minSpeedup   = 1.15 // speed over the best peer's
	minOfCeiling = 0.85 // and fraction of the widest ceiling
)

// wideProducts are spec/wide.yaml's L1 and L2 products, each held to
// minSpeedup and minOfCeiling.
var wideProducts = []struct{ name, shape string }{
	{"WideL1Forward", "128×1024·1024×2048"}, {"WideL1WeightGrad", "1024×128·128×2048"},
	{"WideL2Forward", "128×2048·2048×1024"}, {"WideL2WeightGrad", "2048×128·128×1024"},
	{"WideL2InputGrad", "128×1024·1024×2048"},
}

// wideStep is nn's benchmark of one SGD step of spec/wide.yaml on its batch
// of 128 samples, with procs=1 and procs=2 (1 and 2 workers on as many
// cores); peers.py's numpy and PyTorch step is procs=1/numpy and
// procs=1/torch.
const wideStep = "BenchmarkTrainStepWide/sgd/samples=128"

// The wide step's targets: on one core at most maxWideStepOverNumpy times
// numpy's step, and on two cores minWideStepSpeedup times faster than on
// one.
const (
	maxWideStepOverNumpy = 0.70
	minWideStepSpeedup   = 1.8
)

// peers are the libraries peers.py times: the suffix of their benchmark
// names and how the tables name them.
var peers = []struct{ suffix, label string }{{"numpy", "numpy"}, {"torch", "PyTorch"}}

// fashionFlops is 2·Σ in·out over spec/fashion.yaml's layers: the flops of
// one sample's forward products.
const fashionFlops = 2 * (784*256 + 256*128 + 128*10)

// workload is a row of the whole-network table. The vecgen benchmark is
// name; its AVX2 tier and peers are name + "/avx2", "/numpy", "/torch".
// flops counts the products' flops per call, for the share of the ceiling.
// The target is vecgen's time at most limit × the time of the benchmark
// ref (one of numpy's), described as refLabel.
type workload struct {
	label, name   string
	flops         float64
	limit         float64
	ref, refLabel string
}

var workloads = []workload{
	{"L3 forward with softmax, 64×128·128×10", "BenchmarkProduct/L3Forward/vecgen", 2 * 64 * 128 * 10,
		1.0, "BenchmarkProduct/L3Forward/numpy-bare", "numpy's bare product"},
	{"batch-1 forward, Predict (spec/testdata/fashion1.yaml)", "BenchmarkPredictOne", fashionFlops,
		0.20, "BenchmarkPredictOne/numpy", "numpy's"},
	// A step's products: the forward and dW of every layer, dX of all but the first.
	{"train step, SGD, 64 samples, 1 core", "BenchmarkTrainStep/sgd/samples=64/procs=1", 64 * (2*fashionFlops + 2*(256*128+128*10)),
		0.70, "BenchmarkTrainStep/sgd/samples=64/procs=1/numpy", "numpy's"},
	{"train step, SGD, 256 samples, 1 core", "BenchmarkTrainStep/sgd/samples=256/procs=1", 256 * (2*fashionFlops + 2*(256*128+128*10)),
		0.70, "BenchmarkTrainStep/sgd/samples=256/procs=1/numpy", "numpy's"},
}

// fitEpoch is nn's benchmark of one Fashion-MNIST epoch through Fit. Its
// sub-benchmark workers=N pairs with peers.py's epoch of PyTorch's loop on
// N threads, named workers=N/torch.
const fitEpoch = "BenchmarkFitEpoch"

// epochWorkers are the worker counts of the epoch table, and PyTorch's
// thread counts.
var epochWorkers = []int{1, 2}

// An epoch on one worker is its steps (the benchmark's steps/op) of
// epochStep, plus Fit's own work: the shuffle, the checks of the data, the
// gathering of each step's samples. The target is at most
// maxEpochOverSteps × steps × epochStep's median.
const (
	epochStep         = "BenchmarkTrainStep/adam/samples=64/procs=1"
	maxEpochOverSteps = 1.10
)

// The epoch's other targets: on one worker at most maxEpochOverTorch times
// PyTorch's epoch on one thread, and on two workers minEpochSpeedup times
// faster than on one.
const (
	maxEpochOverTorch = 0.60
	minEpochSpeedup   = 1.7
)

// peerNames returns the AVX2 tier's and each peer's benchmark name for the
// vecgen benchmark name: a sibling of /vecgen, or a child of name.
func peerNames(name string) (avx2 string, peer []string) {
	base, isProduct := strings.CutSuffix(name, "/vecgen")
	if !isProduct {
		base = name
	}
	for _, p := range peers {
		peer = append(peer, base+"/"+p.suffix)
	}
	return name + "/avx2", peer
}

// ceiling is the widest FMA ceiling measured in the run: zmm when there is
// one, else ymm.
func ceiling(runs map[string]*result) (width string, gflops float64, ok bool) {
	if v, ok := median(runs, "BenchmarkPeakZMM", "GFLOP/s"); ok {
		return "zmm", v, true
	}
	if v, ok := median(runs, "BenchmarkPeak", "GFLOP/s"); ok {
		return "ymm", v, true
	}
	return "", 0, false
}

func render(runs map[string]*result, conf map[string]string) string {
	var b strings.Builder
	if cpu := conf["cpu"]; cpu != "" {
		fmt.Fprintf(&b, "Measured on: %s.\n\n", cpu)
	}
	width, ceil, haveCeil := ceiling(runs)
	if !haveCeil {
		width = "ceiling"
	}
	var ceilings []string
	if v, ok := median(runs, "BenchmarkPeak", "GFLOP/s"); ok {
		ceilings = append(ceilings, fmt.Sprintf("ymm **%.1f GFLOP/s** (BenchmarkPeak), %.0f%% of the nominal %.0f", v, 100*v/NominalPeak, NominalPeak))
	}
	if v, ok := median(runs, "BenchmarkPeakZMM", "GFLOP/s"); ok {
		ceilings = append(ceilings, fmt.Sprintf("zmm **%.1f GFLOP/s** (BenchmarkPeakZMM)", v))
	}
	if len(ceilings) > 0 {
		fmt.Fprintf(&b, "This run's FMA ceilings (12 independent FMAs on registers): %s. \"%% of %s\" is of the widest.\n\n",
			strings.Join(ceilings, "; "), width)
	}
	var libs []string
	for _, p := range peers {
		if v := conf[p.suffix]; v != "" {
			libs = append(libs, p.label+" "+v)
		}
	}
	if len(libs) > 0 {
		fmt.Fprintf(&b, "Peers (internal/compare/peers.py, one thread, float32): %s", strings.Join(libs, " and "))
		if blas := conf["blas"]; blas != "" {
			fmt.Fprintf(&b, " on %s", blas)
		}
		b.WriteString(". ")
	}
	b.WriteString("vecgen is the CPU's default tier; the AVX2 tier is the same benchmark under GODEBUG=cpu.avx512f=off.\n\n")

	ofCeil := func(rate float64) (string, float64) {
		if !haveCeil || rate == 0 {
			return "–", 0
		}
		return fmt.Sprintf("%.0f%%", 100*rate/ceil), rate / ceil
	}
	b.WriteString("Each product against numpy and PyTorch (median times; the speed ratio is above 1 where vecgen is faster):\n\n")
	fmt.Fprintf(&b, "| product | shape | vecgen | AVX2 tier | numpy | PyTorch | vecgen's speed ÷ best peer's | %% of %s | target |\n", width)
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range products {
		name := "BenchmarkProduct/" + p.name + "/vecgen"
		ns, ok := median(runs, name, "ns/op")
		if !ok {
			continue
		}
		rate, _ := median(runs, name, "GFLOP/s")
		cells, best, bestLabel := peerCells(runs, name)
		speedup := "–"
		if best > 0 {
			speedup = fmt.Sprintf("%.2f× (%s)", best/ns, bestLabel)
		}
		pct, frac := ofCeil(rate)
		target := "–"
		if p.peerTarget {
			target = fmt.Sprintf("≥ %.2f× and ≥ %.0f%%: %s", minSpeedup, 100*minOfCeiling,
				mark(best > 0 && haveCeil, best/ns >= minSpeedup && frac >= minOfCeiling))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", p.name, p.shape, duration(ns), cells, speedup, pct, target)
	}

	b.WriteString("\nWhole workloads (the time ratio is below 1 where vecgen is faster; % of the ceiling counts the products' flops):\n\n")
	b.WriteString("| workload | vecgen | AVX2 tier | numpy | PyTorch | vecgen's time ÷ best peer's | % of " + width + " | target |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, w := range workloads {
		ns, ok := median(runs, w.name, "ns/op")
		if !ok {
			continue
		}
		cells, best, bestLabel := peerCells(runs, w.name)
		ratio := "–"
		if best > 0 {
			ratio = fmt.Sprintf("%.2f× (%s)", ns/best, bestLabel)
		}
		pct, _ := ofCeil(w.flops / ns)
		target := fmt.Sprintf("≤ %.2f× %s", w.limit, w.refLabel)
		if ref, ok := median(runs, w.ref, "ns/op"); ok {
			target += fmt.Sprintf(" (%s): %.2f×, %s", duration(ref), ns/ref, mark(true, ns <= w.limit*ref))
		} else {
			target += ": not measured"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", w.label, duration(ns), cells, ratio, pct, target)
	}

	b.WriteString("\nAgainst Go (gonum's blas32.Gemm and a plain loop, both the bare product) and the nominal peak:\n\n")
	b.WriteString("| product | GFLOP/s | % of 115 | target | vs gonum | vs naive Go |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	var b1Total float64
	b1Complete := true
	for _, p := range products {
		base := "BenchmarkProduct/" + p.name + "/"
		ns, ok := median(runs, base+"vecgen", "ns/op")
		if !ok {
			b1Complete = b1Complete && !strings.HasPrefix(p.name, "B1")
			continue
		}
		if strings.HasPrefix(p.name, "B1") {
			b1Total += ns
		}
		rate, _ := median(runs, base+"vecgen", "GFLOP/s")
		target := "–"
		if p.target > 0 {
			target = fmt.Sprintf("≥ %.0f (%s)", p.target, mark(true, rate >= p.target))
		}
		fmt.Fprintf(&b, "| %s | %.1f | %.0f%% | %s | %s | %s |\n", p.name, rate,
			100*rate/NominalPeak, target, ratio(runs, base, "gonum", ns), ratio(runs, base, "naive", ns))
	}
	if b1Complete && b1Total > 0 {
		fmt.Fprintf(&b, "\nWhole batch-1 forward (the three B1 kernels): **%s** (target ≤ 6 µs: %s).\n", duration(b1Total), mark(true, b1Total <= 6000))
	}
	// Each nn row has an absolute target or, for two cores, a least
	// speed-up over the same step on one core (faster: above 1).
	steps := []struct {
		name, label, target string
		oneCore             string
		minSpeedup          float64
	}{
		{"BenchmarkTrainStep/sgd/samples=64/procs=1", "train step, SGD, 64 samples, 1 core", "≤ 0.62 ms", "", 0},
		{"BenchmarkTrainStep/sgd/samples=64/procs=2", "train step, SGD, 64 samples, 2 cores", "", "BenchmarkTrainStep/sgd/samples=64/procs=1", 1},
		{"BenchmarkTrainStep/sgd/samples=256/procs=1", "train step, SGD, 256 samples, 1 core", "≤ 2.5 ms", "", 0},
		{"BenchmarkTrainStep/sgd/samples=256/procs=2", "train step, SGD, 256 samples, 2 cores", "", "BenchmarkTrainStep/sgd/samples=256/procs=1", 1.8},
		{"BenchmarkTrainStep/adam/samples=64/procs=1", "train step, Adam, 64 samples, 1 core", "", "", 0},
		{"BenchmarkTrainStep/adam/samples=64/procs=2", "train step, Adam, 64 samples, 2 cores", "", "BenchmarkTrainStep/adam/samples=64/procs=1", 1},
		{"BenchmarkTrainStep/adam/samples=256/procs=1", "train step, Adam, 256 samples, 1 core", "", "", 0},
		{"BenchmarkTrainStep/adam/samples=256/procs=2", "train step, Adam, 256 samples, 2 cores", "", "BenchmarkTrainStep/adam/samples=256/procs=1", 1.8},
		{"BenchmarkPredict", "Predict, 64 samples", "", "", 0},
		{"BenchmarkPredictOne", "Predict, 1 sample (spec/testdata/fashion1.yaml)", "", "", 0},
	}
	var rows bytes.Buffer
	for _, s := range steps {
		ns, ok := median(runs, s.name, "ns/op")
		if !ok {
			continue
		}
		target := "–"
		if s.target != "" {
			limit, _ := strconv.ParseFloat(strings.Fields(s.target)[1], 64)
			target = s.target + " (" + mark(true, ns <= limit*1e6) + ")"
		}
		if s.oneCore != "" {
			want := fmt.Sprintf("≥ %.2f× the 1-core step", s.minSpeedup)
			if s.minSpeedup == 1 {
				want = "faster than on 1 core"
			}
			target = want + ": not measured"
			if one, ok := median(runs, s.oneCore, "ns/op"); ok {
				up := one / ns
				met := up >= s.minSpeedup
				if s.minSpeedup == 1 {
					met = up > 1
				}
				target = fmt.Sprintf("%s: %.2f×, %s", want, up, mark(true, met))
			}
		}
		fmt.Fprintf(&rows, "| %s | %s | %s | %s |\n", s.label, duration(ns), samplesRate(runs, s.name), target)
	}
	if rows.Len() > 0 {
		b.WriteString("\n| nn (spec/fashion.yaml) | time | samples/s | target |\n|---|---|---|---|\n")
		b.Write(rows.Bytes())
	}
	b.WriteString(rowsTable(runs))
	b.WriteString(int8Table(runs, conf))
	b.WriteString(workersTable(runs))
	b.WriteString(epochTable(runs))
	b.WriteString(wideTable(runs))
	b.WriteString(predictionTable(runs, conf))
	return b.String()
}

// wideTable is spec/wide.yaml against numpy and PyTorch: each of
// wideProducts' median GFLOP/s, its share of this run's widest ceiling
// (≥ minOfCeiling) and its speed over the faster peer's (≥ minSpeedup);
// then the SGD step's median times on 1 and 2 cores and in the peers, the
// 1-core step over numpy's (≤ maxWideStepOverNumpy) and the speed-up of 2
// cores (≥ minWideStepSpeedup). Each part is left out when vecgen did not
// run it, and the table is "" when it ran neither.
func wideTable(runs map[string]*result) string {
	width, ceil, haveCeil := ceiling(runs)
	if !haveCeil {
		width = "ceiling"
	}
	gflops := func(name string) string {
		if v, ok := median(runs, name, "GFLOP/s"); ok {
			return fmt.Sprintf("%.1f", v)
		}
		return "–"
	}
	var products strings.Builder
	for _, p := range wideProducts {
		name := "BenchmarkProduct/" + p.name + "/vecgen"
		ns, ok := median(runs, name, "ns/op")
		if !ok {
			continue
		}
		ofCeil := fmt.Sprintf("≥ %.0f%%: not measured", 100*minOfCeiling)
		if rate, ok := median(runs, name, "GFLOP/s"); ok && haveCeil {
			ofCeil = fmt.Sprintf("%.0f%% (≥ %.0f%%: %s)", 100*rate/ceil, 100*minOfCeiling, mark(true, rate/ceil >= minOfCeiling))
		}
		_, best, bestLabel := peerCells(runs, name)
		speedup := fmt.Sprintf("≥ %.2f×: not measured", minSpeedup)
		if best > 0 {
			speedup = fmt.Sprintf("%.2f× (%s; ≥ %.2f×: %s)", best/ns, bestLabel, minSpeedup, mark(true, best/ns >= minSpeedup))
		}
		_, peer := peerNames(name)
		fmt.Fprintf(&products, "| %s | %s | %s | %s | %s | %s | %s |\n", p.name, p.shape, gflops(name), ofCeil,
			gflops(peer[0]), gflops(peer[1]), speedup)
	}
	var b strings.Builder
	if products.Len() > 0 {
		b.WriteString("\nspec/wide.yaml's products (batch 128; its first w is 8 MiB) against numpy and PyTorch (median GFLOP/s; the speed ratio is above 1 where vecgen is faster):\n\n")
		fmt.Fprintf(&b, "| product | shape | vecgen | %% of %s | numpy | PyTorch | vecgen's speed ÷ best peer's |\n", width)
		b.WriteString("|---|---|---|---|---|---|---|\n")
		b.WriteString(products.String())
	}

	one, okOne := median(runs, wideStep+"/procs=1", "ns/op")
	two, okTwo := median(runs, wideStep+"/procs=2", "ns/op")
	if !okOne && !okTwo {
		return b.String()
	}
	cell := func(ns float64, ok bool) string {
		if ok {
			return duration(ns)
		}
		return "–"
	}
	numpy, okNumpy := median(runs, wideStep+"/procs=1/numpy", "ns/op")
	torch, okTorch := median(runs, wideStep+"/procs=1/torch", "ns/op")
	vsNumpy := fmt.Sprintf("≤ %.2f×: not measured", maxWideStepOverNumpy)
	if okOne && okNumpy {
		vsNumpy = fmt.Sprintf("%.2f× (≤ %.2f×: %s)", one/numpy, maxWideStepOverNumpy, mark(true, one <= maxWideStepOverNumpy*numpy))
	}
	speedup := fmt.Sprintf("≥ %.2f×: not measured", minWideStepSpeedup)
	if okOne && okTwo {
		speedup = fmt.Sprintf("%.2f× (≥ %.2f×: %s)", one/two, minWideStepSpeedup, mark(true, one/two >= minWideStepSpeedup))
	}
	b.WriteString("\nspec/wide.yaml's SGD step of 128 samples (median times; the time ratio is below 1 where vecgen is faster; numpy and PyTorch on one thread):\n\n" +
		"| step | vecgen, 1 core | vecgen, 2 cores | numpy | PyTorch | vecgen's time ÷ numpy's, 1 core | speed-up of 2 cores |\n" +
		"|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| SGD, 128 samples | %s | %s | %s | %s | %s | %s |\n", cell(one, okOne), cell(two, okTwo),
		cell(numpy, okNumpy), cell(torch, okTorch), vsNumpy, speedup)
	return b.String()
}

// predicted is the benchmark-format name internal/mcapredict gives
// product's inner loop on tier and cpu.
func predicted(product, tier, cpu string) string {
	return "BenchmarkPredict/" + product + "/" + tier + "/" + cpu
}

// predictionTable is llvm-mca's prediction of each product's inner loop:
// the NEON tier's share of the FMA peak of Neoverse N1 and V1 and Apple M1
// (and of the M1 model's own bound), and the x86 tiers' share of the
// model's bound beside the share of this run's ceiling the product
// measured. "" when nothing was predicted.
func predictionTable(runs map[string]*result, conf map[string]string) string {
	pct := func(name, unit string) string {
		if v, ok := median(runs, name, unit); ok {
			return fmt.Sprintf("%.0f%%", v)
		}
		return "–"
	}
	x86 := conf["mcacpu"]
	measured := func(name, peak string) string {
		rate, ok := median(runs, name, "GFLOP/s")
		ceiling, okCeil := median(runs, peak, "GFLOP/s")
		if !ok || !okCeil {
			return "–"
		}
		return fmt.Sprintf("%.0f%%", 100*rate/ceiling)
	}
	var rows strings.Builder
	for _, p := range products {
		if _, ok := median(runs, predicted(p.name, "neon", "neoverse-n1"), "%peak"); !ok {
			continue
		}
		fmt.Fprintf(&rows, "| %s | %s | %s | %s | %s / %s | %s | %s | %s | %s |\n", p.name, p.shape,
			pct(predicted(p.name, "neon", "neoverse-n1"), "%peak"), pct(predicted(p.name, "neon", "neoverse-v1"), "%peak"),
			pct(predicted(p.name, "neon", "apple-m1"), "%bound"), pct(predicted(p.name, "neon", "apple-m1"), "%peak"),
			pct(predicted(p.name, "avx512", x86), "%bound"), measured("BenchmarkProduct/"+p.name+"/vecgen", "BenchmarkPeakZMM"),
			pct(predicted(p.name, "avx2", x86), "%bound"), measured("BenchmarkProduct/"+p.name+"/vecgen/avx2", "BenchmarkPeak"))
	}
	if rows.Len() == 0 {
		return ""
	}
	version := conf["mca"]
	if version == "" {
		version = "llvm-mca"
	}
	return fmt.Sprintf("\nEach product's inner loop as %s predicts it (internal/mcapredict: the loop of the most FMAs, disassembled from the test binary): "+
		"the NEON tier's share of the FMA peak of Neoverse N1 (2 FMA pipes) and V1 (4), and of Apple M1 as llvm's model knows it (3 pipes) / as it is (4); "+
		"the x86 tiers' share of the %s model's FMA bound, beside the share of this run's ceiling the whole kernel measured:\n\n", version, x86) +
		"| product | shape | NEON, N1 | NEON, V1 | NEON, M1 (model / core) | AVX-512 predicted | AVX-512 measured (% of zmm) | AVX2 predicted | AVX2 measured (% of ymm) |\n" +
		"|---|---|---|---|---|---|---|---|---|\n" + rows.String()
}

// epochTable is the table of one Fashion-MNIST epoch through Fit on each of
// epochWorkers and through PyTorch's loop on as many threads: median
// times, Fit's time over PyTorch's on the same count, the speed-up of more
// workers or threads over one, and the one-worker epoch against its steps
// of epochStep. It is "" when no epoch was measured.
func epochTable(runs map[string]*result) string {
	impls := []struct{ label, suffix, unit string }{{"Fit", "", "worker"}, {"PyTorch", "/torch", "thread"}}
	var rows strings.Builder
	for _, impl := range impls {
		var one float64 // the epoch on one worker or thread
		for _, w := range epochWorkers {
			vecgen := fmt.Sprintf("%s/workers=%d", fitEpoch, w)
			name := vecgen + impl.suffix
			ns, ok := median(runs, name, "ns/op")
			if !ok {
				continue
			}
			vsTorch, speedup, vsSteps := "–", "–", "–"
			if w == 1 {
				one = ns
			} else if one > 0 {
				speedup = fmt.Sprintf("%.2f×", one/ns)
				if name == vecgen && w == 2 {
					speedup += fmt.Sprintf(" (≥ %.2f×: %s)", minEpochSpeedup, mark(true, one/ns >= minEpochSpeedup))
				}
			}
			if torch, ok := median(runs, vecgen+"/torch", "ns/op"); ok && name == vecgen {
				vsTorch = fmt.Sprintf("%.2f×", ns/torch)
				if w == 1 {
					vsTorch += fmt.Sprintf(" (≤ %.2f×: %s)", maxEpochOverTorch, mark(true, ns/torch <= maxEpochOverTorch))
				}
			}
			if w == 1 && name == vecgen {
				vsSteps = fmt.Sprintf("≤ %.2f×: not measured", maxEpochOverSteps)
				steps, okSteps := median(runs, name, "steps/op")
				step, okStep := median(runs, epochStep, "ns/op")
				if okSteps && okStep {
					ratio := ns / (steps * step)
					vsSteps = fmt.Sprintf("%.2f× (%.0f × %s; ≤ %.2f×: %s)", ratio, steps, duration(step),
						maxEpochOverSteps, mark(true, ratio <= maxEpochOverSteps))
				}
			}
			units := impl.unit
			if w != 1 {
				units += "s"
			}
			fmt.Fprintf(&rows, "| %s, %d %s | %s | %s | %s | %s | %s |\n", impl.label, w, units, duration(ns),
				samplesRate(runs, name), vsTorch, speedup, vsSteps)
		}
	}
	if rows.Len() == 0 {
		return ""
	}
	return "\nOne epoch of Fashion-MNIST's training images (spec/fashion.yaml, Adam, shuffled; median times; the time ratio is below 1 where Fit is faster):\n\n" +
		"| epoch | time | samples/s | Fit's time ÷ PyTorch's, as many threads | speed-up over one | time ÷ (steps × Adam step of 64 samples, 1 core) |\n" +
		"|---|---|---|---|---|---|\n" + rows.String()
}

// predictRows is nn's benchmark of Predict of n samples on
// spec/fashion.yaml with one worker, a sub-benchmark rows=N for each N of
// rowCounts (in increasing order); peers.py's forward of as many rows in
// numpy and PyTorch is rows=N/numpy and rows=N/torch.
const predictRows = "BenchmarkPredictRows"

var rowCounts = []int{1, 2, 4, 8, 16, 32, 64, 100, 1000}

// The targets of Predict of one row: at most maxRowOverTwin times
// twinPredict, Predict of one sample on the batch-1 twin
// (spec/testdata/fashion1.yaml), and at most maxRowOverBatch times Predict
// of batchRows rows, the network's batch.
const (
	twinPredict     = "BenchmarkPredictOne"
	maxRowOverTwin  = 1.10
	batchRows       = 64
	maxRowOverBatch = 0.15
)

// rowsTable is the table of Predict of each of rowCounts rows against
// numpy and PyTorch (median times in µs), then its targets: every n faster
// than both peers, no n costlier than the next larger, one row at most
// maxRowOverTwin × the batch-1 twin's and maxRowOverBatch × the batch's
// call. It is "" when no row count was measured.
func rowsTable(runs map[string]*result) string {
	name := func(n int) string { return fmt.Sprintf("%s/rows=%d", predictRows, n) }
	var rows strings.Builder
	measured := false
	// The worst time ratio to the faster peer and its n, the counts where
	// vecgen is not faster than both, and those not fully measured.
	var worst float64
	var worstN int
	var slower, unmeasured []string
	for _, n := range rowCounts {
		ns, ok := median(runs, name(n), "ns/op")
		measured = measured || ok
		cells := []string{"–"}
		if ok {
			cells[0] = micros(ns)
		}
		var best float64
		var bestLabel string
		all := ok
		for _, p := range peers {
			v, okPeer := median(runs, name(n)+"/"+p.suffix, "ns/op")
			if !okPeer {
				all = false
				cells = append(cells, "–")
				continue
			}
			cells = append(cells, micros(v))
			if best == 0 || v < best {
				best, bestLabel = v, p.label
			}
		}
		ratio := "–"
		if ok && best > 0 {
			ratio = fmt.Sprintf("%.2f× (%s)", ns/best, bestLabel)
		}
		faster := all && ns < best
		switch {
		case all && !faster:
			slower = append(slower, fmt.Sprintf("%d (%.2f× %s's)", n, ns/best, bestLabel))
		case !all:
			unmeasured = append(unmeasured, strconv.Itoa(n))
		}
		if all && ns/best > worst {
			worst, worstN = ns/best, n
		}
		fmt.Fprintf(&rows, "| %d | %s | %s | %s |\n", n, strings.Join(cells, " | "), ratio, mark(all, faster))
	}
	if !measured {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nPredict of n rows (spec/fashion.yaml, batch 64: whole batches through the training kernels, the rest through the serving kernels; " +
		"one worker; median µs per call; the time ratio is below 1 where vecgen is faster):\n\n" +
		"| rows | vecgen (µs) | numpy (µs) | PyTorch (µs) | vecgen's time ÷ faster peer's | faster than both |\n" +
		"|---|---|---|---|---|---|\n")
	b.WriteString(rows.String())

	b.WriteString("\nIts targets:\n\n- every n faster than numpy and PyTorch: ")
	switch {
	case len(slower) > 0:
		fmt.Fprintf(&b, "not at n = %s, missed\n", strings.Join(slower, "; "))
	case len(unmeasured) > 0:
		fmt.Fprintf(&b, "not measured (n = %s)\n", strings.Join(unmeasured, ", "))
	default:
		fmt.Fprintf(&b, "at most %.2f× the faster peer's time (n = %d), met\n", worst, worstN)
	}

	// Each n against the next larger: the pairs that break the order, and
	// the closest of those that keep it.
	b.WriteString("- monotone, no n costs more than the next larger n: ")
	var broken []string
	closest, closestAt, complete := 0.0, "", true
	for i := 0; i+1 < len(rowCounts); i++ {
		lo, hi := rowCounts[i], rowCounts[i+1]
		a, okA := median(runs, name(lo), "ns/op")
		c, okC := median(runs, name(hi), "ns/op")
		if !okA || !okC {
			complete = false
			continue
		}
		if a > c {
			broken = append(broken, fmt.Sprintf("%s (%s µs) > %d rows (%s µs)", plural(lo, "row"), micros(a), hi, micros(c)))
		} else if closestAt == "" || c/a < closest {
			closest, closestAt = c/a, fmt.Sprintf("%d → %d rows", lo, hi)
		}
	}
	switch {
	case len(broken) > 0:
		fmt.Fprintf(&b, "%s, missed\n", strings.Join(broken, "; "))
	case !complete:
		b.WriteString("not measured\n")
	default:
		fmt.Fprintf(&b, "the closest pair %s, %.2f×, met\n", closestAt, closest)
	}

	one, okOne := median(runs, name(1), "ns/op")
	fmt.Fprintf(&b, "- 1 row ≤ %.2f× %s, Predict of 1 sample on spec/testdata/fashion1.yaml", maxRowOverTwin, twinPredict)
	if twin, ok := median(runs, twinPredict, "ns/op"); ok && okOne {
		fmt.Fprintf(&b, " (%s µs): %.2f×, %s\n", micros(twin), one/twin, mark(true, one <= maxRowOverTwin*twin))
	} else {
		b.WriteString(": not measured\n")
	}
	fmt.Fprintf(&b, "- 1 row ≤ %.2f× the %d-row call", maxRowOverBatch, batchRows)
	if batch, ok := median(runs, name(batchRows), "ns/op"); ok && okOne {
		fmt.Fprintf(&b, " (%s µs): %.2f×, %s\n", micros(batch), one/batch, mark(true, one <= maxRowOverBatch*batch))
	} else {
		b.WriteString(": not measured\n")
	}
	return b.String()
}

// int8Target is a row of the int8 serving table: nn's int8 benchmark name,
// described as label, held to at most limit × the time of the benchmark
// ref, described as refLabel.
type int8Target struct {
	label, name   string
	limit         float64
	ref, refLabel string
}

// int8Targets are the targets of nn's int8 serving of spec/fashion.yaml:
// one sample and 64 against vecgen's float32 forward of as many, numpy's
// and PyTorch's dynamic quantization (peers.py's quantize_dynamic of the
// same model).
var int8Targets = []int8Target{
	{"1 sample", "BenchmarkPredictOneInt8", 0.50, "BenchmarkPredictOne", "vecgen float32, 1 sample (BenchmarkPredictOne)"},
	{"1 sample", "BenchmarkPredictOneInt8", 0.12, "BenchmarkPredictOne/numpy", "numpy float32, 1 sample"},
	{"1 sample", "BenchmarkPredictOneInt8", 0.20, "BenchmarkPredictOneInt8/torch", "PyTorch quantize_dynamic, 1 sample"},
	{"64 samples", "BenchmarkPredictInt8", 0.60, "BenchmarkPredict", "vecgen float32 Predict, 64 samples (BenchmarkPredict)"},
	{"64 samples", "BenchmarkPredictInt8", 0.20, "BenchmarkPredictInt8/torch", "PyTorch quantize_dynamic, 64 samples"},
}

// int8Table is the table of int8Targets: the median times of each int8
// benchmark and its reference, their ratio and the target, "not measured"
// where either is missing. It is "" when neither nn's int8 benchmarks nor
// PyTorch's were measured.
func int8Table(runs map[string]*result, conf map[string]string) string {
	cell := func(ns float64, ok bool) string {
		if ok {
			return duration(ns)
		}
		return "–"
	}
	var rows strings.Builder
	measured := false
	for _, t := range int8Targets {
		ns, ok := median(runs, t.name, "ns/op")
		ref, okRef := median(runs, t.ref, "ns/op")
		_, okPeer := median(runs, t.name+"/torch", "ns/op")
		measured = measured || ok || okPeer
		ratio, target := "–", fmt.Sprintf("≤ %.2f×: not measured", t.limit)
		if ok && okRef {
			ratio = fmt.Sprintf("%.2f×", ns/ref)
			target = fmt.Sprintf("≤ %.2f×: %s", t.limit, mark(true, ns <= t.limit*ref))
		}
		fmt.Fprintf(&rows, "| %s | %s | %s | %s | %s | %s |\n", t.label, cell(ns, ok), t.refLabel, cell(ref, okRef), ratio, target)
	}
	if !measured {
		return ""
	}
	engine := ""
	if e := conf["qengine"]; e != "" {
		engine = ", on its " + e + " engine"
	}
	return "\nint8 serving: nn.Quantize's Predict of spec/fashion.yaml against float32 and PyTorch's dynamic quantization " +
		"(quantize_dynamic of nn.Linear to qint8, one thread" + engine + "; median times; the time ratio is below 1 where vecgen's int8 is faster):\n\n" +
		"| int8 | time | against | its time | int8's time ÷ its | target |\n" +
		"|---|---|---|---|---|---|\n" + rows.String() + int8Ceiling(runs)
}

// int8Ops is the int8 operations (two a multiply-add) of the 64-sample
// forward of BenchmarkPredictInt8 as its kernels compute them, over the
// packed layout's padded outputs (the last layer's 10 to 16).
const int8Ops = 2 * 64 * (784*256 + 256*128 + 128*16)

// int8Ceiling is the line that puts the 64-sample int8 forward against
// this run's int8 ceiling (BenchmarkPeakDotZMM), or "" without both.
func int8Ceiling(runs map[string]*result) string {
	peak, okPeak := median(runs, "BenchmarkPeakDotZMM", "GOPS")
	ns, ok := median(runs, "BenchmarkPredictInt8", "ns/op")
	if !okPeak || !ok {
		return ""
	}
	gops := int8Ops / ns
	return fmt.Sprintf("\nThis run's int8 ceiling (12 independent VPDPBUSD on registers, BenchmarkPeakDotZMM): **%.0f GOPS**; "+
		"the 64-sample int8 forward's %.1fM multiply-adds ran at %.0f GOPS, %.0f%% of it (quantization, epilogue and softmax included).\n",
		peak, int8Ops/2/1e6, gops, 100*gops/peak)
}

// stepWorkers is nn's benchmark of the SGD step of 256 samples for each
// GOMAXPROCS (procs=P) and worker count (workers=W) of workersGrid.
const stepWorkers = "BenchmarkStepWorkers"

var workersGrid = []int{1, 2, 4}

// workersTable is the speed-up of the 256-sample SGD step over one worker
// at GOMAXPROCS 1, for each GOMAXPROCS and worker count; "" when the
// grid was not measured.
func workersTable(runs map[string]*result) string {
	base, ok := median(runs, fmt.Sprintf("%s/procs=1/workers=1", stepWorkers), "ns/op")
	if !ok {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nThe SGD step of 256 samples (four tiles of 64): its speed-up over one worker at GOMAXPROCS 1 (time in brackets):\n\n| GOMAXPROCS |")
	for _, w := range workersGrid {
		fmt.Fprintf(&b, " %d worker%s |", w, map[bool]string{true: "s"}[w > 1])
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(workersGrid)) + "\n")
	for _, p := range workersGrid {
		fmt.Fprintf(&b, "| %d |", p)
		for _, w := range workersGrid {
			if ns, ok := median(runs, fmt.Sprintf("%s/procs=%d/workers=%d", stepWorkers, p, w), "ns/op"); ok {
				fmt.Fprintf(&b, " %.2f× (%s) |", base/ns, duration(ns))
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// samplesRate is the median of name's samples/s as "12.3k", or "–".
func samplesRate(runs map[string]*result, name string) string {
	if v, ok := median(runs, name, "samples/s"); ok {
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return "–"
}

// peerCells are the table cells of name's AVX2 tier and peers (median
// times, "–" where not measured), and the fastest peer's time and label
// (0 when none was measured).
func peerCells(runs map[string]*result, name string) (cells string, best float64, bestLabel string) {
	avx2, names := peerNames(name)
	cell := func(name string) string {
		if ns, ok := median(runs, name, "ns/op"); ok {
			return duration(ns)
		}
		return "–"
	}
	out := []string{cell(avx2)}
	for i, n := range names {
		out = append(out, cell(n))
		if ns, ok := median(runs, n, "ns/op"); ok && (best == 0 || ns < best) {
			best, bestLabel = ns, peers[i].label
		}
	}
	return strings.Join(out, " | "), best, bestLabel
}

// mark is "met" or "missed" by met, or "not measured" unless measured.
func mark(measured, met bool) string {
	switch {
	case !measured:
		return "not measured"
	case met:
		return "met"
	}
	return "missed"
}

// ratio is how many times faster vecgen (ns) is than impl, as "12.3×".
func ratio(runs map[string]*result, base, impl string, ns float64) string {
	other, ok := median(runs, base+impl, "ns/op")
	if !ok || ns == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f×", other/ns)
}

// plural is "1 row", "2 rows" and the like.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// micros is ns in µs, with three significant digits below 1,000 µs and
// whole µs from there.
func micros(ns float64) string {
	if us := ns / 1e3; us < 999.5 {
		return fmt.Sprintf("%.3g", us)
	}
	return fmt.Sprintf("%.0f", ns/1e3)
}

// duration is ns with three significant digits, in s, ms, µs or ns.
func duration(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.3g s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	}
	return fmt.Sprintf("%.3g ns", ns)
}

const begin, end = "<!-- benchreport -->", "<!-- /benchreport -->"

// splice replaces the text between the markers in file with report.
func splice(file, report string) error {
	old, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s … %s section", file, begin, end)
	}
	s = s[:i+len(begin)] + "\n" + report + s[j:]
	return os.WriteFile(file, []byte(s), 0o644)
}
