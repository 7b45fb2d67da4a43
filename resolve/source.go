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

// maxJSON bounds the size of manifests, indexes and configs read into memory.
const maxJSON = 32 << 20

// layoutFS is an OCI layout (directory or archive): verified blobs plus the
// files at its root.
type layoutFS interface {
	BlobSource
	// readFile returns a file at the layout's root (oci-layout, index.json).
	readFile(name string) ([]byte, error)
	// String names the layout in errors.
	String() string
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
	p, err := imageio.BlobPath(desc.Digest)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(s.root, filepath.FromSlash(p)))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w: %w", desc.Digest, ErrInvalidBase, err)
	}
	return imageio.Verify(f, desc)
}

// Path returns the blob's file when it exists with the descriptor's size
// (its digest is not checked here), else "".
func (s *dirSource) Path(desc ocispec.Descriptor) string {
	p, err := imageio.BlobPath(desc.Digest)
	if err != nil {
		return ""
	}
	p = filepath.Join(s.root, filepath.FromSlash(p))
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != desc.Size {
		return ""
	}
	return p
}

func (s *dirSource) readFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.root, name))
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
		return imageio.Verify(io.NopCloser(bytes.NewReader(data)), desc)
	}
	name, ok := s.names[desc.Digest]
	if !ok {
		p, err := imageio.BlobPath(desc.Digest)
		if err != nil {
			return nil, err
		}
		name = p
	}
	r, err := s.open(name)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	return imageio.Verify(r, desc)
}

// open returns a reader of one member.
func (s *tarSource) open(name string) (io.ReadCloser, error) {
	m, ok := s.members[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s: no %s in archive", ErrInvalidBase, s.file, name)
	}
	f, err := os.Open(s.file)
	if err != nil {
		return nil, err
	}
	return readCloser{io.NewSectionReader(f, m.off, m.size), f}, nil
}

func (s *tarSource) readFile(name string) ([]byte, error) {
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
	return io.ReadAll(r)
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
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}
