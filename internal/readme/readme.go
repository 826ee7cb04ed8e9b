// Package readme finds the README's code blocks for the tests that run
// them, so that what a newcomer copies is what the tests ran.
package readme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Block returns the first fenced block of language lang (```lang) after
// the first line containing marker in the README at root (a path such as
// "../.."), failing t when there is none.
func Block(t testing.TB, root, marker, lang string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, marker)
	if i < 0 {
		t.Fatalf("README has no %q", marker)
	}
	rest := text[i:]
	open := "```" + lang + "\n"
	j := strings.Index(rest, open)
	if j < 0 {
		t.Fatalf("README has no %s block after %q", lang, marker)
	}
	body := rest[j+len(open):]
	k := strings.Index(body, "```")
	if k < 0 {
		t.Fatalf("README's %s block after %q does not end", lang, marker)
	}
	return body[:k]
}
