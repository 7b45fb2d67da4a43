package assemble

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/resolve"
)

// SharedCache is a layer cache shared between machines through a registry
// (package remotecache implements it). writeLayer asks it when the local
// cache misses, by the layer's shape key, and offers it every layer it
// writes. Nothing it returns is trusted: a record is used only when the
// layer's own tar has the recorded DiffID, and its blob only once its
// digest, size and uncompressed DiffID check out.
type SharedCache interface {
	// Lookup returns the layer blob recorded under shape for mediaType,
	// and the DiffID the record claims for it.
	Lookup(ctx context.Context, shape, mediaType string) (ocispec.Descriptor, digest.Digest, bool)
	// Open returns the blob's content; reading it to EOF fails unless it
	// matches desc's digest and size.
	Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error)
	// Source returns the blob source of a layer taken from the shared
	// cache and now held, verified, in the local file path: outputs link
	// the file, a push to the cache's registry mounts the blob.
	Source(desc ocispec.Descriptor, path string) resolve.BlobSource
	// Store offers a layer this build wrote, under its shape key: its blob's
	// descriptor, its DiffID and the local file holding the blob.
	Store(shape string, desc ocispec.Descriptor, diffID digest.Digest, path string)
	// Name names the shared cache (its repository, REGISTRY/REPO): the
	// local layer cache records it as the origin of the layers taken from
	// it.
	Name() string
}

// withOrigin returns l with the Source of the shared cache it was taken
// from (now or by an earlier build, as its local record says), when this
// build uses that shared cache: a push to its registry mounts the blob
// instead of uploading it. A layer from another or no shared cache is a
// plain local blob.
func withOrigin(env layerEnv, l layerBlob) layerBlob {
	if l.Origin == "" || env.Shared == nil || env.Shared.Name() != l.Origin {
		l.Origin, l.Source = "", nil
		return l
	}
	l.Source = env.Shared.Source(l.Desc, l.Path)
	return l
}

// lookupShared returns the layer recorded in the shared cache under shape
// when es, written as a tar, has the recorded DiffID; the blob is then
// downloaded into env.BlobDir, its digest and DiffID checked on the way.
func lookupShared(ctx context.Context, env layerEnv, shape, mediaType string, es []entry) (layerBlob, bool) {
	if env.Shared == nil || shape == "" {
		return layerBlob{}, false
	}
	desc, want, ok := env.Shared.Lookup(ctx, shape, mediaType)
	if !ok || desc.Size <= 0 || desc.Digest.Validate() != nil {
		return layerBlob{}, false
	}
	d, tarSize, err := diffIDSize(ctx, es)
	if err != nil || d != want || desc.Size > maxBlobSize(tarSize) {
		return layerBlob{}, false
	}
	desc = ocispec.Descriptor{MediaType: mediaType, Digest: desc.Digest, Size: desc.Size}
	p, err := fetchShared(ctx, env, desc, d)
	if err != nil {
		return layerBlob{}, false
	}
	env.Trust.Note(p, desc)
	return layerBlob{Desc: desc, DiffID: d, Path: p}, true
}

// maxBlobSize bounds a compressed layer of a tar of n bytes (stored
// deflate blocks and zstd raw blocks add well under 1 %), so that a
// hostile record cannot make the build download without end.
func maxBlobSize(n int64) int64 { return n + n/64 + 1<<20 }

// diffIDSize hashes the uncompressed tar of es and counts its bytes.
func diffIDSize(ctx context.Context, es []entry) (digest.Digest, int64, error) {
	h := sha256.New()
	var n counter
	tw := tar.NewWriter(io.MultiWriter(h, &n))
	if err := writeEntries(ctx, tw, es, func(int64) {}); err != nil {
		return "", 0, err
	}
	if err := tw.Close(); err != nil {
		return "", 0, err
	}
	return digest.NewDigest(digest.SHA256, h), int64(n), nil
}

// fetchShared downloads desc into BlobDir/sha256/<hex>: the digest and size
// are checked by the shared cache's reader, the DiffID here while the blob
// is decompressed on the way. A mismatch leaves nothing behind.
func fetchShared(ctx context.Context, env layerEnv, desc ocispec.Descriptor, diffID digest.Digest) (string, error) {
	dir := filepath.Join(env.BlobDir, "sha256")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".shared-*.tmp")
	if err != nil {
		return "", err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	rc, err := env.Shared.Open(ctx, desc)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	raw := io.TeeReader(imageio.WithContext(ctx, rc), tmp)
	dec, err := decompress(raw)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(h, dec)
	dec.Close()
	if err == nil {
		_, err = io.Copy(io.Discard, raw) // the rest of the blob: its digest is checked at EOF
	}
	if err == nil {
		err = rc.Close()
	}
	if err != nil {
		return "", fmt.Errorf("shared layer %s: %w", desc.Digest, err)
	}
	if got := digest.NewDigest(digest.SHA256, h); got != diffID {
		return "", fmt.Errorf("shared layer %s: DiffID %s, want %s", desc.Digest, got, diffID)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	p := filepath.Join(dir, desc.Digest.Encoded())
	if err := place(tmp.Name(), p); err != nil {
		return "", err
	}
	done = true
	return p, nil
}
