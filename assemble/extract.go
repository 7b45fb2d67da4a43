package assemble

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/ybuild/ybuild/imageio"
)

// extractor unpacks one archive into entries below dst.
type extractor struct {
	c        *collector
	s        source
	src, dst string
	symlinks map[string]bool  // archive names that are symlinks
	files    map[string]entry // archive names of regular files, for hardlinks
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
		c.add(entry{name: dst, kind: tar.TypeDir, mode: s.a.dirMode, uid: s.a.uid, gid: s.a.gid,
			mtime: s.a.mtimeFor(fi.ModTime()), origin: s.origin + " " + src, prio: prioCopyDst})
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

// run reads every archive entry.
func (x *extractor) run(tr *tar.Reader) error {
	for n := 0; ; n++ {
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
		if err := x.entry(h, tr); err != nil {
			return fmt.Errorf("extract %s: entry %q: %w", x.src, h.Name, err)
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
	a := x.s.a
	e := entry{name: join(x.dst, n), mode: uint32(h.Mode) & 0o7777, uid: a.uid, gid: a.gid,
		mtime: a.mtimeFor(h.ModTime), origin: fmt.Sprintf("%s %s:%s", x.s.origin, x.src, h.Name),
		kind: h.Typeflag, prio: prioExplicit}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		return x.file(e, n, h, r)
	case tar.TypeLink:
		return x.hardlink(e, h.Linkname)
	case tar.TypeSymlink:
		x.symlinks[n] = true
		e.mode, e.linkname = 0o777, h.Linkname
	case tar.TypeChar, tar.TypeBlock:
		e.devmajor, e.devminor = h.Devmajor, h.Devminor
	case tar.TypeDir, tar.TypeFifo:
	default:
		return fmt.Errorf("typeflag %q: %w", h.Typeflag, ErrUnsupported)
	}
	x.c.add(e)
	return nil
}

// name normalises an archive name, refusing absolute names, ".." and names
// below a symlink made earlier by the same archive.
func (x *extractor) name(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("absolute name: %w", ErrEscape)
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", fmt.Errorf("\"..\" in name: %w", ErrEscape)
		}
	}
	n, err := normalise(name)
	if err != nil {
		return "", err
	}
	for p := parent(n); p != ""; p = parent(p) {
		if x.symlinks[p] {
			return "", fmt.Errorf("goes through symlink %q: %w", p, ErrEscape)
		}
	}
	return n, nil
}

// file spools a regular file's content and adds it.
func (x *extractor) file(e entry, n string, h *tar.Header, r io.Reader) error {
	if x.s.a.hasMode {
		e.mode = x.s.a.mode
	}
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

// decompress returns a reader of the tar stream in r, detecting the
// compression by magic bytes.
func decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(imageio.MagicLen)
	switch imageio.Sniff(head) {
	case imageio.Gzip:
		return gzip.NewReader(br)
	case imageio.Zstd:
		d, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	case imageio.Xz:
		xr, err := xz.NewReader(br)
		return io.NopCloser(xr), err
	case imageio.Bzip2:
		return nil, fmt.Errorf("bzip2: %w", ErrUnsupported)
	}
	return io.NopCloser(br), nil
}
