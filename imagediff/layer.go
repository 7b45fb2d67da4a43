package imagediff

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/klauspost/pgzip"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
)

// entry is what a comparison keeps of one tar entry: attributes and the
// content's digest, never the content.
type entry struct {
	typ      byte
	mode     int64
	uid, gid int
	mtime    string
	link     string
	size     int64
	content  digest.Digest
	xattrs   string
}

// readLayer reads a layer blob (gzip, zstd or plain tar, sniffed) and
// returns its entries by path. Later entries of the same path win, as on
// extraction.
func readLayer(ctx context.Context, open func(context.Context, ocispec.Descriptor) (io.ReadCloser, error), desc ocispec.Descriptor) (map[string]entry, error) {
	rc, err := open(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	r, err := decompress(rc)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	out, err := readEntries(ctx, r)
	if err == nil {
		// Read to the end, so that the blob's digest is verified: the rest
		// of the decompressed stream, then (once the decompressor, which
		// may read ahead concurrently, is closed) the rest of the blob.
		_, err = io.Copy(io.Discard, r)
	}
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		_, err = io.Copy(io.Discard, rc)
	}
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	return out, nil
}

// maxLayerMeta bounds what a comparison keeps of one layer: the bytes of
// its entries' names, link targets and extended attributes, plus
// entryOverhead per entry. A few kilobytes of gzip can hold thousands of
// megabyte-long names; a layer past the bound is refused, not compared.
// A variable so that tests can lower it.
var maxLayerMeta int64 = 256 << 20

// entryOverhead is what one entry costs beyond its strings, for maxLayerMeta.
const entryOverhead = 128

// ErrTooLarge marks a layer whose entries exceed maxLayerMeta.
var ErrTooLarge = errors.New("too many entries or too long names to compare")

// readEntries reads a tar stream's entries by path; later entries of the
// same path win.
func readEntries(ctx context.Context, r io.Reader) (map[string]entry, error) {
	out := map[string]entry{}
	tr := tar.NewReader(r)
	var kept int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		e, err := newEntry(h, tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		name := cleanName(h.Name)
		if kept += int64(len(name)+len(e.link)+len(e.xattrs)) + entryOverhead; kept > maxLayerMeta {
			return nil, fmt.Errorf("%w: over %d MiB of names, link targets and attributes", ErrTooLarge, maxLayerMeta>>20)
		}
		out[name] = e
	}
}

// newEntry records h, hashing the content of a regular file.
func newEntry(h *tar.Header, r io.Reader) (entry, error) {
	e := entry{typ: h.Typeflag, mode: h.Mode, uid: h.Uid, gid: h.Gid, link: h.Linkname, size: h.Size,
		mtime: h.ModTime.UTC().Format("2006-01-02T15:04:05.999999999Z")}
	if e.typ == tar.TypeRegA {
		e.typ = tar.TypeReg
	}
	if e.typ == tar.TypeReg {
		hash := sha256.New()
		if _, err := io.Copy(hash, r); err != nil {
			return e, err
		}
		e.content = digest.NewDigest(digest.SHA256, hash)
	}
	e.xattrs = xattrs(h.PAXRecords)
	return e, nil
}

// xattrs renders the SCHILY.xattr.* records, sorted.
func xattrs(pax map[string]string) string {
	var keys []string
	for k := range pax {
		if strings.HasPrefix(k, "SCHILY.xattr.") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q;", strings.TrimPrefix(k, "SCHILY.xattr."), pax[k])
	}
	return b.String()
}

// cleanName drops a leading ./ or / and a trailing /.
func cleanName(n string) string {
	n = path.Clean("/" + n)
	if n == "/" {
		return "/"
	}
	return n
}

// decompress sniffs gzip and zstd magic numbers (imageio.Sniff); a plain
// tar is read as is; xz and bzip2, which no layer media type allows, are
// refused.
func decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(imageio.MagicLen)
	switch c := imageio.Sniff(head); c {
	case imageio.Gzip:
		return pgzip.NewReader(br)
	case imageio.Zstd:
		return imageio.NewZstdReader(br, imageio.MaxZstdWindow)
	case imageio.None:
		return io.NopCloser(br), nil
	default:
		return nil, fmt.Errorf("%s-compressed layers are not image layers", c)
	}
}

// compareLayers returns the paths that differ between two layers' entries, sorted.
func compareLayers(a, b map[string]entry) []FileChange {
	paths := make([]string, 0, len(a)+len(b))
	for p := range a {
		paths = append(paths, p)
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []FileChange
	for _, p := range paths {
		ea, inA := a[p]
		eb, inB := b[p]
		switch {
		case !inA:
			out = append(out, FileChange{Path: p, Status: Added})
		case !inB:
			out = append(out, FileChange{Path: p, Status: Removed})
		default:
			if attrs := entryChanges(ea, eb); len(attrs) > 0 {
				out = append(out, FileChange{Path: p, Status: Changed, Attrs: attrs})
			}
		}
	}
	return out
}

// entryChanges lists the attributes that differ, most telling first.
func entryChanges(a, b entry) []AttrChange {
	var out []AttrChange
	add := func(attr, old, new string) {
		if old != new {
			out = append(out, AttrChange{Attr: attr, Old: old, New: new})
		}
	}
	add("type", typeName(a.typ), typeName(b.typ))
	add("content", string(a.content), string(b.content))
	add("size", fmt.Sprint(a.size), fmt.Sprint(b.size))
	add("mode", fmt.Sprintf("%04o", a.mode), fmt.Sprintf("%04o", b.mode))
	add("owner", fmt.Sprintf("%d:%d", a.uid, a.gid), fmt.Sprintf("%d:%d", b.uid, b.gid))
	add("mtime", a.mtime, b.mtime)
	add("link target", a.link, b.link)
	add("xattrs", a.xattrs, b.xattrs)
	return out
}

// typeName names a tar type flag.
func typeName(t byte) string {
	switch t {
	case tar.TypeReg:
		return "file"
	case tar.TypeDir:
		return "directory"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar:
		return "char device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "fifo"
	}
	return fmt.Sprintf("type %q", t)
}
