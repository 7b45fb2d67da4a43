package assemble

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"os"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/cache"
	"github.com/ybuild/ybuild/internal/blobfile"
	"github.com/ybuild/ybuild/internal/trust"
)

// layerCache reuses layer blobs across builds. A layer's key hashes
// everything its bytes depend on: the entries it would write (names,
// types, modes, owners, mtimes, sizes, link targets, inline contents), the
// identity of each source file (device, inode, size, mtime, ctime and
// mode, so any write to a source changes the key without reading it), the
// media type and the versions of the compressors. A hit links the cached
// blob, verified, instead of writing the layer again.
//
// The records and blobs live in the cache directory (package cache):
// records by key and by shape (a key without the sources' identity), and
// the content-addressed blobs, the same store as the registry blob cache.
// layer_cache_key.go computes the keys; package cache stores and prunes.
type layerCache struct {
	c     *cache.Cache
	trust *trust.Store
	// remote is the shared cache whose blobs this build may leave there
	// (Options.RemoteShared), nil otherwise: only then is a Remote record
	// a hit.
	remote SharedCache
}

// lookup returns the cached layer for key, if its record and blob are there.
func (c *layerCache) lookup(ctx context.Context, key string) (layerBlob, bool) {
	if c == nil {
		return layerBlob{}, false
	}
	r, ok := c.c.Record(cache.ByKey, key)
	if !ok {
		return layerBlob{}, false
	}
	l, ok := c.layer(ctx, r)
	if ok {
		_ = c.c.PutRecord(cache.ByKey, key, r) // marks the layer as in use for cache.Prune
	}
	return l, ok
}

// lookupShape returns the cached layer of the same shape when es, written
// as a tar, has the recorded DiffID: the same layer from other files (a
// fresh checkout, a touch). Hashing the tar costs a read of the sources,
// but no compression; it is done only when a record of that shape exists.
func (c *layerCache) lookupShape(ctx context.Context, shape string, es []entry) (layerBlob, bool) {
	if c == nil {
		return layerBlob{}, false
	}
	r, ok := c.c.Record(cache.ByShape, shape)
	if !ok || !c.present(r) { // before hashing the sources for nothing
		return layerBlob{}, false
	}
	d, err := diffID(ctx, es)
	if err != nil || d != r.DiffID {
		return layerBlob{}, false
	}
	return c.layer(ctx, r)
}

// diffID hashes the uncompressed tar of es.
func diffID(ctx context.Context, es []entry) (digest.Digest, error) {
	h := sha256.New()
	tw := tar.NewWriter(h)
	if err := writeEntries(ctx, tw, es, func(int64) {}); err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	return digest.NewDigest(digest.SHA256, h), nil
}

// layer returns the recorded layer if its blob verifies.
func (c *layerCache) layer(ctx context.Context, r cache.Record) (layerBlob, bool) {
	if c.c == nil || r.Desc.Digest.Validate() != nil {
		return layerBlob{}, false
	}
	if r.Remote {
		return c.remoteLayer(ctx, r)
	}
	p := c.c.BlobPath(r.Desc.Digest)
	if !c.trust.Verify(ctx, p, r.Desc) { // trusted by its record, else hashed
		return layerBlob{}, false
	}
	return layerBlob{Desc: r.Desc, DiffID: r.DiffID, Path: p, Origin: r.Origin}, true
}

// present reports, without hashing or asking a registry, whether r's blob
// may serve this build: a file the cache holds, or for a Remote record a
// blob left in the shared cache this build may leave blobs in.
func (c *layerCache) present(r cache.Record) bool {
	if r.Remote {
		return c.remote != nil && c.remote.Name() == r.Origin
	}
	return c.c.Has(r.Desc)
}

// remoteLayer returns the layer of a Remote record: a hit only for a build
// that may leave blobs in that record's shared cache, and only while the
// cache repository still holds the blob (its records may have expired).
func (c *layerCache) remoteLayer(ctx context.Context, r cache.Record) (layerBlob, bool) {
	if !c.present(r) || !c.remote.Has(ctx, r.Desc) {
		return layerBlob{}, false
	}
	return layerBlob{Desc: r.Desc, DiffID: r.DiffID, Origin: r.Origin}, true
}

// store records l under key and shape: its blob goes into the cache first,
// then each record; a layer left in its shared cache (no Path) gets Remote
// records. Failures only cost a future cache miss, so they are returned
// for the caller to ignore.
func (c *layerCache) store(ctx context.Context, key, shape string, l layerBlob) error {
	if c == nil {
		return nil
	}
	r := cache.Record{Desc: l.Desc, DiffID: l.DiffID, Origin: l.Origin, Remote: l.Path == ""}
	if r.Remote && r.Origin == "" {
		return errors.New("a layer with neither a file nor an origin")
	}
	if !r.Remote {
		if err := c.c.Link(ctx, l.Desc, l.Path); err != nil {
			return err
		}
		c.trust.Note(c.c.BlobPath(l.Desc.Digest), l.Desc) // a link changes the ctime of every name of the file
	}
	if err := c.c.PutRecord(cache.ByKey, key, r); err != nil {
		return err
	}
	return c.c.PutRecord(cache.ByShape, shape, r)
}

// adopt returns l with its Path in the cache when the cache holds l's very
// file (a hard link), removing the work directory's name for it: a file
// with one name less to unlink later keeps the ctime its trust record is
// taken with (a link count change updates the ctime).
func (c *layerCache) adopt(l layerBlob) layerBlob {
	if c == nil || c.c == nil || l.Path == "" {
		return l
	}
	p := c.c.BlobPath(l.Desc.Digest)
	if !blobfile.SameFile(l.Path, p) || os.Remove(l.Path) != nil {
		return l
	}
	l.Path = p
	c.trust.Note(p, l.Desc)
	return l
}
