package arm64

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// gnuTools returns the paths of GNU as and objcopy for aarch64, or skips
// the test (fails it under VECGEN_REQUIRE_ARM64_TOOLS, as make test sets).
func gnuTools(t *testing.T) (as, objcopy string) {
	t.Helper()
	as, errAs := exec.LookPath("aarch64-linux-gnu-as")
	objcopy, errCopy := exec.LookPath("aarch64-linux-gnu-objcopy")
	if errAs != nil || errCopy != nil {
		if os.Getenv("VECGEN_REQUIRE_ARM64_TOOLS") != "" {
			t.Fatal("aarch64-linux-gnu-as or -objcopy not found (make deps installs binutils-aarch64-linux-gnu)")
		}
		t.Skip("aarch64-linux-gnu-as not found: the check needs binutils-aarch64-linux-gnu")
	}
	return as, objcopy
}

// assemble assembles the GNU-syntax instructions with GNU as and returns
// their words in order.
func assemble(t *testing.T, lines []string) []uint32 {
	t.Helper()
	as, objcopy := gnuTools(t)
	dir := t.TempDir()
	src, obj, bin := filepath.Join(dir, "x.s"), filepath.Join(dir, "x.o"), filepath.Join(dir, "x.bin")
	// SDOT is ARMv8.2's dot product extension, which GNU as takes only when asked.
	if err := os.WriteFile(src, []byte(".arch armv8.2-a+dotprod\n.text\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{as, "-o", obj, src}, {objcopy, "-O", "binary", "-j", ".text", obj, bin}} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", filepath.Base(cmd[0]), err, out)
		}
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4*len(lines) {
		t.Fatalf("GNU as made %d bytes of %d instructions", len(raw), len(lines))
	}
	words := make([]uint32, len(lines))
	for i := range words {
		words[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	return words
}

// registerSets are the register numbers each operand takes in the
// exhaustive check: every bit of the 5-bit fields alone, none, and all.
var registerSets = []vreg{0, 1, 2, 4, 8, 16, 31}

// TestEncodingsMatchGNUAs encodes every form of the table with every
// register bit in every operand, every lane and every shift, and requires
// GNU as to make the same words from the same instructions.
func TestEncodingsMatchGNUAs(t *testing.T) {
	var lines []string
	var words []uint32
	add := func(f form, d, n, m vreg, imm int) {
		w, text := encode(f, d, n, m, imm)
		lines, words = append(lines, text), append(words, w)
	}
	for _, name := range sortedNames(forms) {
		f := forms[name]
		for _, r := range registerSets {
			imms := []int{0}
			switch f.shape {
			case byElement, dotByElement:
				imms = []int{0, 1, 2, 3}
			case shiftRight:
				imms = []int{1, 2, 16, 23, 31, 32}
			}
			for _, imm := range imms {
				add(f, r, 31-r, r^21, imm) // each field different from the others
				add(f, 3, r, 17, imm)
				add(f, 30, 5, r, imm)
			}
		}
	}
	got := assemble(t, lines)
	for i := range lines {
		if got[i] != words[i] {
			t.Errorf("%s: the table encodes %#08x, GNU as %#08x", lines[i], words[i], got[i])
		}
	}
	t.Logf("%d encodings of %d forms agree with GNU as", len(lines), len(forms))
}

// wordLine matches a WORD directive the writer emits, with its GNU syntax.
var wordLine = regexp.MustCompile(`WORD \$0x([0-9a-f]{8}) // (.+)$`)

// TestGeneratedWordsMatchGNUAs assembles the comment of every WORD
// directive in the committed NEON assembly (the kernels of spec/*.yaml,
// package vec's loops and the math kernels) and requires its word.
func TestGeneratedWordsMatchGNUAs(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../../kernels/*_arm64.s", "../../internal/vec/*_arm64.s", "../../internal/mathkernels/*_arm64.s"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 3 {
		t.Fatalf("found only %d NEON assembly files", len(files))
	}
	seen := map[string]uint32{}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			m := wordLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			w, err := strconv.ParseUint(m[1], 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			if prev, ok := seen[m[2]]; ok && prev != uint32(w) {
				t.Fatalf("%s is %#08x in one place and %#08x in another", m[2], prev, w)
			}
			seen[m[2]] = uint32(w)
		}
	}
	texts := sortedNames(seen)
	got := assemble(t, texts)
	for i, text := range texts {
		if got[i] != seen[text] {
			t.Errorf("%s: the assembly has %#08x, GNU as makes %#08x", text, seen[text], got[i])
		}
	}
	t.Log(fmt.Sprintf("%d distinct WORD instructions in %d files agree with GNU as", len(texts), len(files)))
}
