package assemble

import (
	"strings"

	"github.com/ybuild/ybuild/spec"
)

// mergeEnv applies the spec's env to base (KEY=VALUE entries) like a
// Dockerfile ENV: an existing key is replaced in place, a new one appended,
// a nil value removes the key. Values expand $NAME and ${NAME} against the
// environment as built so far.
func mergeEnv(base []string, set spec.NullableMap) []string {
	env := append([]string{}, base...)
	for _, kv := range set {
		i := envIndex(env, kv.Key)
		switch {
		case kv.Value == nil && i >= 0:
			env = append(env[:i], env[i+1:]...)
		case kv.Value == nil:
		case i >= 0:
			env[i] = kv.Key + "=" + expandEnv(*kv.Value, env)
		default:
			env = append(env, kv.Key+"="+expandEnv(*kv.Value, env))
		}
	}
	return env
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

// expandEnv expands $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} in s
// against env, as a Dockerfile does: unknown names expand to "", \$ is a
// literal $, and a $ not followed by a name stays.
func expandEnv(s string, env []string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], `\$`):
			b.WriteByte('$')
			i += 2
		case s[i] == '$':
			i += expandRef(s[i:], env, &b)
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// expandRef expands the reference at the start of s (which starts with $)
// into b and returns how many bytes it used.
func expandRef(s string, env []string, b *strings.Builder) int {
	if strings.HasPrefix(s, "${") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			b.WriteString(s)
			return len(s)
		}
		b.WriteString(expandBraced(s[2:end], env))
		return end + 1
	}
	n := nameLen(s[1:])
	if n == 0 {
		b.WriteByte('$')
		return 1
	}
	v, _ := lookupEnv(env, s[1:1+n])
	b.WriteString(v)
	return 1 + n
}

// expandBraced expands the inside of ${…}: NAME, NAME:-word or NAME:+word.
func expandBraced(ref string, env []string) string {
	n := nameLen(ref)
	v, ok := lookupEnv(env, ref[:n])
	switch rest := ref[n:]; {
	case rest == "":
		return v
	case strings.HasPrefix(rest, ":-"):
		if !ok || v == "" {
			return expandEnv(rest[2:], env)
		}
		return v
	case strings.HasPrefix(rest, ":+"):
		if ok && v != "" {
			return expandEnv(rest[2:], env)
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
