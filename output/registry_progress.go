package output

import (
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
)

// blobProgress reports one blob's upload: bytes the first time they go
// out (a restarted or rewound upload does not count them again), and done
// only once the registry holds the blob. A nil *blobProgress reports
// nothing.
type blobProgress struct {
	add  func(int64)
	done func(size int64)
	size int64
	high int64 // bytes reported so far
}

// startProgress starts reporting desc's upload; nil without a progress
// callback, and for manifests and indexes.
func (p *push) startProgress(desc ocispec.Descriptor) *blobProgress {
	if p.progress == nil || imageio.IsManifest(desc.MediaType) || imageio.IsIndex(desc.MediaType) {
		return nil
	}
	add, done := p.progress("push "+short(desc), desc.Size)
	return &blobProgress{add: add, done: done, size: desc.Size}
}

// reader wraps r to report the bytes read, keeping it seekable when r is.
func (b *blobProgress) reader(r io.Reader) io.Reader {
	if b == nil {
		return r
	}
	pr := &progressReader{r: r, b: b}
	if s, ok := r.(io.ReadSeeker); ok {
		return &progressSeeker{progressReader: pr, s: s}
	}
	return pr
}

// finish reports that the registry holds the blob.
func (b *blobProgress) finish() {
	if b != nil {
		b.done(b.size)
	}
}

// short returns the first 12 hex digits of the blob's digest.
func short(desc ocispec.Descriptor) string {
	e := desc.Digest.Encoded()
	if len(e) > 12 {
		e = e[:12]
	}
	return e
}

// progressReader reports the bytes read beyond what was reported before.
type progressReader struct {
	r   io.Reader
	b   *blobProgress
	pos int64
}

// Read reads and reports.
func (p *progressReader) Read(buf []byte) (int, error) {
	n, err := p.r.Read(buf)
	p.pos += int64(n)
	if p.pos > p.b.high {
		p.b.add(p.pos - p.b.high)
		p.b.high = p.pos
	}
	return n, err
}

// progressSeeker is a progressReader over a ReadSeeker (content.Copy seeks
// back to restart an upload after an authentication round trip).
type progressSeeker struct {
	*progressReader
	s io.ReadSeeker
}

// Seek seeks the underlying reader.
func (p *progressSeeker) Seek(off int64, whence int) (int64, error) {
	n, err := p.s.Seek(off, whence)
	if err == nil {
		p.pos = n
	}
	return n, err
}
