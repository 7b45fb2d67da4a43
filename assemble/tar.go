package assemble

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ybuild/ybuild/imageio"
)

// whiteoutPrefix marks a deleted path; opaqueMarker makes a directory opaque.
const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// Path limits of an entry name (a destination, a path in a copied tree or
// an archive name): Linux's PATH_MAX, and a depth no real tree reaches.
// They keep the work per name bounded.
const (
	maxNameLen = 4096
	maxDepth   = 256
)

// header builds the tar header of e. It is the only place in ybuild that
// makes a layer header, so every entry gets the same treatment: PAX format,
// numeric owner from the spec, empty Uname/Gname, whole-second UTC mtime,
// no atime/ctime, an explicit typeflag. Nothing comes from the host: the
// mode was computed from the spec, never from the umask or the checkout.
func header(e *entry) *tar.Header {
	h := &tar.Header{
		Typeflag: e.kind,
		Name:     e.name,
		Mode:     int64(e.mode & 0o7777),
		Uid:      e.uid,
		Gid:      e.gid,
		ModTime:  e.mtime.UTC().Truncate(time.Second),
		Format:   tar.FormatPAX,
	}
	switch e.kind {
	case tar.TypeDir:
		h.Name += "/"
	case tar.TypeReg:
		h.Size = e.size
	case tar.TypeSymlink, tar.TypeLink:
		h.Linkname = e.linkname
	case tar.TypeChar, tar.TypeBlock:
		h.Devmajor, h.Devminor = e.devmajor, e.devminor
	}
	return h
}

// normalise turns a destination or archive name into a layer entry name:
// relative, cleaned, without a leading "/" or "./" and without a trailing
// "/" (header adds one to directories). The root becomes "". It rejects
// ".." anywhere (never resolved lexically), NUL bytes and components that
// start with ".wh.", which only whiteouts may use.
func normalise(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("normalise %q: NUL byte: %w", p, ErrInvalidPath)
	}
	if len(p) > maxNameLen {
		return "", fmt.Errorf("name of %d bytes (%.40q…): longer than %d bytes: %w: %w", len(p), p, maxNameLen, ErrInvalidPath, ErrLimit)
	}
	parts := strings.Split(p, "/")
	out := parts[:0]
	for _, c := range parts {
		switch {
		case c == "" || c == ".":
			continue
		case c == "..":
			return "", fmt.Errorf("normalise %q: \"..\" not allowed: %w", p, ErrInvalidPath)
		case strings.HasPrefix(c, whiteoutPrefix):
			return "", fmt.Errorf("normalise %q: names starting %q are reserved for whiteouts: %w", p, whiteoutPrefix, ErrInvalidPath)
		}
		out = append(out, c)
	}
	if len(out) > maxDepth {
		return "", fmt.Errorf("name %.40q…: %d components, more than %d: %w: %w", p, len(out), maxDepth, ErrInvalidPath, ErrLimit)
	}
	return strings.Join(out, "/"), nil
}

// join joins an entry name (possibly "" for the root) and a relative name.
func join(dir, name string) string {
	switch {
	case dir == "":
		return name
	case name == "":
		return dir
	}
	return dir + "/" + name
}

// parent returns the name of the directory holding name ("" for the root).
func parent(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}

// base returns the last component of name.
func base(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}

// writeEntries writes the headers and contents of the sorted entries,
// checking ctx between entries and while copying.
func writeEntries(ctx context.Context, tw *tar.Writer, es []entry, add func(int64)) error {
	return writeRecorded(ctx, tw, es, add, nil)
}

// writeRecorded is writeEntries that, with rec set, also hashes every
// regular file's content on its way into the tar (layer_files.go).
func writeRecorded(ctx context.Context, tw *tar.Writer, es []entry, add func(int64), rec *fileRecorder) error {
	buf := make([]byte, 256<<10)
	for i := range es {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := &es[i]
		if err := tw.WriteHeader(header(e)); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		var w io.Writer = tw
		recorded := rec != nil && records(e)
		if recorded {
			rec.start()
			w = io.MultiWriter(tw, rec)
		}
		if e.kind == tar.TypeReg && e.size > 0 {
			if err := writeContent(ctx, w, e, buf, add); err != nil {
				return fmt.Errorf("%s (%s): %w", e.name, e.origin, err)
			}
		}
		if recorded {
			rec.finish(e)
		}
	}
	return nil
}

// writeContent copies a regular file's content, which must still have the
// size the walk saw.
func writeContent(ctx context.Context, w io.Writer, e *entry, buf []byte, add func(int64)) error {
	if e.content != nil {
		n, err := io.WriteString(w, *e.content)
		add(int64(n))
		return err
	}
	f, err := openContent(e)
	if err != nil {
		return err
	}
	defer f.Close()
	r := reportReader{r: imageio.WithContext(ctx, f), add: add}
	n, err := io.CopyBuffer(w, io.LimitReader(r, e.size), buf)
	if err != nil {
		return err
	}
	if n < e.size {
		return fmt.Errorf("shrank from %d to %d bytes: %w", e.size, n, ErrSourceChanged)
	}
	if m, _ := f.Read(buf[:1]); m > 0 {
		return fmt.Errorf("grew beyond %d bytes: %w", e.size, ErrSourceChanged)
	}
	return nil
}

// openContent opens a regular file's source: a walked file through the
// spec directory's handle, checked (walk.go); a spooled file directly.
func openContent(e *entry) (*os.File, error) {
	if e.from != nil {
		return e.from.open()
	}
	return os.Open(e.src)
}

// reportReader reports the bytes read through it to add.
type reportReader struct {
	r   io.Reader
	add func(int64)
}

// Read reads and reports.
func (c reportReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.add(int64(n))
	}
	return n, err
}

// progress starts progress reporting for the layer's content bytes and
// returns the funcs to report copied bytes and, with the blob's size, the
// end of the layer; without env.Progress both do nothing.
func progress(env layerEnv, label string, es []entry) (add func(int64), done func(size int64)) {
	if env.Progress == nil {
		return func(int64) {}, func(int64) {}
	}
	var total int64
	for i := range es {
		if es[i].kind == tar.TypeReg {
			total += es[i].size
		}
	}
	return env.Progress(label, total)
}
