package arm64

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// reservedRegister matches the registers NEON kernels must never name: R18
// (the platform register on macOS and Windows), R27 (the assembler's
// temporary, which it may use itself for any offset that does not fit an
// instruction), R28 (g, the current goroutine), R29 (the frame pointer),
// R30 (the link register, also LR) and RSP.
var reservedRegister = regexp.MustCompile(`\b(R18|R27|R28|R29|R30|RSP|g|LR)\b`)

// Lint rejects NEON assembly that names a reserved register in code (not
// in comments) or ends a function with anything but RET.
func Lint(asm []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(asm))
	fn, line, prev := "", 0, ""
	check := func() error {
		if fn != "" && prev != "RET" {
			return fmt.Errorf("%s does not end with RET", fn)
		}
		return nil
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "TEXT ") {
			if err := check(); err != nil {
				return err
			}
			fn, prev = strings.Fields(text)[1], ""
			continue
		}
		if text == "" || strings.HasPrefix(text, "//") || strings.HasPrefix(text, "DATA ") || strings.HasPrefix(text, "GLOBL ") || strings.HasPrefix(text, "#include") {
			continue
		}
		code, _, _ := strings.Cut(text, "//")
		code = strings.TrimSpace(code)
		if r := reservedRegister.FindString(code); r != "" {
			return fmt.Errorf("assembly line %d (%s) names %s, which NEON kernels must not use: %s", line, fn, r, text)
		}
		prev = code
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return check()
}
