// Command benchreport turns the output of make bench (go test -bench over
// internal/compare and nn) into the Markdown tables of PERFORMANCE.md:
// each product's median time and GFLOP/s for vecgen and its Go peers, the
// fraction of the nominal and of this run's measured FMA peak, and the
// issue's targets next to what was measured.
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
	report := render(runs, cpu(in))
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

// cpu is the processor go test names on its "cpu:" line, or "".
func cpu(out []byte) string {
	for l := range strings.Lines(string(out)) {
		if name, ok := strings.CutPrefix(l, "cpu: "); ok {
			return strings.TrimSpace(name)
		}
	}
	return ""
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

// product is a row of the kernel table: a BenchmarkProduct case and its
// GFLOP/s target (0: none).
type product struct {
	name, shape string
	target      float64
}

var products = []product{
	{"L1Forward", "64×784·784×256", 104}, {"L1WeightGrad", "784×64·64×256", 104},
	{"L2Forward", "64×256·256×128", 100}, {"L2WeightGrad", "256×64·64×128", 100}, {"L2InputGrad", "64×128·128×256", 100},
	{"L3Forward", "64×128·128×10", 80}, {"L3WeightGrad", "128×64·64×10", 80}, {"L3InputGrad", "64×10·10×128", 80},
	{"B1L1Forward", "1×784·784×256", 0}, {"B1L2Forward", "1×256·256×128", 0}, {"B1L3Forward", "1×128·128×10", 0},
}

func render(runs map[string]*result, cpu string) string {
	var b strings.Builder
	if cpu != "" {
		fmt.Fprintf(&b, "Measured on: %s.\n\n", cpu)
	}
	peak, havePeak := median(runs, "BenchmarkPeak", "GFLOP/s")
	if havePeak {
		fmt.Fprintf(&b, "This run's FMA ceiling (BenchmarkPeak, 12 independent FMAs on registers): **%.1f GFLOP/s**, %.0f%% of the nominal %.0f.\n\n",
			peak, 100*peak/NominalPeak, NominalPeak)
	}
	b.WriteString("| product | shape | vecgen | GFLOP/s | % of 115 | % of run's peak | target | vs gonum | vs naive Go |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
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
		ofRun := "–"
		if havePeak {
			ofRun = fmt.Sprintf("%.0f%%", 100*rate/peak)
		}
		target := "–"
		if p.target > 0 {
			mark := "missed"
			if rate >= p.target {
				mark = "met"
			}
			target = fmt.Sprintf("≥ %.0f (%s)", p.target, mark)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f | %.0f%% | %s | %s | %s | %s |\n", p.name, p.shape, duration(ns), rate,
			100*rate/NominalPeak, ofRun, target, ratio(runs, base, "gonum", ns), ratio(runs, base, "naive", ns))
	}
	if b1Complete && b1Total > 0 {
		mark := "missed"
		if b1Total <= 6000 {
			mark = "met"
		}
		fmt.Fprintf(&b, "\nWhole batch-1 forward (the three B1 kernels): **%s** (target ≤ 6 µs: %s).\n", duration(b1Total), mark)
	}
	steps := []struct{ name, label, target string }{
		{"BenchmarkTrainStep/sgd/samples=64/procs=1", "train step, SGD, 64 samples, 1 core", "≤ 0.62 ms"},
		{"BenchmarkTrainStep/sgd/samples=256/procs=1", "train step, SGD, 256 samples, 1 core", "≤ 2.5 ms"},
		{"BenchmarkTrainStep/sgd/samples=256/procs=2", "train step, SGD, 256 samples, 2 cores", "≤ 1.4 ms"},
		{"BenchmarkTrainStep/adam/samples=64/procs=1", "train step, Adam, 64 samples, 1 core", ""},
		{"BenchmarkTrainStep/adam/samples=256/procs=1", "train step, Adam, 256 samples, 1 core", ""},
		{"BenchmarkTrainStep/adam/samples=256/procs=2", "train step, Adam, 256 samples, 2 cores", ""},
		{"BenchmarkPredict", "Predict, 64 samples", ""},
		{"BenchmarkPredictOne", "Predict, 1 sample (spec/fashion1.yaml)", ""},
	}
	var rows bytes.Buffer
	for _, s := range steps {
		ns, ok := median(runs, s.name, "ns/op")
		if !ok {
			continue
		}
		rate := "–"
		if v, ok := median(runs, s.name, "samples/s"); ok {
			rate = fmt.Sprintf("%.1fk", v/1e3)
		}
		target := "–"
		if s.target != "" {
			limit, _ := strconv.ParseFloat(strings.Fields(s.target)[1], 64)
			mark := "missed"
			if ns <= limit*1e6 {
				mark = "met"
			}
			target = s.target + " (" + mark + ")"
		}
		fmt.Fprintf(&rows, "| %s | %s | %s | %s |\n", s.label, duration(ns), rate, target)
	}
	if rows.Len() > 0 {
		b.WriteString("\n| nn (spec/fashion.yaml) | time | samples/s | target |\n|---|---|---|---|\n")
		b.Write(rows.Bytes())
	}
	return b.String()
}

// ratio is how many times faster vecgen (ns) is than impl, as "12.3×".
func ratio(runs map[string]*result, base, impl string, ns float64) string {
	other, ok := median(runs, base+impl, "ns/op")
	if !ok || ns == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f×", other/ns)
}

func duration(ns float64) string {
	switch {
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
