package depfile

import (
	"fmt"
	"io"
	"strings"

	"github.com/ybuild/ybuild/internal/inputerr"
)

// ErrPath marks a file name that make cannot read back from a rule: one
// holding a newline, a carriage return, a tab, ';' or '=', or ending in a
// backslash, or a relative name make reads as something else (a special
// target such as .IGNORE, a ~user home directory; see RelativeOK). It is
// an input error (exit 2): rename the file.
var ErrPath = inputerr.New("a file name make cannot express")

// Write writes a Makefile rule "target: prereqs…" (one prerequisite per
// continuation line), then an empty rule for each prerequisite, so that
// make does not fail when an input is deleted (like gcc -MP). A name make
// cannot express fails with ErrPath and nothing is written.
func Write(w io.Writer, target string, prereqs []string) error {
	var b strings.Builder
	t, err := escape(target, true)
	if err != nil {
		return err
	}
	b.WriteString(t + ":")
	rules := make([]string, 0, len(prereqs))
	for _, p := range prereqs {
		pre, err := escape(p, false)
		if err != nil {
			return err
		}
		rule, _ := escape(p, true)
		b.WriteString(" \\\n  " + pre)
		rules = append(rules, rule)
	}
	b.WriteString("\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "\n%s:\n", r)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// directives are the words make reads as a directive, an order-only
// separator or a target-specific variable where a bare file name stands.
var directives = map[string]bool{
	"define": true, "undefine": true, "export": true, "unexport": true, "override": true, "private": true,
	"include": true, "-include": true, "sinclude": true, "vpath": true, "load": true, "-load": true,
	"ifeq": true, "ifneq": true, "ifdef": true, "ifndef": true, "else": true, "endif": true, "endef": true, "|": true,
}

// RelativeOK reports whether make reads name, a relative file name, back
// as that file. It does not for a name starting with ~ (make expands
// ~user, even after a leading ./, which make drops) or one that is a
// special target: an empty rule ".IGNORE:" would make make ignore every
// recipe's errors, ".SECONDEXPANSION:" expand prerequisites twice. Write
// such a name as an absolute path.
func RelativeOK(name string) bool {
	return !strings.HasPrefix(name, "~") && !special(name)
}

// special reports whether name has the form of GNU make's special targets
// (.PHONY, .IGNORE, .POSIX, .ONESHELL, .WAIT, …): a dot and capital
// letters or underscores.
func special(name string) bool {
	if len(name) < 2 || name[0] != '.' {
		return false
	}
	for _, c := range name[1:] {
		if (c < 'A' || c > 'Z') && c != '_' {
			return false
		}
	}
	return true
}

// escape quotes a path for GNU make: $ as $$; a space, #, :, and the
// wildcard characters *, ? and [ (and %, where it names a target, which
// would otherwise make a pattern rule) after a backslash, doubling the
// backslashes just before them; other backslashes and % in a prerequisite
// as they are. A name that make would read as a directive gets a leading
// ./ (make drops it). What make cannot express at all (see RelativeOK) is
// ErrPath.
func escape(p string, asTarget bool) (string, error) {
	if strings.ContainsAny(p, "\n\r\t;=") || strings.HasSuffix(p, `\`) {
		return "", fmt.Errorf("%w: %q: make cannot read a newline, carriage return, tab, ';', '=' or a trailing backslash in a file name",
			ErrPath, p)
	}
	if !RelativeOK(p) {
		return "", fmt.Errorf("%w: %q: make reads this name as a special target or a home directory; write it as an absolute path",
			ErrPath, p)
	}
	if directives[p] {
		p = "./" + p
	}
	var b strings.Builder
	slashes := 0 // backslashes just before p[i]
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case strings.IndexByte(" #:*?[", c) >= 0 || c == '%' && asTarget:
			b.WriteString(strings.Repeat(`\`, slashes+1))
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
		if c == '\\' {
			slashes++
		} else {
			slashes = 0
		}
	}
	return b.String(), nil
}
