package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseOwner parses a numeric "uid:gid" owner. Both ids are required,
// decimal, non-negative and fit in 32 bits.
func ParseOwner(s string) (uid, gid int, err error) {
	u, g, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("must be numeric \"uid:gid\", got %q", s)
	}
	if uid, err = parseID(u); err != nil {
		return 0, 0, fmt.Errorf("uid of %q: %w", s, err)
	}
	if gid, err = parseID(g); err != nil {
		return 0, 0, fmt.Errorf("gid of %q: %w", s, err)
	}
	return uid, gid, nil
}

// parseID parses one decimal id in [0, 2³²-1].
func parseID(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("must be a non-negative number")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > math.MaxUint32 {
		return 0, errors.New("must fit in 32 bits")
	}
	return int(n), nil
}

// ParseMode parses an octal mode string ("0644", "644", "0o755", "4755")
// of at most 07777 into permission bits plus fs.ModeSetuid, fs.ModeSetgid
// and fs.ModeSticky. Specs always hold modes as text, so an unquoted
// mode: 0755 means octal 0755, not YAML 1.1's decimal 493.
func ParseMode(s string) (fs.FileMode, error) {
	digits := strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O")
	if digits == "" || strings.TrimLeft(digits, "01234567") != "" {
		return 0, fmt.Errorf("must be an octal mode like \"0644\", got %q", s)
	}
	n, err := strconv.ParseUint(digits, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("must be an octal mode of at most 07777, got %q", s)
	}
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m, nil
}

// MtimePolicy says where an entry's modification time comes from.
type MtimePolicy int

// The mtime policies.
const (
	// MtimeCreated uses the image's created time (mtime: created, the default).
	MtimeCreated MtimePolicy = iota
	// MtimePreserve keeps the source's mtime, in whole seconds, UTC.
	MtimePreserve
	// MtimeFixed uses the RFC 3339 time written in the spec.
	MtimeFixed
)

// The named mtime values.
const (
	MtimeCreatedName  = "created"
	MtimePreserveName = "preserve"
)

// ParseMtime parses an mtime attribute: "" or "created", "preserve", or an
// RFC 3339 time. The time is returned (UTC, whole seconds) only for
// MtimeFixed.
func ParseMtime(s string) (MtimePolicy, time.Time, error) {
	switch s {
	case "", MtimeCreatedName:
		return MtimeCreated, time.Time{}, nil
	case MtimePreserveName:
		return MtimePreserve, time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("must be created, preserve or an RFC 3339 time, got %q", s)
	}
	return MtimeFixed, t.UTC().Truncate(time.Second), nil
}

// CreatedNow is the created value that asks for the build's current time.
const CreatedNow = "now"

// ParseCreated parses the created field: "" (set is false: the caller's
// default applies, SOURCE_DATE_EPOCH or the Unix epoch), "now" (now is
// true: the caller's clock), or an RFC 3339 time, returned in UTC whole
// seconds.
func ParseCreated(s string) (t time.Time, now, set bool, err error) {
	switch s {
	case "":
		return time.Time{}, false, false, nil
	case CreatedNow:
		return time.Time{}, true, true, nil
	}
	t, err = time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false, false, fmt.Errorf("must be an RFC 3339 time or \"now\", got %q", s)
	}
	return t.UTC().Truncate(time.Second), false, true, nil
}

// CleanDst normalises an absolute path in the image: duplicate slashes and
// "." go, ".." is resolved, and a trailing "/" (meaning "into this
// directory") is kept. It fails for a relative path, a ".." that would
// leave the root, a NUL byte, or a name starting with ".wh." (reserved for
// whiteouts).
func CleanDst(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("must be an absolute path, got %q", p)
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("must not contain a NUL byte, got %q", p)
	}
	var parts []string
	for _, c := range strings.Split(p, "/") {
		switch {
		case c == "" || c == ".":
		case c == "..":
			if len(parts) == 0 {
				return "", fmt.Errorf("must not leave the root with \"..\", got %q", p)
			}
			parts = parts[:len(parts)-1]
		case strings.HasPrefix(c, ".wh."):
			return "", fmt.Errorf("must not use the whiteout prefix .wh., got %q", p)
		default:
			parts = append(parts, c)
		}
	}
	clean := "/" + strings.Join(parts, "/")
	if len(parts) > 0 && (strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")) {
		clean += "/"
	}
	return clean, nil
}
