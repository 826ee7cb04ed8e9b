package onnx

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/vecgen/vecgen/spec"
)

// few names the first 4 of n things, and counts the others: a message
// about a value that a million nodes read names four.
func few(n int, name func(i int) string) string {
	const most = 4
	parts := make([]string, 0, most+1)
	for i := range min(n, most) {
		parts = append(parts, name(i))
	}
	if n > most {
		parts = append(parts, fmt.Sprintf("and %d more", n-most))
	}
	return strings.Join(parts, ", ")
}

// commentSafe keeps text on one YAML comment line.
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			return ' '
		}
		return r
	}, s)
}

// specFileName is the spec file of a model: its name in lower case.
func specFileName(name string) string { return strings.ToLower(name) + ".yaml" }

// SpecFile and WeightsFile are the names Import's outputs take for a
// model name.
func SpecFile(name string) string    { return specFileName(name) }
func WeightsFile(name string) string { return strings.ToLower(name) + ".safetensors" }

// Int8WeightsFile is the file of the model's weights quantized to int8
// (vecgen import -int8): mlp.int8.safetensors for a model named MLP.
func Int8WeightsFile(name string) string { return strings.ToLower(name) + ".int8.safetensors" }

// NameFromFile derives a model name from an ONNX file's name:
// "mnist_mlp-v2.onnx" gives "MnistMlpV2"; one that starts with a digit
// gets a leading "M".
func NameFromFile(path string) string {
	base := path[strings.LastIndexAny(path, `/\`)+1:]
	base = strings.TrimSuffix(base, ".onnx")
	var b strings.Builder
	up := true
	for _, r := range base {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if up {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	name := b.String()
	if name == "" || !unicode.IsUpper(rune(name[0])) {
		name = "M" + name
	}
	if len(name) > spec.MaxName {
		name = name[:spec.MaxName]
	}
	return name
}
