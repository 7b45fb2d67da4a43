package spec

import (
	"errors"
	"fmt"
	"strings"
)

// Validate checks b without changing it and returns every problem found,
// joined and sorted by position; each matches ErrInvalid. It does not look
// at the file system (Load and ForPlatform check sources too). Values that
// still refer to TARGET* names are checked by ForPlatform.
func (b *Build) Validate() error {
	e := &errs{file: b.File}
	b.validate(e)
	return e.err()
}

// validator checks one Build, reporting into errs.
type validator struct {
	b *Build
	e *errs
}

// validate runs every check that needs no file system.
func (b *Build) validate(e *errs) {
	v := &validator{b: b, e: e}
	v.top()
	v.attrs("defaults", b.Defaults)
	for i := range b.Layers {
		v.layer(i)
	}
	v.config()
}

// skip reports whether path must not be checked now: it failed to decode,
// still holds ${TARGET*}, or was copied from a value checked where written.
func (v *validator) skip(path string) bool {
	return v.b.notes.has(path, flagBad|flagDeferred|flagInherited)
}

// fail reports a problem at path.
func (v *validator) fail(path, format string, args ...any) {
	pos, _ := v.b.Position(path)
	v.e.add(pos, v.b.shownPath(path), format, args...)
}

// check runs fn on a set value at path unless the path is skipped.
func (v *validator) check(path, value string, fn func(string) error) {
	if value == "" || v.skip(path) {
		return
	}
	if err := fn(value); err != nil {
		v.fail(path, "%s", err.Error())
	}
}

// required reports a missing value at path.
func (v *validator) required(path, value string) bool {
	if value == "" && !v.skip(path) {
		v.fail(path, "required")
		return false
	}
	return value != ""
}

// shownPath is path as the user wrote it: files[…] rather than
// layers[N].files[…] when top-level files: were folded into layer N.
func (b *Build) shownPath(path string) string {
	if b.meta != nil && b.meta.folded != "" && strings.HasPrefix(path, b.meta.folded+".files") {
		return strings.TrimPrefix(path, b.meta.folded+".")
	}
	return path
}

// top checks the top-level fields.
func (v *validator) top() {
	b := v.b
	if v.required("apiVersion", b.APIVersion) {
		v.check("apiVersion", b.APIVersion, func(s string) error {
			if s != APIVersion {
				return fmt.Errorf("must be %q, got %q", APIVersion, s)
			}
			return nil
		})
	}
	if v.required("base", b.Base) {
		v.check("base", b.Base, checkBase)
	}
	if _, written := b.notes.pos("name"); written || b.meta == nil {
		v.check("name", b.Name, checkName)
	}
	v.platforms()
	v.check("created", b.Created, func(s string) error { _, _, _, err := ParseCreated(s); return err })
	v.check("format", string(b.Format), checkFormat)
	v.check("compression", string(b.Compression), func(s string) error { return checkCompression(s, b.Format) })
	for i, t := range b.Tags {
		v.check(indexPath("tags", i), t, CheckTag)
	}
	for i, o := range b.Outputs {
		v.check(indexPath("outputs", i), o, checkOutput)
	}
	for k := range b.Annotations {
		v.key("annotations", k)
	}
}

// key checks a map key: non-empty.
func (v *validator) key(path, k string) {
	if k == "" && !v.skip(keyPath(path, k)) {
		v.fail(keyPath(path, k), "empty key")
	}
}

// platforms checks the platform list; "all" must stand alone.
func (v *validator) platforms() {
	seen := map[string]string{}
	for i, p := range v.b.Platforms {
		path := indexPath("platforms", i)
		if v.skip(path) {
			continue
		}
		if p == "all" {
			if len(v.b.Platforms) > 1 {
				v.fail(path, "\"all\" must be the only platform")
			}
			continue
		}
		norm, err := checkPlatform(p)
		if err != nil {
			v.fail(path, "%s", err.Error())
			continue
		}
		if first, dup := seen[norm]; dup {
			v.fail(path, "duplicate platform %q (same as %q)", p, first)
		}
		seen[norm] = p
	}
}

// attrs checks a set of written entry attributes at path.
func (v *validator) attrs(path string, a Attrs) {
	v.check(joinPath(path, "owner"), a.Owner, func(s string) error { _, _, err := ParseOwner(s); return err })
	v.check(joinPath(path, "fileMode"), a.FileMode, checkMode)
	v.check(joinPath(path, "dirMode"), a.DirMode, checkMode)
	v.check(joinPath(path, "mtime"), a.Mtime, func(s string) error { _, _, err := ParseMtime(s); return err })
}

// checkMode checks an octal mode string.
func checkMode(s string) error {
	_, err := ParseMode(s)
	return err
}

// checkFormat checks the manifest format.
func checkFormat(s string) error {
	switch Format(s) {
	case FormatOCI, FormatDocker:
		return nil
	}
	return fmt.Errorf("must be oci or docker, got %q", s)
}

// checkCompression checks the compression, which must suit the format.
func checkCompression(s string, f Format) error {
	switch Compression(s) {
	case CompressionGzip, CompressionNone:
		return nil
	case CompressionZstd:
		if f == FormatDocker {
			return fmt.Errorf("format docker allows gzip or none (docker schema2 has no zstd layers), got %q", s)
		}
		return nil
	}
	return errors.New("must be gzip, zstd or none, got " + fmt.Sprintf("%q", s))
}
