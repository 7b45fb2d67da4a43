package output

import (
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
)

// counted wraps r to report upload progress, keeping it seekable when r is.
func (p *push) counted(r io.Reader, desc ocispec.Descriptor) io.Reader {
	if p.progress == nil || imageio.IsManifest(desc.MediaType) || imageio.IsIndex(desc.MediaType) {
		return r
	}
	add, done := p.progress("push "+short(desc), desc.Size)
	pr := &progressReader{r: r, add: add, done: func() { done(desc.Size) }, total: desc.Size}
	if s, ok := r.(io.ReadSeeker); ok {
		return &progressSeeker{progressReader: pr, s: s}
	}
	return pr
}

// short returns the first 12 hex digits of the blob's digest.
func short(desc ocispec.Descriptor) string {
	e := desc.Digest.Encoded()
	if len(e) > 12 {
		e = e[:12]
	}
	return e
}

// progressReader reports bytes read and calls done at EOF.
type progressReader struct {
	r        io.Reader
	add      func(int64)
	done     func()
	total, n int64
	finished bool
}

// Read reads and reports.
func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.n += int64(n)
		p.add(int64(n))
	}
	if err == io.EOF && !p.finished {
		p.finished = true
		p.done()
	}
	return n, err
}

// progressSeeker is a progressReader over a ReadSeeker. A seek back (after
// an auth retry) reports the re-read bytes again; progress is approximate.
type progressSeeker struct {
	*progressReader
	s io.ReadSeeker
}

// Seek seeks the underlying reader.
func (p *progressSeeker) Seek(off int64, whence int) (int64, error) {
	return p.s.Seek(off, whence)
}
