// Command mcapredict predicts, with llvm-mca, how near each product's
// inner loop comes to the FMA peak of the cores its tier runs on: the
// NEON loops on Neoverse N1 and V1 (Graviton 2 and 3) and Apple M1, which
// no machine here has, and the AVX-512 and AVX2 loops on the model of this
// machine's core, where make bench measures them too, so that a reader sees
// how far a prediction lands from a measurement.
//
//	go run ./internal/mcapredict [-spec spec/fashion.yaml] [-pkg kernels]
//
// It builds the test binaries of the package in directory pkg for arm64 and amd64, disassembles each
// product kernel of the spec's model (forward, dW and dX of every layer)
// with GNU objdump, takes its innermost loop with the most FMAs, and runs
// llvm-mca on it. The FMA bound of each model is measured the same way,
// on a loop of independent FMAs. It prints one line per loop and core in
// go test's benchmark format, for internal/benchreport:
//
//	BenchmarkPredict/L1Forward/neon/neoverse-n1 1 50.1 cycles/iter 100 FMAs/iter 99.9 %bound 99.9 %peak
//
// %bound is of the model's own FMA rate, %peak of the core's (for the arm64
// cores, whose FMA pipes are known: the model of Apple M1 knows three of its
// four).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/vecgen/vecgen/gen/plan"
	"github.com/vecgen/vecgen/spec"
)

// core is a processor llvm-mca models, with the FMA pipes the real core
// has (0: not known here, so only %bound is printed).
type core struct {
	name  string
	pipes int
}

// arm64Cores are the cores the NEON loops are predicted on: Graviton 2's,
// Graviton 3's and Apple M1's.
var arm64Cores = []core{{"neoverse-n1", 2}, {"neoverse-v1", 4}, {"apple-m1", 4}}

func main() {
	specFile := flag.String("spec", "spec/fashion.yaml", "the model whose products to predict")
	pkg := flag.String("pkg", "kernels", "the directory of the package generated from it")
	mca := flag.String("mca", "llvm-mca-19", "llvm-mca")
	x86 := flag.String("x86-cpu", "", "llvm-mca's -mcpu for the x86 loops (default: this machine's, from /proc/cpuinfo)")
	label := flag.String("label", "", "a prefix for the products' names (B1 for spec/testdata/fashion1.yaml's, as internal/benchreport names them)")
	flag.Parse()
	if *x86 == "" {
		*x86 = nearestX86()
	}
	version, _ := exec.Command(*mca, "--version").Output()
	if v := regexp.MustCompile(`LLVM version (\S+)`).FindSubmatch(version); v != nil {
		fmt.Printf("mca: llvm-mca %s\n", v[1])
	}
	fmt.Printf("mcacpu: %s\n", *x86)
	tiers := []tier{
		{plan.NEON, "aarch64-linux-gnu-objdump", arm64Cores},
		{plan.AVX512, "objdump", []core{{*x86, 0}}},
		{plan.AVX2, "objdump", []core{{*x86, 0}}},
	}
	preds, err := predict(*specFile, *pkg, *mca, tiers)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcapredict:", err)
		os.Exit(1)
	}
	for _, p := range preds {
		p.product = *label + p.product
		fmt.Println(p)
	}
}

// tier is an instruction-set tier to predict, the objdump that reads its
// binaries and the cores to predict it on.
type tier struct {
	isa     plan.ISA
	objdump string
	cores   []core
}

// prediction is llvm-mca's view of one product's inner loop on one core.
type prediction struct {
	product, tier, cpu string
	cycles             float64 // per iteration of the loop
	fmas               int     // per iteration
	bound              float64 // fraction of the model's FMA rate
	peak               float64 // fraction of the core's FMA rate (0: not known)
}

// String is the prediction as a line in go test's benchmark format.
func (p prediction) String() string {
	s := fmt.Sprintf("BenchmarkPredict/%s/%s/%s 1 %.2f cycles/iter %d FMAs/iter %.1f %%bound", p.product, p.tier, p.cpu, p.cycles, p.fmas, 100*p.bound)
	if p.peak > 0 {
		s += fmt.Sprintf(" %.1f %%peak", 100*p.peak)
	}
	return s
}

// predict builds the test binaries of the package in directory pkg,
// generated from specFile, and predicts each product kernel's inner loop
// on every core of tiers.
func predict(specFile, pkg, mca string, tiers []tier) ([]prediction, error) {
	m, err := spec.Load(specFile)
	if err != nil {
		return nil, err
	}
	p, err := plan.New(m, specFile, "")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mcapredict")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var preds []prediction
	for _, t := range tiers {
		bin := filepath.Join(dir, t.isa.Arch+".test")
		if _, err := os.Stat(bin); err != nil {
			cmd := exec.Command("go", "test", "-c", "-o", bin, ".")
			cmd.Dir = pkg
			cmd.Env = append(os.Environ(), "GOARCH="+t.isa.Arch)
			if out, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("building %s's tests for %s: %v\n%s", pkg, t.isa.Arch, err, out)
			}
		}
		out, err := exec.Command(t.objdump, "-d", "--no-show-raw-insn", bin).Output()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", t.objdump, err)
		}
		funcs := functions(string(out))
		for _, c := range t.cores {
			bound, err := fmaBound(mca, t.isa, c.name)
			if err != nil {
				return nil, err
			}
			for i := range p.Kernels {
				k := &p.Kernels[i]
				// The serving kernels run the batch's tiles over fewer rows,
				// and -spec spec/testdata/fashion1.yaml predicts the
				// one-row tile: the batch's products stand for them. The
				// fused SGD twins run their dW twins' depth loops.
				if k.Gemm == nil || k.Half || k.Op == plan.PartialForward || k.Rows > 0 || k.FusedSGD {
					continue
				}
				name := k.Impl(t.isa).Asm
				body, ok := funcs[name]
				if !ok {
					return nil, fmt.Errorf("%s is not in %s's %s test binary", name, pkg, t.isa.Arch)
				}
				loop := hottestLoop(body, t.isa.Arch)
				if loop == nil {
					return nil, fmt.Errorf("%s has no loop of FMAs", name)
				}
				cycles, err := cyclesPerIteration(mca, t.isa.Arch, c.name, loop.text)
				if err != nil {
					return nil, fmt.Errorf("%s on %s: %w", name, c.name, err)
				}
				pr := prediction{product: strings.TrimPrefix(k.Public, p.Prefix), tier: strings.ToLower(t.isa.Name), cpu: c.name,
					cycles: cycles, fmas: loop.fmas, bound: float64(loop.fmas) * bound / cycles}
				if c.pipes > 0 {
					pr.peak = float64(loop.fmas) / float64(c.pipes) / cycles
				}
				preds = append(preds, pr)
			}
		}
	}
	return preds, nil
}

// nearestX86 is llvm-mca's model nearest this machine's x86 core, from
// /proc/cpuinfo: Zen 4 or Zen 5 for AMD's families 25 and 26, Sapphire
// Rapids for an Intel core with AMX, else Ice Lake server.
func nearestX86() string {
	info, _ := os.ReadFile("/proc/cpuinfo")
	s := string(info)
	switch {
	case strings.Contains(s, "AuthenticAMD") && regexp.MustCompile(`cpu family\s*:\s*26\b`).MatchString(s):
		return "znver5"
	case strings.Contains(s, "AuthenticAMD"):
		return "znver4"
	case strings.Contains(s, " amx_tile"):
		return "sapphirerapids"
	}
	return "icelake-server"
}

// instruction is one line of a disassembly.
type instruction struct {
	addr     uint64
	mnemonic string
	operands string
}

// symbol matches a function's header in GNU objdump's output.
var symbol = regexp.MustCompile(`^[0-9a-f]+ <(.*)>:$`)

// functions splits a disassembly into the instructions of each Go
// assembly function, by its name (the part after the package path,
// without ".abi0").
func functions(dis string) map[string][]instruction {
	out := map[string][]instruction{}
	var cur string
	for _, l := range strings.Split(dis, "\n") {
		if m := symbol.FindStringSubmatch(l); m != nil {
			name := m[1]
			if i := strings.LastIndex(name, "."); i >= 0 && strings.HasSuffix(name, ".abi0") {
				name = strings.TrimSuffix(name, ".abi0")
				name = name[strings.LastIndex(name, ".")+1:]
			}
			cur = name
			continue
		}
		// "addr:\tmnemonic\toperands" for arm64, "addr:\tmnemonic operands" for x86.
		at, text, ok := strings.Cut(strings.TrimSpace(l), ":\t")
		if cur == "" || !ok {
			continue
		}
		addr, err := strconv.ParseUint(at, 16, 64)
		if err != nil {
			continue
		}
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		in := instruction{addr: addr, mnemonic: f[0]}
		if _, ops, ok := strings.Cut(text, f[0]); ok {
			in.operands = strings.TrimSpace(ops)
		}
		out[cur] = append(out[cur], in)
	}
	return out
}

// loop is a loop body as llvm-mca reads it, and its FMAs.
type loop struct {
	text string
	fmas int
}

// isFMA reports whether mnemonic is a vector FMA of arch.
func isFMA(arch, mnemonic string) bool {
	if arch == "arm64" {
		return mnemonic == "fmla"
	}
	return strings.HasPrefix(mnemonic, "vfmadd") || strings.HasPrefix(mnemonic, "vfnmadd")
}

// branchTarget returns the address a conditional branch of arch jumps to.
func branchTarget(arch string, in instruction) (uint64, bool) {
	cond := strings.HasPrefix(in.mnemonic, "b.") || in.mnemonic == "cbnz" || in.mnemonic == "cbz"
	if arch != "arm64" {
		cond = strings.HasPrefix(in.mnemonic, "j") && in.mnemonic != "jmp"
	}
	if !cond {
		return 0, false
	}
	ops := strings.Fields(strings.ReplaceAll(in.operands, ",", " "))
	for _, op := range ops {
		if t, err := strconv.ParseUint(op, 16, 64); err == nil {
			return t, true
		}
	}
	return 0, false
}

// hottestLoop returns the innermost loop of body (a backward branch with
// no other inside it) with the most FMAs, its branch aimed at a label.
func hottestLoop(body []instruction, arch string) *loop {
	var best *loop
	for end, in := range body {
		target, ok := branchTarget(arch, in)
		if !ok || target >= in.addr {
			continue
		}
		start := -1
		for i := range body[:end] {
			if body[i].addr == target {
				start = i
			}
		}
		if start < 0 {
			continue
		}
		inner, fmas := true, 0
		var text strings.Builder
		text.WriteString("loop:\n")
		for _, b := range body[start:end] {
			if t, ok := branchTarget(arch, b); ok && t < b.addr {
				inner = false
			}
			if isFMA(arch, b.mnemonic) {
				fmas++
			}
			fmt.Fprintf(&text, "\t%s %s\n", b.mnemonic, b.operands)
		}
		fmt.Fprintf(&text, "\t%s loop\n", in.mnemonic)
		if inner && fmas > 0 && (best == nil || fmas > best.fmas) {
			best = &loop{text: text.String(), fmas: fmas}
		}
	}
	return best
}

// cyclesPerIteration runs llvm-mca on a loop body for cpu.
func cyclesPerIteration(mca, arch, cpu, body string) (float64, error) {
	triple := map[string]string{"arm64": "aarch64", "amd64": "x86_64"}[arch]
	const iterations = 200
	cmd := exec.Command(mca, "-mtriple="+triple, "-mcpu="+cpu, fmt.Sprintf("-iterations=%d", iterations))
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", mca, err, out)
	}
	m := regexp.MustCompile(`Total Cycles:\s+(\d+)`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no cycle count from %s:\n%s", mca, out)
	}
	total, _ := strconv.ParseFloat(string(m[1]), 64)
	return total / iterations, nil
}

// fmaBound returns the model's cycles per FMA of tier isa's width on cpu,
// from a loop of 96 FMAs into 24 independent accumulators (12 for the 16
// YMM registers of AVX2): enough to cover any latency modeled, and enough
// FMAs that the loop's own two instructions weigh nothing.
func fmaBound(mca string, isa plan.ISA, cpu string) (float64, error) {
	var b strings.Builder
	b.WriteString("loop:\n")
	accs := 24
	if isa == plan.AVX2 {
		accs = 12
	}
	const fmas = 96
	for i := range fmas {
		switch isa {
		case plan.NEON:
			fmt.Fprintf(&b, "\tfmla v%d.4s, v30.4s, v31.s[%d]\n", i%accs, i%4)
		case plan.AVX2:
			fmt.Fprintf(&b, "\tvfmadd231ps %%ymm14, %%ymm15, %%ymm%d\n", i%accs)
		default:
			fmt.Fprintf(&b, "\tvfmadd231ps %%zmm30, %%zmm31, %%zmm%d\n", i%accs)
		}
	}
	if isa == plan.NEON {
		b.WriteString("\tsubs x0, x0, #1\n\tb.ne loop\n")
	} else {
		b.WriteString("\tdecq %rax\n\tjne loop\n")
	}
	cycles, err := cyclesPerIteration(mca, isa.Arch, cpu, b.String())
	if err != nil {
		return 0, err
	}
	return cycles / fmas, nil
}
