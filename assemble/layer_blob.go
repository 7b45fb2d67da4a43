package assemble

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// blobWriter is the write side of one layer: tar → (DiffID hash) →
// compressor → (blob hash, size) → buffered temp file.
type blobWriter struct {
	tmp      *os.File
	buf      *bufio.Writer
	comp     io.WriteCloser
	tw       *tar.Writer
	diffHash hash.Hash
	blobHash hash.Hash
	size     counter
	upload   Upload // nil unless the blob is sent while written
}

// writeBlob streams the sorted entries into BlobDir/sha256/<hex>. On any
// error (or cancellation) the temp file is removed.
func writeBlob(ctx context.Context, es []entry, env layerEnv, mediaType, label string) (layerBlob, error) {
	dir := filepath.Join(env.BlobDir, "sha256")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return layerBlob{}, fmt.Errorf("blob dir: %w", err)
	}
	bw, err := newBlobWriter(ctx, dir, env)
	if err != nil {
		return layerBlob{}, err
	}
	done := false
	defer func() {
		if !done {
			bw.tmp.Close()
			os.Remove(bw.tmp.Name())
			if bw.upload != nil {
				bw.upload.Abort()
			}
		}
	}()
	add, end := progress(env, label, es)
	rec := recorderFor(env)
	defer rec.close() // on failure: stops the hasher
	if err := writeRecorded(ctx, bw.tw, es, add, rec); err != nil {
		return layerBlob{}, err
	}
	if err := bw.close(); err != nil {
		return layerBlob{}, err
	}
	out := layerBlob{
		Desc: ocispec.Descriptor{MediaType: mediaType, Size: int64(bw.size),
			Digest: digest.NewDigest(digest.SHA256, bw.blobHash)},
		DiffID: digest.NewDigest(digest.SHA256, bw.diffHash),
	}
	out.Files, out.Recorded = rec.result(), rec != nil
	out.Path = filepath.Join(dir, out.Desc.Digest.Encoded())
	if err := place(bw.tmp.Name(), out.Path); err != nil {
		return layerBlob{}, err
	}
	done = true
	if bw.upload != nil {
		bw.upload.Commit(out.Desc)
	}
	end(out.Desc.Size)
	return out, nil
}

// newBlobWriter creates the temp file and the writer chain, with the
// blob's upload when env has an Uploader.
func newBlobWriter(ctx context.Context, dir string, env layerEnv) (*blobWriter, error) {
	tmp, err := os.CreateTemp(dir, ".layer-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("temp file: %w", err)
	}
	bw := &blobWriter{tmp: tmp, diffHash: sha256.New(), blobHash: sha256.New()}
	sinks := []io.Writer{tmp, bw.blobHash, &bw.size}
	if bw.upload = beginUpload(ctx, env); bw.upload != nil {
		sinks = append(sinks, bw.upload)
	}
	bw.buf = bufio.NewWriterSize(io.MultiWriter(sinks...), 1<<20)
	bw.comp, err = newCompressor(bw.buf, env.compression)
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		if bw.upload != nil {
			bw.upload.Abort()
		}
		return nil, err
	}
	bw.tw = tar.NewWriter(io.MultiWriter(bw.comp, bw.diffHash))
	return bw, nil
}

// close finishes the tar stream, the compressor and the file.
func (bw *blobWriter) close() error {
	err := bw.tw.Close()
	if err == nil {
		err = bw.comp.Close()
	}
	if err == nil {
		err = bw.buf.Flush()
	}
	if err == nil {
		err = bw.tmp.Chmod(0o644)
	}
	if cerr := bw.tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("finish blob: %w", err)
	}
	return nil
}

// place renames tmp to path, or removes tmp when path already exists (the
// same digest: the same bytes).
func place(tmp, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return os.Remove(tmp)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}

// counter counts bytes written.
type counter int64

// Write counts p.
func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}
