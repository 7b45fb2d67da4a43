package resolve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/ybuild/ybuild/imageio"
)

// layoutFS is an OCI layout (directory or archive): verified blobs plus the
// files at its root.
type layoutFS interface {
	BlobSource
	// readFile returns a small file at the layout's root (oci-layout,
	// index.json), at most maxJSON bytes.
	readFile(ctx context.Context, name string) ([]byte, error)
	// String names the layout in errors.
	String() string
	// check fails unless desc's blob is present as a regular file of
	// desc's size (its content is verified when it is read).
	check(desc ocispec.Descriptor) error
}

// dirSource reads blobs from an OCI layout directory.
type dirSource struct {
	root string
}

var (
	_ layoutFS = (*dirSource)(nil)
	_ Pather   = (*dirSource)(nil)
)

// Open returns a verifying reader of desc's blob.
func (s *dirSource) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := localBlobPath(desc.Digest)
	if err != nil {
		return nil, err
	}
	f, _, err := openLayoutFile(s.root, p)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w: %w", desc.Digest, ErrInvalidBase, err)
	}
	return verifyLocal(readCloser{imageio.WithContext(ctx, f), f}, desc)
}

// Path returns the blob's file when it is a regular file inside the layout
// with the descriptor's size (its digest is not checked here), else "".
func (s *dirSource) Path(desc ocispec.Descriptor) string {
	p, err := localBlobPath(desc.Digest)
	if err != nil {
		return ""
	}
	f, fi, err := openLayoutFile(s.root, p)
	if err != nil {
		return ""
	}
	f.Close()
	full := filepath.Join(s.root, filepath.FromSlash(p))
	if lfi, err := os.Lstat(full); err != nil || !os.SameFile(fi, lfi) || fi.Size() != desc.Size {
		return "" // a symlink (even within the layout) or another size
	}
	return full
}

func (s *dirSource) readFile(ctx context.Context, name string) ([]byte, error) {
	f, _, err := openLayoutFile(s.root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readSmall(ctx, f, name)
}

func (s *dirSource) check(desc ocispec.Descriptor) error {
	p, err := localBlobPath(desc.Digest)
	if err != nil {
		return err
	}
	f, fi, err := openLayoutFile(s.root, p)
	if err != nil {
		return fmt.Errorf("blob %s: %w: %w", desc.Digest, ErrInvalidBase, err)
	}
	f.Close()
	return checkSize(desc, fi.Size())
}

// checkSize fails unless a blob file's size is the descriptor's.
func checkSize(desc ocispec.Descriptor, size int64) error {
	if size != desc.Size {
		return fmt.Errorf("blob %s: %w: %d bytes, the descriptor says %d", desc.Digest, ErrInvalidBase, size, desc.Size)
	}
	return nil
}

// String names the directory.
func (s *dirSource) String() string { return s.root }

// member is a regular file inside a tar archive.
type member struct {
	off, size int64
}

// tarSource reads blobs straight out of a tar archive through section readers.
type tarSource struct {
	file    string
	members map[string]member
	// names maps digests to member names for archives whose blobs are not
	// content-addressed (legacy docker save); others use blobs/<alg>/<hex>.
	names map[digest.Digest]string
	// mem holds synthesized blobs (a docker archive's manifest).
	mem map[digest.Digest][]byte
}

var _ layoutFS = (*tarSource)(nil)

// Open returns a verifying reader of desc's blob.
func (s *tarSource) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if data, ok := s.mem[desc.Digest]; ok {
		return verifyLocal(io.NopCloser(bytes.NewReader(data)), desc)
	}
	name, ok := s.names[desc.Digest]
	if !ok {
		p, err := localBlobPath(desc.Digest)
		if err != nil {
			return nil, err
		}
		name = p
	}
	r, err := s.open(name)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	return verifyLocal(r, desc)
}

func (s *tarSource) check(desc ocispec.Descriptor) error {
	if data, ok := s.mem[desc.Digest]; ok {
		return checkSize(desc, int64(len(data)))
	}
	name, ok := s.names[desc.Digest]
	if !ok {
		p, err := localBlobPath(desc.Digest)
		if err != nil {
			return err
		}
		name = p
	}
	m, ok := s.members[name]
	if !ok {
		return fmt.Errorf("blob %s: %w: no %s in archive", desc.Digest, ErrInvalidBase, name)
	}
	return checkSize(desc, m.size)
}

// checkLayers checks that every layer of b's images is present in l with
// its size, so that a missing, truncated or special-file layer is refused
// before anything is built. Foreign layers may be absent.
func checkLayers(l layoutFS, b *Base) error {
	for _, im := range b.Images {
		for _, d := range im.Manifest.Layers {
			if isForeign(d.MediaType) {
				continue
			}
			if err := l.check(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// open returns a reader of one member.
func (s *tarSource) open(name string) (io.ReadCloser, error) {
	m, ok := s.members[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s: no %s in archive", ErrInvalidBase, s.file, name)
	}
	f, _, err := openRegularFile(s.file)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBase, err)
	}
	return readCloser{io.NewSectionReader(f, m.off, m.size), f}, nil
}

func (s *tarSource) readFile(ctx context.Context, name string) ([]byte, error) {
	m, ok := s.members[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, os.ErrNotExist)
	}
	if m.size > maxJSON {
		return nil, fmt.Errorf("%s: %w: %d bytes", name, ErrInvalidBase, m.size)
	}
	r, err := s.open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readSmall(ctx, r, name)
}

// String names the archive.
func (s *tarSource) String() string { return s.file }

// readCloser joins a reader and a closer.
type readCloser struct {
	io.Reader
	io.Closer
}

// emptySource has no blobs (scratch).
type emptySource struct{}

// Open always fails: scratch has no blobs.
func (emptySource) Open(_ context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	return nil, fmt.Errorf("blob %s: scratch has no blobs: %w", desc.Digest, ErrNotFound)
}

// readBlob reads a small blob (manifest, index, config) into memory, verified.
func readBlob(ctx context.Context, src BlobSource, desc ocispec.Descriptor) ([]byte, error) {
	if desc.Size > maxJSON {
		return nil, fmt.Errorf("blob %s: %w: %d bytes is too large", desc.Digest, ErrInvalidBase, desc.Size)
	}
	rc, err := src.Open(ctx, desc)
	if err != nil {
		return nil, err
	}
	data, err := readSmall(ctx, rc, "blob "+desc.Digest.String())
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}
