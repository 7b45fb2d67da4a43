package attest

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	"github.com/ybuild/ybuild/imageio"
)

// ScanBlob lists the files of a layer blob, decompressing it by its media
// type (gzip, zstd or none), and returns the layer's diff ID (the digest of
// the uncompressed tar).
func ScanBlob(ctx context.Context, blob io.Reader, mediaType, tmpDir string) ([]File, digest.Digest, error) {
	r, closeFn, err := decompress(blob, mediaType)
	if err != nil {
		return nil, "", err
	}
	defer closeFn()
	d := digest.Canonical.Digester()
	files, err := ScanLayer(ctx, io.TeeReader(r, d.Hash()), tmpDir)
	if err != nil {
		return nil, "", err
	}
	if _, err := io.Copy(d.Hash(), imageio.WithContext(ctx, r)); err != nil { // the tar's trailing padding
		return nil, "", fmt.Errorf("read layer: %w", err)
	}
	return files, d.Digest(), nil
}

// decompress opens the uncompressed stream of a layer blob.
func decompress(r io.Reader, mediaType string) (io.Reader, func(), error) {
	switch {
	case strings.HasSuffix(mediaType, "+zstd") || strings.HasSuffix(mediaType, ".zstd"):
		zr, err := imageio.NewZstdReader(r, imageio.MaxZstdWindow)
		if err != nil {
			return nil, nil, fmt.Errorf("zstd layer: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case strings.HasSuffix(mediaType, "+gzip") || strings.HasSuffix(mediaType, ".gzip"):
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip layer: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	}
	return r, func() {}, nil
}
