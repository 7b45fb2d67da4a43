package location

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
)

// ErrInvalid matches every error of Parse (errors.Is).
var ErrInvalid = errors.New("invalid image location")

// invalid is an error of Parse: its message alone, without the words of
// ErrInvalid, so that callers put it after their own context.
type invalid struct{ msg string }

// Error returns the message.
func (e *invalid) Error() string { return e.msg }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *invalid) Is(target error) bool { return target == ErrInvalid }

// fail returns an invalid-location error.
func fail(format string, a ...any) error {
	return &invalid{msg: fmt.Sprintf(format, a...)}
}

// Use says what a location is parsed for: a base and an output accept
// different kinds.
type Use int

const (
	// Base is where an image is read from: every kind, and a bare
	// registry reference.
	Base Use = iota
	// Output is where an image is written: every kind but scratch; a
	// registry needs docker://.
	Output
)

// Location is a parsed image location.
type Location struct {
	// Kind is the kind of location.
	Kind Kind
	// Path is the file or directory of a local kind, as written (see Abs).
	Path string
	// Ref is what follows the path of a local kind (a ref name, NAME:TAG,
	// a digest or @N), or the image reference of a registry.
	Ref string
}

// Parse parses s as a location for use. Errors wrap ErrInvalid and read
// the same wherever a location is parsed.
func Parse(s string, use Use) (Location, error) {
	for _, k := range kinds {
		if syntax(k, use) == "" {
			continue
		}
		if k.kind == Scratch {
			if s == k.prefix {
				return Location{Kind: Scratch}, nil
			}
			continue
		}
		if rest, ok := strings.CutPrefix(s, k.prefix); ok {
			return parseKind(k, rest, s, use)
		}
	}
	if use == Base {
		if err := checkReference(s, use); err == nil {
			return Location{Kind: Registry, Ref: s}, nil
		}
		_, err := reference.ParseNormalizedNamed(s)
		return Location{}, fail("must be %s or an image reference, got %q: %v", list(use), s, err)
	}
	return Location{}, fail("must be %s, got %q", list(use), s)
}

// parseKind parses what follows k's prefix in s.
func parseKind(k kind, rest, s string, use Use) (Location, error) {
	l := Location{Kind: k.kind, Ref: rest}
	if k.local {
		l.Path, l.Ref, _ = strings.Cut(rest, ":")
		if l.Path == "" {
			return Location{}, fail("%s needs a path, got %q", k.prefix, s)
		}
	}
	if err := k.checkRef(l.Ref, use); err != nil {
		if !k.local {
			return Location{}, fail("%v", err) // the error quotes the whole reference
		}
		return Location{}, fail("%s: %v", s, err)
	}
	return l, nil
}

// syntax is how k is written for use, "" when it cannot be used there.
func syntax(k kind, use Use) string {
	if use == Output {
		return k.output
	}
	return k.base
}

// list names every kind use accepts: "scratch, oci:DIR[:REF], … or docker://REF".
func list(use Use) string {
	var s []string
	for _, k := range kinds {
		if x := syntax(k, use); x != "" {
			s = append(s, x)
		}
	}
	if use == Base {
		return strings.Join(s, ", ") // "or an image reference" follows
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Syntax names every kind of location use accepts, for help texts.
func Syntax(use Use) string {
	if use == Base {
		return list(use) + " or an image reference"
	}
	return list(use)
}

// Local reports whether l names a file or directory on this machine.
func (l Location) Local() bool {
	k, ok := lookup(l.Kind)
	return ok && k.local
}

// Abs returns l with a relative Path made absolute against dir and cleaned.
func (l Location) Abs(dir string) Location {
	if !l.Local() {
		return l
	}
	if !filepath.IsAbs(l.Path) {
		l.Path = filepath.Join(dir, l.Path)
	}
	l.Path = filepath.Clean(l.Path)
	return l
}

// String writes l back in its written form: oci:DIR[:REF], docker://REF, scratch.
func (l Location) String() string {
	k, ok := lookup(l.Kind)
	switch {
	case !ok:
		return ""
	case l.Kind == Scratch:
		return k.prefix
	case k.local && l.Ref != "":
		return k.prefix + l.Path + ":" + l.Ref
	case k.local:
		return k.prefix + l.Path
	}
	return k.prefix + l.Ref
}
