package depfile

import (
	"fmt"
	"io"
	"strings"
)

// Write writes a Makefile rule "target: prereqs…" (one prerequisite per
// continuation line), then an empty rule for each prerequisite, so that
// make does not fail when an input is deleted (like gcc -MP).
func Write(w io.Writer, target string, prereqs []string) error {
	var b strings.Builder
	b.WriteString(Escape(target))
	b.WriteString(":")
	for _, p := range prereqs {
		b.WriteString(" \\\n  ")
		b.WriteString(Escape(p))
	}
	b.WriteString("\n")
	for _, p := range prereqs {
		fmt.Fprintf(&b, "\n%s:\n", Escape(p))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Escape quotes a path for a make rule: $ as $$, and a backslash before
// spaces, tabs, #, : and backslashes that precede them.
func Escape(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '$':
			b.WriteString("$$")
		case ' ', '\t', '#', ':', '%', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
