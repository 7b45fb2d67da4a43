package spec

import (
	"regexp"
	"strings"
)

// The names that only ForPlatform substitutes.
const (
	TargetOS       = "TARGETOS"
	TargetArch     = "TARGETARCH"
	TargetVariant  = "TARGETVARIANT"
	TargetPlatform = "TARGETPLATFORM"
)

// isTarget reports whether name is one of the TARGET* names.
func isTarget(name string) bool {
	switch name {
	case TargetOS, TargetArch, TargetVariant, TargetPlatform:
		return true
	}
	return false
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// MaxExpanded bounds the bytes of a spec's strings after ${NAME}
// substitution, all strings together (per pass: Load, then each
// ForPlatform): 16 MiB. Without it a 1 MiB argument referred to a few
// thousand times in a 4 MiB spec asked for gigabytes.
const MaxExpanded = 4 * MaxSpecSize

// expansion is how one string is expanded.
type expansion struct {
	vars        map[string]string // values of the names to substitute
	lenient     bool              // config.env values: unknown ${NAME} stays
	deferTarget bool              // leave ${TARGET*} for ForPlatform
	limit       int               // the most bytes the result may hold
}

// expandResult is the outcome of expanding one string.
type expandResult struct {
	out      string
	deferred bool     // the output still holds ${TARGET*} and $${ escapes
	problems []string // unknown or malformed references
	refs     []string // the names whose values were substituted
	tooLong  bool     // the result would exceed the limit (out is cut short)
}

// expand substitutes ${NAME} in s. $${ is a literal ${. When the string
// refers to a TARGET* name and deferTarget is set, the result keeps those
// references and all escapes (values inserted are escaped), so that a
// later pass with only TARGET* names finishes the job.
func (x expansion) expand(s string) expandResult {
	if !strings.Contains(s, "$") {
		return expandResult{out: s}
	}
	r := expandResult{deferred: x.deferTarget && x.refersToTarget(s)}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j
		i += x.token(s[i:], &b, &r)
		if b.Len() > x.limit {
			r.tooLong = true
			break
		}
	}
	r.out = b.String()
	return r
}

// token expands the reference (or plain $) at the start of s into b and
// returns how many bytes it used.
func (x expansion) token(s string, b *strings.Builder, r *expandResult) int {
	if strings.HasPrefix(s, "$${") {
		if r.deferred {
			b.WriteString("$${")
		} else {
			b.WriteString("${")
		}
		return 3
	}
	if !strings.HasPrefix(s, "${") {
		b.WriteByte('$')
		return 1
	}
	end := strings.IndexByte(s, '}')
	if end < 0 {
		x.problem(r, "unterminated ${ (write $${ for a literal ${)")
		b.WriteString(s)
		return len(s)
	}
	ref, name := s[:end+1], s[2:end]
	switch v, ok := x.vars[name]; {
	case !nameRE.MatchString(name):
		x.problem(r, "invalid reference "+ref+" (write $${ for a literal ${)")
		b.WriteString(ref)
	case ok && b.Len()+len(v) > x.limit:
		r.tooLong = true
		return len(s) // the caller stops
	case ok && r.deferred:
		b.WriteString(strings.ReplaceAll(v, "${", "$${"))
		r.refs = append(r.refs, name)
	case ok:
		b.WriteString(v)
		r.refs = append(r.refs, name)
	case isTarget(name) && x.deferTarget:
		b.WriteString(ref)
	default:
		x.problem(r, "unknown name "+ref)
		b.WriteString(ref)
	}
	return end + 1
}

// problem records a problem unless the string is lenient.
func (x expansion) problem(r *expandResult, msg string) {
	if !x.lenient {
		r.problems = append(r.problems, msg)
	}
}

// refersToTarget reports whether s has an unescaped ${TARGET*} reference.
func (x expansion) refersToTarget(s string) bool {
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			i += 2
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return false
			}
			if isTarget(s[i+2 : i+end]) {
				return true
			}
			i += end
		}
	}
	return false
}
