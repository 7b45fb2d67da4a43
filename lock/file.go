package lock

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/ybuild/ybuild/internal/blobfile"
	"go.yaml.in/yaml/v3"
)

// maxSize bounds the size of a lockfile read into memory.
const maxSize = 1 << 20

// fileLock is the YAML shape of a lockfile.
type fileLock struct {
	LockVersion  int       `yaml:"lockVersion"`
	Spec         string    `yaml:"spec"`
	Base         string    `yaml:"base"`
	Digest       string    `yaml:"digest"`
	AllPlatforms bool      `yaml:"allPlatforms"`
	Platforms    yaml.Node `yaml:"platforms"`
}

// Marshal returns the lockfile's bytes: a comment header, then the fields in
// a fixed order, platforms sorted. The same lock always gives the same bytes.
func (l *Lock) Marshal() []byte {
	c := *l
	c.Platforms = append([]Platform(nil), l.Platforms...)
	c.Sort()
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s: the base image of %s, pinned by `ybuild lock`.\n", Path(c.Spec), c.Spec)
	b.WriteString("# Check it in. A build pulls the base by these digests and never asks the\n")
	b.WriteString("# registry what the tag points to; `ybuild lock --update` moves the pin to the\n")
	b.WriteString("# tag's current digest. Written by ybuild: do not edit.\n")
	fmt.Fprintf(&b, "lockVersion: %d\n", Version)
	fmt.Fprintf(&b, "spec: %s\n", quote(c.Spec))
	fmt.Fprintf(&b, "base: %s\n", quote(c.Base))
	fmt.Fprintf(&b, "digest: %s\n", c.Digest)
	fmt.Fprintf(&b, "allPlatforms: %t\n", c.AllPlatforms)
	b.WriteString("platforms:\n")
	for _, p := range c.Platforms {
		fmt.Fprintf(&b, "  %s: %s\n", p.Name, p.Digest)
	}
	return b.Bytes()
}

// quote renders s as a YAML double-quoted scalar.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Read reads and parses the lockfile at path. A missing file gives an error
// matching fs.ErrNotExist; a symbolic link to nothing, or anything but a
// regular file (a FIFO would block the open), is ErrInvalid.
func Read(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Lstat(path); lerr == nil {
			return nil, fmt.Errorf("%s: %w: a symbolic link to a missing file", path, ErrInvalid)
		}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: not a regular file", path, ErrInvalid)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", path, ErrInvalid, maxSize)
	}
	return Parse(data, path)
}

// Parse parses a lockfile; file names it in errors ("build.lock:7: …").
// Everything Marshal would not write is refused with ErrInvalid.
func Parse(data []byte, file string) (*Lock, error) {
	bad := func(line int, format string, a ...any) error {
		where := file
		if line > 0 {
			where = fmt.Sprintf("%s:%d", file, line)
		}
		return fmt.Errorf("%s: %w: %s; delete it and run `ybuild lock`", where, ErrInvalid, fmt.Sprintf(format, a...))
	}
	var fl fileLock
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fl); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, bad(0, "empty")
		}
		return nil, bad(0, "%s", oneLine(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, bad(extra.Line, "more than one YAML document")
	}
	if fl.LockVersion != Version {
		return nil, bad(0, "lockVersion %d, this ybuild reads %d", fl.LockVersion, Version)
	}
	l := &Lock{Spec: fl.Spec, Base: fl.Base, AllPlatforms: fl.AllPlatforms}
	switch {
	case l.Spec == "" || strings.ContainsAny(l.Spec, `/\`):
		return nil, bad(0, "spec must be a file name, got %q", l.Spec)
	case l.Base == "":
		return nil, bad(0, "no base")
	}
	var err error
	if l.Digest, err = parseDigest(fl.Digest); err != nil {
		return nil, bad(0, "digest: %v", err)
	}
	if l.Platforms, err = parsePlatforms(&fl.Platforms, bad); err != nil {
		return nil, err
	}
	return l, nil
}

// parsePlatforms reads the platforms mapping: sorted, unique, normalised
// names to manifest digests.
func parsePlatforms(n *yaml.Node, bad func(int, string, ...any) error) ([]Platform, error) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil, bad(n.Line, "platforms must map os/arch[/variant] to a manifest digest")
	}
	var out []Platform
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p, err := platforms.Parse(k.Value)
		if err != nil || platforms.Format(platforms.Normalize(p)) != k.Value {
			return nil, bad(k.Line, "platform %q is not a normalised os/arch[/variant]", k.Value)
		}
		if len(out) > 0 && out[len(out)-1].Name >= k.Value {
			return nil, bad(k.Line, "platform %s is out of order or repeated", k.Value)
		}
		d, err := parseDigest(v.Value)
		if v.Kind != yaml.ScalarNode || err != nil {
			return nil, bad(v.Line, "platform %s: %v", k.Value, err)
		}
		out = append(out, Platform{Name: k.Value, Digest: d})
	}
	return out, nil
}

// parseDigest accepts sha256:<64 hex>.
func parseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a digest", s)
	}
	if d.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("%q: only sha256 digests are pinned", s)
	}
	return d, nil
}

// Write writes l to path atomically: a temporary file beside it (locked
// while this process lives, see blobfile.WriteAtomic), synced, then
// renamed over it.
func Write(path string, l *Lock) error {
	data := l.Marshal()
	err := blobfile.WriteAtomic(path, 0o644, true, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("write lock %s: %w", path, err)
	}
	return nil
}

// oneLine flattens a yaml error ("unmarshal errors:\n  line 3: …") to one line.
func oneLine(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	return strings.Join(strings.Fields(msg), " ")
}
