package spec

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	yaml4 "go.yaml.in/yaml/v4"
)

// checkText reports the first byte that cannot be in a YAML document, with
// its line and column: invalid UTF-8, or a control character (NUL and the
// other C0 controls but tab, LF and CR; DEL; C1 but NEL; U+FFFE, U+FFFF).
// yaml.v3 rejects these with no position at all. A document starting with
// a UTF-16 byte order mark is left to the YAML reader.
func checkText(data []byte) (Pos, string, bool) {
	if len(data) >= 2 && (data[0] == 0xfe && data[1] == 0xff || data[0] == 0xff && data[1] == 0xfe) {
		return Pos{}, "", true
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			return Pos{Line: line, Column: col}, fmt.Sprintf("invalid UTF-8 (byte 0x%02x): a spec is UTF-8 text", data[i]), false
		case !yamlChar(r):
			return Pos{Line: line, Column: col}, fmt.Sprintf("control character %U is not allowed in YAML", r), false
		case r == '\n':
			line, col = line+1, 1
		default:
			col++
		}
		i += n
	}
	return Pos{}, "", true
}

// yamlChar reports whether r may appear in a YAML stream (YAML 1.2 c-printable).
func yamlChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// syntaxPosition finds where the YAML syntax error in data is. yaml.v3,
// which decodes specs, gives only a line, one too early for parser errors,
// and no column; the YAML library's v4 carries both, so the document is
// parsed again with it, only to place the error. For an unclosed flow
// collection ([ or {) the place is where it opens.
func syntaxPosition(data []byte) (Pos, string, bool) {
	var n yaml4.Node
	err := yaml4.Unmarshal(data, &n)
	var le *yaml4.LoadError
	if !errors.As(err, &le) || le.Mark.Line == 0 {
		return Pos{}, "", false
	}
	pos := Pos{Line: le.Mark.Line, Column: le.Mark.Column}
	msg := le.Message
	ctx := le.ContextMark
	switch {
	case strings.HasSuffix(le.ContextMsg, "flow sequence") && ctx.Line > 0:
		return Pos{Line: ctx.Line, Column: ctx.Column}, fmt.Sprintf("unclosed [: %s (at %d:%d)", msg, pos.Line, pos.Column), true
	case strings.HasSuffix(le.ContextMsg, "flow mapping") && ctx.Line > 0:
		return Pos{Line: ctx.Line, Column: ctx.Column}, fmt.Sprintf("unclosed {: %s (at %d:%d)", msg, pos.Line, pos.Column), true
	case le.ContextMsg != "" && ctx.Line > 0:
		msg = fmt.Sprintf("%s (%s at %d:%d)", msg, le.ContextMsg, ctx.Line, ctx.Column)
	}
	return pos, msg, true
}
