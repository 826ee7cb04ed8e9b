package amd64

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/vecgen/vecgen/gen/plan"
)

// upperRegister matches a vector register beyond the 16 AVX2 has: the
// assembler would encode it with EVEX (AVX-512), which faults on an
// AVX2-only CPU.
var upperRegister = regexp.MustCompile(`\b[XYZ](1[6-9]|2[0-9]|3[01])\b`)

var (
	zmmRegister  = regexp.MustCompile(`\bZ[0-9]+\b`)
	ymmRegister  = regexp.MustCompile(`\bY[0-9]+\b`)
	maskRegister = regexp.MustCompile(`\bK[1-7]\b`)
)

// Lint rejects assembly that would fail on an AVX2-only CPU or slow down
// the SSE code around it: any use of X/Y/Z16–31, Z or K registers, and any
// RET in a function that touched YMM registers without a VZEROUPPER just
// before it.
func Lint(asm []byte) error { return lint(asm, false) }

// LintTier applies the checks of tier isa to its assembly: Lint for AVX2;
// for AVX-512, whose registers are all allowed, the VZEROUPPER rule.
func LintTier(asm []byte, isa plan.ISA) error { return lint(asm, isa == plan.AVX512) }

func lint(asm []byte, wide bool) error {
	sc := bufio.NewScanner(bytes.NewReader(asm))
	fn, line, prev := "", 0, ""
	usesVector := false
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "TEXT ") {
			fn, usesVector, prev = strings.Fields(text)[1], false, ""
			continue
		}
		if text == "" || strings.HasPrefix(text, "//") {
			continue
		}
		code, _, _ := strings.Cut(text, "//")
		if !wide {
			if r := upperRegister.FindString(code); r != "" {
				return fmt.Errorf("assembly line %d (%s) uses %s, which AVX2-only CPUs lack: %s", line, fn, r, text)
			}
			if zmmRegister.MatchString(code) {
				return fmt.Errorf("assembly line %d (%s) uses a ZMM register: %s", line, fn, text)
			}
			if maskRegister.MatchString(code) {
				return fmt.Errorf("assembly line %d (%s) uses an opmask register: %s", line, fn, text)
			}
		}
		if ymmRegister.MatchString(code) || zmmRegister.MatchString(code) {
			usesVector = true
		}
		if code == "RET" && usesVector && prev != "VZEROUPPER" {
			return fmt.Errorf("assembly line %d: %s returns from YMM or ZMM code without VZEROUPPER", line, fn)
		}
		prev = strings.TrimSpace(code)
	}
	return sc.Err()
}
