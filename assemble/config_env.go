package assemble

import (
	"fmt"
	"strings"

	"github.com/ybuild/ybuild/internal/inputerr"
	"github.com/ybuild/ybuild/spec"
)

// MaxEnvExpanded bounds the bytes the spec's config.env values expand to,
// all values together (4 MiB, the size of the largest spec). Each value
// may refer to the ones before it, so without a bound a spec of a few
// lines (A1: "$A0$A0…", A2: "$A1$A1…", …) grew exponentially until the
// process ran out of memory.
const MaxEnvExpanded = spec.MaxSpecSize

// ErrEnvTooLong is a config.env whose values expand to more than
// MaxEnvExpanded bytes in all: an input error (exit 2).
var ErrEnvTooLong = inputerr.New("the values expand to too many bytes")

// mergeEnv applies the spec's env to base (KEY=VALUE entries) like a
// Dockerfile ENV: an existing key is replaced in place, a new one appended,
// a nil value removes the key. Values expand $NAME and ${NAME} against the
// environment as built so far, within MaxEnvExpanded bytes in all.
func mergeEnv(base []string, set spec.NullableMap) ([]string, error) {
	x := &envExpander{env: append([]string{}, base...), left: MaxEnvExpanded}
	for _, kv := range set {
		i := envIndex(x.env, kv.Key)
		if kv.Value == nil {
			if i >= 0 {
				x.env = append(x.env[:i], x.env[i+1:]...)
			}
			continue
		}
		v := x.expand(*kv.Value)
		if x.left < 0 {
			return nil, &envError{key: kv.Key}
		}
		x.left -= len(v)
		if i >= 0 {
			x.env[i] = kv.Key + "=" + v
		} else {
			x.env = append(x.env, kv.Key+"="+v)
		}
	}
	return x.env, nil
}

// envError is ErrEnvTooLong at the value of key.
type envError struct{ key string }

// Error says how much is allowed.
func (e *envError) Error() string {
	return fmt.Sprintf("%s (more than %d in all)", ErrEnvTooLong, MaxEnvExpanded)
}

// Unwrap returns ErrEnvTooLong.
func (e *envError) Unwrap() error { return ErrEnvTooLong }

// place puts e at its entry of b's config.env (else at config.env).
func (e *envError) place(b *spec.Build) error {
	path := "config.env." + e.key
	if _, ok := b.Position(path); !ok {
		path = "config.env"
	}
	return b.FieldError(path, e)
}

// envExpander expands config.env values against env, writing at most left
// bytes; left < 0 says an expansion went beyond it (its result is cut short).
type envExpander struct {
	env  []string
	left int
}

// envIndex returns the index of key's entry in env, or -1.
func envIndex(env []string, key string) int {
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			return i
		}
	}
	return -1
}

// lookupEnv returns key's value in env and whether it is set.
func lookupEnv(env []string, key string) (string, bool) {
	if i := envIndex(env, key); i >= 0 {
		_, v, _ := strings.Cut(env[i], "=")
		return v, true
	}
	return "", false
}

// expand expands $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} in s
// against x.env, as a Dockerfile does: unknown names expand to "", \$ is a
// literal $, and a $ not followed by a name stays. It stops once the
// result holds more than x.left bytes, and sets x.left to -1.
func (x *envExpander) expand(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && x.left >= 0; {
		switch {
		case strings.HasPrefix(s[i:], `\$`):
			b.WriteByte('$')
			i += 2
		case s[i] == '$':
			i += x.ref(s[i:], &b)
		default:
			b.WriteByte(s[i])
			i++
		}
		if b.Len() > x.left {
			x.left = -1
		}
	}
	return b.String()
}

// ref expands the reference at the start of s (which starts with $)
// into b and returns how many bytes it used.
func (x *envExpander) ref(s string, b *strings.Builder) int {
	if strings.HasPrefix(s, "${") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			b.WriteString(s)
			return len(s)
		}
		b.WriteString(x.braced(s[2:end]))
		return end + 1
	}
	n := nameLen(s[1:])
	if n == 0 {
		b.WriteByte('$')
		return 1
	}
	v, _ := lookupEnv(x.env, s[1:1+n])
	b.WriteString(v)
	return 1 + n
}

// braced expands the inside of ${…}: NAME, NAME:-word or NAME:+word.
func (x *envExpander) braced(ref string) string {
	n := nameLen(ref)
	v, ok := lookupEnv(x.env, ref[:n])
	switch rest := ref[n:]; {
	case rest == "":
		return v
	case strings.HasPrefix(rest, ":-"):
		if !ok || v == "" {
			return x.expand(rest[2:])
		}
		return v
	case strings.HasPrefix(rest, ":+"):
		if ok && v != "" {
			return x.expand(rest[2:])
		}
		return ""
	}
	return "${" + ref + "}"
}

// nameLen returns the length of the variable name at the start of s.
func nameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return i
		}
	}
	return len(s)
}
