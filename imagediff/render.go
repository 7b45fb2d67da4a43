package imagediff

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// First describes the first difference in one line: the platform, then the
// first differing layer and file with what differs, else the first config
// field, else the first annotation. It is "" when the images are the same.
func (r *Report) First() string {
	if r.Same {
		return ""
	}
	for _, p := range r.Platforms {
		plat := printable(p.Platform) // from the image: untrusted
		switch p.Status {
		case Same:
			continue
		case Removed:
			return fmt.Sprintf("platform %s: only in %s", plat, r.A)
		case Added:
			return fmt.Sprintf("platform %s: only in %s", plat, r.B)
		}
		if s := p.firstLayer(r); s != "" {
			return fmt.Sprintf("platform %s: %s", plat, s)
		}
		for _, c := range p.Config {
			if c.Field == "rootfs.diff_ids" || strings.HasPrefix(c.Field, "rootfs.diff_ids[") {
				continue // follows from the layers
			}
			return fmt.Sprintf("platform %s: config field %s: %s", plat, c.Field, oldNew(c))
		}
		for _, c := range p.Annotations {
			return fmt.Sprintf("platform %s: manifest annotation %s: %s", plat, printable(c.Field), oldNew(c))
		}
		if len(p.Config) > 0 {
			return fmt.Sprintf("platform %s: config field %s: %s", plat, p.Config[0].Field, oldNew(p.Config[0]))
		}
		return fmt.Sprintf("platform %s: manifest %s vs %s (media types or layer descriptors)", plat, p.DigestA, p.DigestB)
	}
	return fmt.Sprintf("index %s vs %s: the platform manifests are the same; the index differs (annotations or media type)", r.DigestA, r.DigestB)
}

// firstLayer describes the first layer difference, or "".
func (p *PlatformDiff) firstLayer(r *Report) string {
	for i, l := range p.Layers {
		switch l.Status {
		case Same:
			continue
		case Added:
			return fmt.Sprintf("layer %d (%s): only in %s", i+1, l.B.Digest, r.B)
		case Removed:
			return fmt.Sprintf("layer %d (%s): only in %s", i+1, l.A.Digest, r.A)
		}
		if len(l.Files) == 0 {
			return fmt.Sprintf("layer %d: %s vs %s: same files, different bytes (tar order, headers or compression)", i+1, l.A.Digest, l.B.Digest)
		}
		f := l.Files[0]
		return fmt.Sprintf("layer %d (%s vs %s): %s", i+1, l.A.Digest, l.B.Digest, f.describe(r))
	}
	return ""
}

// describe renders a file change: "/app/x: mode 0644 → 0755, content …".
func (f FileChange) describe(r *Report) string {
	path := printable(f.Path)
	switch f.Status {
	case Added:
		return fmt.Sprintf("%s: only in %s", path, r.B)
	case Removed:
		return fmt.Sprintf("%s: only in %s", path, r.A)
	}
	parts := make([]string, 0, len(f.Attrs))
	for _, a := range f.Attrs {
		parts = append(parts, fmt.Sprintf("%s %s → %s", a.Attr, show(a.Old), show(a.New)))
	}
	return path + ": " + strings.Join(parts, ", ")
}

// printable quotes a path (from an image: untrusted) that holds control
// or non-UTF-8 characters, so it cannot drive the terminal.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	return s
}

// show quotes empty values and unprintable ones.
func show(s string) string {
	if s == "" {
		return `""`
	}
	return printable(s)
}

// oldNew renders a field change.
func oldNew(c FieldChange) string {
	o, n := string(c.Old), string(c.New)
	if o == "" {
		o = "(absent)"
	}
	if n == "" {
		n = "(absent)"
	}
	return printable(o) + " → " + printable(n)
}

// WriteText writes the report for people: per platform, the config and
// annotation changes, then the layers (= same, ~ changed, - only in A,
// + only in B) with sizes, and the files of each changed layer.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("A: %s %s\nB: %s %s\n", r.A, r.DigestA, r.B, r.DigestB)
	if r.Same {
		ew.printf("identical\n")
		return ew.err
	}
	for _, p := range r.Platforms {
		p.Platform = printable(p.Platform) // from the image: untrusted
		switch p.Status {
		case Same:
			ew.printf("\n%s: same (%s)\n", p.Platform, p.DigestA)
			continue
		case Removed:
			ew.printf("\n%s: only in A (%s)\n", p.Platform, p.DigestA)
			continue
		case Added:
			ew.printf("\n%s: only in B (%s)\n", p.Platform, p.DigestB)
			continue
		}
		ew.printf("\n%s: %s → %s\n", p.Platform, p.DigestA, p.DigestB)
		writeFields(ew, "config", p.Config)
		writeFields(ew, "annotations", p.Annotations)
		writeLayers(ew, p.Layers)
	}
	return ew.err
}

// writeFields writes a titled list of field changes.
func writeFields(ew *errWriter, title string, cs []FieldChange) {
	if len(cs) == 0 {
		return
	}
	ew.printf("  %s:\n", title)
	for _, c := range cs {
		ew.printf("    %s: %s\n", printable(c.Field), oldNew(c))
	}
}

// writeLayers writes the aligned layers and their file changes.
func writeLayers(ew *errWriter, ls []LayerDiff) {
	ew.printf("  layers:\n")
	for _, l := range ls {
		switch l.Status {
		case Same:
			ew.printf("    = %s\n", layerDesc(l.A))
		case Removed:
			ew.printf("    - %s\n", layerDesc(l.A))
		case Added:
			ew.printf("    + %s\n", layerDesc(l.B))
		case Changed:
			ew.printf("    ~ %s → %s\n", layerDesc(l.A), layerDesc(l.B))
			for _, f := range l.Files {
				mark := map[Status]string{Added: "+", Removed: "-", Changed: "~"}[f.Status]
				line := printable(f.Path)
				if f.Status == Changed {
					line = f.describe(nil)
				}
				ew.printf("        %s %s\n", mark, line)
			}
		}
	}
}

// layerDesc is "sha256:… (12.3 KiB)".
func layerDesc(d *ocispec.Descriptor) string {
	return fmt.Sprintf("%s (%s)", d.Digest, HumanBytes(d.Size))
}

// HumanBytes renders a size: 512 B, 12.3 KiB, 4.0 MiB.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

// printf writes unless a write already failed.
func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}
