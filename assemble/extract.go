package assemble

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ybuild/ybuild/imageio"
)

// extractor unpacks one archive into entries below dst.
type extractor struct {
	c        *collector
	s        source
	src, dst string
	symlinks map[string]bool  // archive names that are symlinks
	files    map[string]entry // archive names of regular files, for hardlinks
	size     int64            // bytes of file content so far (limit: s.maxSize)
}

// extract adds the contents of the archive src (tar, optionally gzip, zstd
// or xz compressed, detected by magic bytes) below dst. Permission bits and
// link types come from the archive (an absolute `mode` overrides regular
// files' bits), the owner from the spec, mtimes from the archive only with
// `mtime: preserve`. Entries that would land outside dst are refused.
func (c *collector) extract(s source, src, dst string) error {
	p, err := c.resolve(src)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	r, err := decompress(f)
	if err != nil {
		return fmt.Errorf("extract %s: %w", src, badArchive(err))
	}
	defer r.Close()
	if dst != "" {
		c.add(entry{name: dst, kind: tar.TypeDir, meta: s.a.dir(fi.ModTime()), origin: s.origin + " " + src, prio: prioCopyDst})
	}
	x := &extractor{c: c, s: s, src: src, dst: dst, symlinks: map[string]bool{}, files: map[string]entry{}}
	return x.run(tar.NewReader(r))
}

// badArchive marks a decompression or tar error as ErrBadArchive, unless it
// already names a sentinel (bzip2 is ErrUnsupported) or is a cancellation.
func badArchive(err error) error {
	if errors.Is(err, ErrUnsupported) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrBadArchive, err)
}

// run reads every archive entry, counting them against s.maxEntries.
func (x *extractor) run(tr *tar.Reader) error {
	for n := int64(0); ; n++ {
		if err := x.c.ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return fmt.Errorf("extract %s: empty archive: %w", x.src, ErrUnsupported)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("extract %s: %w", x.src, badArchive(err))
		}
		if n >= x.s.maxEntries {
			return fmt.Errorf("extract %s: more than %d entries (raise limits.maxEntries to allow more): %w", x.src, x.s.maxEntries, ErrLimit)
		}
		if err := x.entry(h, tr); err != nil {
			return fmt.Errorf("extract %s: entry %s: %w", x.src, quoteShort(h.Name), err)
		}
	}
}

// entry adds one archive entry.
func (x *extractor) entry(h *tar.Header, r io.Reader) error {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	n, err := x.name(h.Name)
	if err != nil || n == "" {
		return err
	}
	e := entry{name: join(x.dst, n), kind: h.Typeflag, meta: x.s.a.archived(h),
		origin: fmt.Sprintf("%s %s:%s", x.s.origin, x.src, h.Name), prio: prioExplicit}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		return x.file(e, n, h, r)
	case tar.TypeLink:
		return x.hardlink(e, h.Linkname)
	case tar.TypeSymlink:
		x.symlinks[n] = true
		e.linkname = h.Linkname
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if !x.s.allowDevices {
			return fmt.Errorf("%s: %w (allowDevices: true copies them)", deviceKind(h.Typeflag), ErrUnsupported)
		}
		e.devmajor, e.devminor = h.Devmajor, h.Devminor
	case tar.TypeDir:
	default:
		return fmt.Errorf("typeflag %q: %w", h.Typeflag, ErrUnsupported)
	}
	x.c.add(e)
	return nil
}

// deviceKind names a device or FIFO typeflag.
func deviceKind(t byte) string {
	switch t {
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	}
	return "FIFO"
}

// name normalises an archive name, refusing absolute names, "..", names
// beyond the path limits (see normalise) and names below a symlink made
// earlier by the same archive. Its cost is linear in the name's length
// while the archive has no symlinks, bounded by the limits otherwise.
func (x *extractor) name(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("absolute name: %w", ErrEscape)
	}
	if name == ".." || strings.HasPrefix(name, "../") || strings.HasSuffix(name, "/..") || strings.Contains(name, "/../") {
		return "", fmt.Errorf("\"..\" in name: %w", ErrEscape)
	}
	n, err := normalise(name)
	if err != nil || len(x.symlinks) == 0 {
		return n, err
	}
	for i := 0; i < len(n); i++ {
		if n[i] == '/' && x.symlinks[n[:i]] {
			return "", fmt.Errorf("goes through symlink %q: %w", n[:i], ErrEscape)
		}
	}
	return n, nil
}

// file spools a regular file's content and adds it, counting its size
// against s.maxSize before anything is written.
func (x *extractor) file(e entry, n string, h *tar.Header, r io.Reader) error {
	if h.Size > x.s.maxSize-x.size {
		return fmt.Errorf("more than %s of file content (raise limits.maxSize to allow more): %w", formatSize(x.s.maxSize), ErrLimit)
	}
	x.size += h.Size
	path, err := x.c.spool.write(x.c.ctx, r, h.Size)
	if err != nil {
		return err
	}
	e.kind, e.src, e.size, e.linkKey = tar.TypeReg, path, h.Size, "spool:"+path
	x.files[n] = e
	x.c.add(e)
	return nil
}

// hardlink adds a hardlink to a regular file extracted earlier.
func (x *extractor) hardlink(e entry, target string) error {
	t, err := x.name(target)
	if err != nil {
		return fmt.Errorf("link target: %w", err)
	}
	f, ok := x.files[t]
	if !ok {
		return fmt.Errorf("link target %q is not an earlier file of the archive: %w", target, ErrEscape)
	}
	f.name, f.origin = e.name, e.origin
	x.c.add(f)
	return nil
}

// spool holds the regular files of extracted archives on disk until the
// layer is written: entries are written in sorted order, not archive
// order, and a compressed archive cannot be read out of order. Memory stays
// constant; disk use is the archives' uncompressed size.
type spool struct {
	parent string // directory to create the spool in (the blob directory)
	dir    string // created on first use
	n      int
}

// write copies size bytes of r into a new spool file and returns its path.
func (s *spool) write(ctx context.Context, r io.Reader, size int64) (string, error) {
	if s.dir == "" {
		d, err := os.MkdirTemp(s.parent, ".extract-")
		if err != nil {
			return "", fmt.Errorf("spool: %w", err)
		}
		s.dir = d
	}
	s.n++
	path := filepath.Join(s.dir, strconv.Itoa(s.n))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	_, err = io.CopyN(f, imageio.WithContext(ctx, archiveReader{r}), size)
	if errors.Is(err, io.EOF) { // CopyN's EOF: the archive ends inside this entry
		err = fmt.Errorf("%w: truncated: %w", ErrBadArchive, io.ErrUnexpectedEOF)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	return path, nil
}

// archiveReader marks the read errors of an archive entry (a truncated or
// corrupt archive, a bad checksum) as ErrBadArchive, so that they exit 2
// like other bad sources; errors writing the spool stay as they are.
type archiveReader struct{ r io.Reader }

// Read reads from the archive entry.
func (a archiveReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = badArchive(err)
	}
	return n, err
}

// remove deletes the spool.
func (s *spool) remove() {
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// formatSize formats n bytes with the largest binary unit that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		s     string
		shift uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.s)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// quoteShort quotes an archive name for an error, cut to 100 bytes.
func quoteShort(name string) string {
	if len(name) > 100 {
		return fmt.Sprintf("%q…", name[:100])
	}
	return fmt.Sprintf("%q", name)
}
