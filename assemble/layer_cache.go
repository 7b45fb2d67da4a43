package assemble

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/cache"
)

// layerCacheVersion changes whenever the bytes WriteLayer produces for the
// same entries change; it is part of every key.
const layerCacheVersion = "ybuild layer cache v1"

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
// This file computes the keys; package cache stores and prunes.
type layerCache struct {
	c *cache.Cache
}

// keys returns the two cache keys of a layer made of es: key adds each
// source file's path and identity, so it matches only the very same files
// unchanged; shape leaves them out, so it matches the same layer from
// another checkout or after a touch, to be confirmed by the DiffID. ok is
// false when a source has no identity (see fileIdentity).
func (c *layerCache) keys(es []entry, env LayerEnv, mediaType string) (key, shape string, ok bool) {
	kh, sh := sha256.New(), sha256.New()
	both := func(ss ...string) { field(kh, ss...); field(sh, ss...) }
	both(layerCacheVersion, toolVersions(), mediaType, string(env.Compression), string(env.Format))
	for i := range es {
		e := &es[i]
		both(e.name, string(e.kind), fmt.Sprint(e.mode, e.uid, e.gid, e.mtime.UnixNano(), e.size),
			e.linkname, fmt.Sprint(e.devmajor, e.devminor))
		if e.content != nil {
			both("content", *e.content)
		}
		if e.src != "" {
			if e.srcID == "" {
				return "", "", false
			}
			field(kh, "src", e.src, e.srcID, e.linkKey)
		}
	}
	return hex.EncodeToString(kh.Sum(nil)), hex.EncodeToString(sh.Sum(nil)), true
}

// field writes length-prefixed strings, so no two field lists collide.
func field(h hash.Hash, ss ...string) {
	for _, s := range ss {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
}

// toolVersions names the module versions that decide layer bytes.
var toolVersions = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var out []string
	for _, d := range bi.Deps {
		if strings.HasPrefix(d.Path, "github.com/klauspost/") {
			out = append(out, d.Path+"@"+d.Version)
		}
	}
	return bi.GoVersion + " " + strings.Join(out, " ")
})

// lookup returns the cached layer for key, if its record and blob are there.
func (c *layerCache) lookup(ctx context.Context, key string) (Layer, bool) {
	if c == nil {
		return Layer{}, false
	}
	r, ok := c.c.Record(cache.ByKey, key)
	if !ok {
		return Layer{}, false
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
func (c *layerCache) lookupShape(ctx context.Context, shape string, es []entry) (Layer, bool) {
	if c == nil {
		return Layer{}, false
	}
	r, ok := c.c.Record(cache.ByShape, shape)
	if !ok || !c.c.Has(r.Desc) {
		return Layer{}, false
	}
	d, err := diffID(ctx, es)
	if err != nil || d != r.DiffID {
		return Layer{}, false
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
func (c *layerCache) layer(ctx context.Context, r cache.Record) (Layer, bool) {
	p, ok := c.c.Verified(ctx, r.Desc)
	if !ok {
		return Layer{}, false
	}
	return Layer{Desc: r.Desc, DiffID: r.DiffID, Path: p}, true
}

// store records l under key and shape: its blob goes into the cache first,
// then each record. Failures only cost a future cache miss, so they are
// returned for the caller to ignore.
func (c *layerCache) store(ctx context.Context, key, shape string, l Layer) error {
	if c == nil {
		return nil
	}
	if err := c.c.Link(ctx, l.Desc, l.Path); err != nil {
		return err
	}
	r := cache.Record{Desc: l.Desc, DiffID: l.DiffID}
	if err := c.c.PutRecord(cache.ByKey, key, r); err != nil {
		return err
	}
	return c.c.PutRecord(cache.ByShape, shape, r)
}
