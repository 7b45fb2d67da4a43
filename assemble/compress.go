package assemble

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/ulikunitz/xz"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/spec"
)

// Compression settings. Each one is part of the layer digest: changing any
// of them (or the klauspost module version) changes every gzip or zstd
// layer ybuild writes. The number of pgzip blocks in flight and the zstd
// concurrency do not change the output (tested), only speed and memory.
const (
	gzipLevel       = 6       // pigz's default; level -1 would differ from 6 in pgzip
	gzipBlockSize   = 1 << 20 // pgzip output depends on it
	gzipBlocks      = 4       // blocks in flight: memory ≈ 2 × blocks × blockSize
	gzipOS          = 255     // "unknown", as stdlib writes
	zstdLevel       = zstd.SpeedDefault
	zstdConcurrency = 2 // streaming output is identical at any concurrency
)

// layerMediaType returns the layer media type for a format and compression.
// Docker schema2 has no zstd layer type.
func layerMediaType(f spec.Format, c spec.Compression) (string, error) {
	switch {
	case f == spec.FormatOCI && c == spec.CompressionGzip:
		return ocispec.MediaTypeImageLayerGzip, nil
	case f == spec.FormatOCI && c == spec.CompressionZstd:
		return ocispec.MediaTypeImageLayerZstd, nil
	case f == spec.FormatOCI && c == spec.CompressionNone:
		return ocispec.MediaTypeImageLayer, nil
	case f == spec.FormatDocker && c == spec.CompressionGzip:
		return imageio.MediaTypeDockerLayerGzip, nil
	case f == spec.FormatDocker && c == spec.CompressionNone:
		return imageio.MediaTypeDockerLayer, nil
	}
	return "", fmt.Errorf("format %q with compression %q: %w", f, c, ErrUnsupported)
}

// newCompressor returns a writer compressing into w.
func newCompressor(w io.Writer, c spec.Compression) (io.WriteCloser, error) {
	switch c {
	case spec.CompressionGzip:
		return newGzip(w, gzipBlocks)
	case spec.CompressionZstd:
		return newZstd(w, zstdConcurrency)
	case spec.CompressionNone:
		return nopWriteCloser{w}, nil
	}
	return nil, fmt.Errorf("compression %q: %w", c, ErrUnsupported)
}

// newGzip returns a parallel gzip writer with fixed settings and a fixed
// header (no name, mtime 0, OS unknown); blocks only bounds parallelism.
func newGzip(w io.Writer, blocks int) (io.WriteCloser, error) {
	z, err := pgzip.NewWriterLevel(w, gzipLevel)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := z.SetConcurrency(gzipBlockSize, blocks); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	z.Header = pgzip.Header{ModTime: time.Unix(0, 0), OS: gzipOS}
	return z, nil
}

// newZstd returns a streaming zstd encoder at a fixed level.
func newZstd(w io.Writer, concurrency int) (io.WriteCloser, error) {
	z, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstdLevel), zstd.WithEncoderConcurrency(concurrency))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return z, nil
}

// nopWriteCloser is an uncompressed "compressor".
type nopWriteCloser struct{ io.Writer }

// Close does nothing.
func (nopWriteCloser) Close() error { return nil }

// decompress returns a reader of the tar stream in r, detecting the
// compression by magic bytes.
func decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(imageio.MagicLen)
	switch imageio.Sniff(head) {
	case imageio.Gzip:
		return gzip.NewReader(br)
	case imageio.Zstd:
		return imageio.NewZstdReader(br, imageio.MaxZstdWindow)
	case imageio.Xz:
		xr, err := xz.NewReader(br)
		return io.NopCloser(xr), err
	case imageio.Bzip2:
		return nil, fmt.Errorf("bzip2: %w", ErrUnsupported)
	}
	return io.NopCloser(br), nil
}
