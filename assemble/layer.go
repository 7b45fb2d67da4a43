package assemble

import (
	"context"
	"fmt"
	"time"

	ycache "github.com/ybuild/ybuild/cache"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// LayerEnv is everything WriteLayer needs besides the spec layer.
type LayerEnv struct {
	// Dir is the spec's directory. src paths are relative to it and may not
	// leave it, through symlinks included.
	Dir string
	// Created is the image's created time: the mtime of entries with mtime
	// "created" (the default) and of whiteouts. The zero value means the
	// Unix epoch.
	Created time.Time
	// Compression is gzip, zstd or none. The default is gzip.
	Compression spec.Compression
	// Format picks the layer media type: oci or docker. The default is oci.
	Format spec.Format
	// BlobDir receives the blob as BlobDir/sha256/<hex>; temporary files
	// are made in it too.
	BlobDir string
	// Scratch is set when the base is scratch: every missing ancestor
	// directory is emitted (0:0, DefaultDirMode, created time), and so is
	// the dst of a directory copy.
	Scratch bool
	// DefaultDirMode is the spec's defaults.dirMode, the mode of implicit
	// ancestors on scratch. The default is "0755".
	DefaultDirMode string
	// Progress, if set, is told the layer's content size and the bytes
	// copied so far.
	Progress resolve.Progress
	// BaseDirs holds the base's attributes of the layer's replace
	// directories, by name without leading "/". An opaque directory found
	// here is written with them (so /tmp keeps 1777); one not found gets
	// the layer's owner and dirMode.
	BaseDirs map[string]DirAttrs
	// CacheDir, if set, is the layer cache: a layer whose inputs match an
	// earlier build's (the same entries from the same, unchanged source
	// files) is taken from CacheDir instead of being written, and a new
	// layer is added to it. Layers with extract entries are not cached.
	CacheDir string
}

// Layer is a written layer blob.
type Layer struct {
	// Desc is the blob's descriptor: media type, digest and size of the
	// compressed blob.
	Desc ocispec.Descriptor
	// DiffID is the digest of the uncompressed tar.
	DiffID digest.Digest
	// Path is the blob's file, BlobDir/sha256/<hex>.
	Path string
}

// WriteLayer writes one spec layer as a reproducible layer blob into
// env.BlobDir/sha256/<hex> and returns its descriptor.
//
// Sources follow Dockerfile COPY: a directory's contents go into dst; a
// file goes to dst, or into it when dst ends in "/"; a src that is itself a
// symlink is followed, symlinks inside copied trees are kept. A glob (** too)
// always treats dst as a directory, even with one match: matched files go to
// dst/<base name>, matched directories copy their contents into dst. Exclude
// patterns are matched against paths relative to the src (to the glob's
// static prefix for globs) and skip whole directories. Files of one tree with
// the same device and inode become hardlinks to the first in sorted order.
// delete writes .wh.<name>; replace writes the directory itself (with the
// base's attributes from env.BaseDirs, else the layer's owner and dirMode,
// unless the layer adds it explicitly) and .wh..wh..opq inside it. Two entries with one destination are an error
// (ErrDuplicate) unless they are the same source reached twice.
//
// It walks the sources first, collecting metadata only, then streams the
// sorted entries through tar, the compressor and the hashes into a
// temporary file that is renamed into place (an existing blob with the same
// digest is kept). Memory does not grow with file or layer size. The output
// depends only on the spec, the sources' contents and types (and their
// mtimes with mtime: preserve), and env: not on the umask, directory read
// order, the user running the build or the number of CPUs.
func WriteLayer(ctx context.Context, l spec.Layer, env LayerEnv) (Layer, error) {
	env = env.fill()
	label := l.Name
	if label == "" {
		label = "layer"
	}
	mt, err := layerMediaType(env.Format, env.Compression)
	if err != nil {
		return Layer{}, fmt.Errorf("layer %s: %w", label, err)
	}
	sp := &spool{parent: env.BlobDir}
	defer sp.remove()
	es, err := collect(ctx, l, env, sp)
	if err == nil {
		es, err = finishLayer(es, env)
	}
	if err != nil {
		return Layer{}, fmt.Errorf("walk %s: %w", label, err)
	}
	cache, key, shape := layerCacheKeys(es, env, mt, sp)
	if l, ok := cache.lookup(ctx, key); ok {
		reportCached(env, label, l)
		return l, nil
	}
	if l, ok := cache.lookupShape(ctx, shape, es); ok {
		_ = cache.store(ctx, key, shape, l) // the next lookup by key is direct
		reportCached(env, label, l)
		return l, nil
	}
	out, err := writeBlob(ctx, es, env, mt, label)
	if err != nil {
		return Layer{}, fmt.Errorf("write %s: %w", label, err)
	}
	_ = cache.store(ctx, key, shape, out) // a failure only costs a later cache miss
	return out, nil
}

// layerCacheKeys returns the layer cache and the layer's keys, or a nil
// cache when there is none or the layer cannot be cached.
func layerCacheKeys(es []entry, env LayerEnv, mediaType string, sp *spool) (*layerCache, string, string) {
	if env.CacheDir == "" || sp.dir != "" {
		return nil, "", ""
	}
	c := &layerCache{c: ycache.New(env.CacheDir)}
	key, shape, ok := c.keys(es, env, mediaType)
	if !ok {
		return nil, "", ""
	}
	return c, key, shape
}

// reportCached tells the progress callback that the layer came from the cache.
func reportCached(env LayerEnv, label string, l Layer) {
	if env.Progress == nil {
		return
	}
	add, done := env.Progress(label+" (cached)", l.Desc.Size)
	add(l.Desc.Size)
	done(l.Desc.Size)
}

// fill applies LayerEnv's defaults.
func (env LayerEnv) fill() LayerEnv {
	if env.Created.IsZero() {
		env.Created = time.Unix(0, 0)
	}
	env.Created = env.Created.UTC().Truncate(time.Second)
	if env.Compression == "" {
		env.Compression = spec.CompressionGzip
	}
	if env.Format == "" {
		env.Format = spec.FormatOCI
	}
	if env.DefaultDirMode == "" {
		env.DefaultDirMode = "0755"
	}
	return env
}

// finishLayer sorts and checks the entries, adding ancestors on scratch.
func finishLayer(es []entry, env LayerEnv) ([]entry, error) {
	mode, err := parseMode(env.DefaultDirMode)
	if err != nil {
		return nil, fmt.Errorf("default dir mode: %w", err)
	}
	return finish(es, env.Scratch, attrs{dirMode: mode, mtime: env.Created})
}
