package assemble

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/blobfile"
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
// The cache lives in DIR/layers/<key>.json (the layer's descriptor and
// DiffID) and DIR/shapes/<shape>.json (the same, by a key without the
// sources' identity) beside the content-addressed blobs in DIR/blobs/sha256/<hex>,
// the same store as the registry blob cache. Entries are written only after
// their blob is complete, each by rename, so an interrupted build never
// leaves a record without its blob.
type layerCache struct {
	dir string
}

// cacheRecord is a layer cache entry.
type cacheRecord struct {
	Desc   ocispec.Descriptor `json:"descriptor"`
	DiffID digest.Digest      `json:"diffID"`
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

// recordPath is the file of the record for key ("layers" or "shapes").
func (c *layerCache) recordPath(kind, key string) string {
	return filepath.Join(c.dir, kind, key+".json")
}

// blobPath is the cached blob with digest d.
func (c *layerCache) blobPath(d digest.Digest) string {
	return blobfile.Path(c.dir, d)
}

// lookup returns the cached layer for key, if its record and blob are there.
func (c *layerCache) lookup(ctx context.Context, key string) (Layer, bool) {
	if c == nil {
		return Layer{}, false
	}
	r, ok := c.record("layers", key)
	if !ok {
		return Layer{}, false
	}
	l, ok := c.layer(ctx, r)
	if ok {
		c.touch(key, r) // marks the layer as in use for PruneCache
	}
	return l, ok
}

// touch rewrites the record for key, so its mtime says when it was last used.
func (c *layerCache) touch(key string, r cacheRecord) {
	if data, err := json.Marshal(r); err == nil {
		_ = c.writeRecord(c.recordPath("layers", key), data)
	}
}

// lookupShape returns the cached layer of the same shape when es, written
// as a tar, has the recorded DiffID: the same layer from other files (a
// fresh checkout, a touch). Hashing the tar costs a read of the sources,
// but no compression; it is done only when a record of that shape exists.
func (c *layerCache) lookupShape(ctx context.Context, shape string, es []entry) (Layer, bool) {
	if c == nil {
		return Layer{}, false
	}
	r, ok := c.record("shapes", shape)
	if !ok {
		return Layer{}, false
	}
	if fi, err := os.Stat(c.blobPath(r.Desc.Digest)); err != nil || fi.Size() != r.Desc.Size {
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

// record reads and checks a record.
func (c *layerCache) record(kind, key string) (cacheRecord, bool) {
	var r cacheRecord
	data, err := os.ReadFile(c.recordPath(kind, key))
	if err != nil {
		return r, false
	}
	if json.Unmarshal(data, &r) != nil || r.Desc.Digest.Validate() != nil || r.DiffID.Validate() != nil {
		return r, false
	}
	return r, true
}

// layer returns the recorded layer if its blob verifies.
func (c *layerCache) layer(ctx context.Context, r cacheRecord) (Layer, bool) {
	p := c.blobPath(r.Desc.Digest)
	if !blobfile.Verify(ctx, p, r.Desc) {
		return Layer{}, false
	}
	return Layer{Desc: r.Desc, DiffID: r.DiffID, Path: p}, true
}
