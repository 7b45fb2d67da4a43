package assemble

import (
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	ycache "github.com/ybuild/ybuild/cache"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// layerEnv is everything writeLayer needs besides the spec layer: the
// build's options (filled) and what the spec and the base say about layers.
type layerEnv struct {
	Options // Created, BlobDir, Progress and LayerCacheDir are used
	// dir is the spec's directory. src paths are relative to it and may not
	// leave it, through symlinks included.
	dir         string
	compression spec.Compression
	format      spec.Format
	// scratch is set when the base is scratch: every missing ancestor
	// directory is emitted (with ancestor's attributes), and so is the dst
	// of a directory copy.
	scratch  bool
	ancestor meta
	// baseDirs holds the base's attributes of the layer's replace
	// directories, by name without leading "/" (see attrs.replaceDir).
	baseDirs map[string]dirAttrs
}

// newLayerEnv returns the layer environment of the build b with the filled
// options opts.
func newLayerEnv(b *spec.Build, opts Options, scratch bool) (layerEnv, error) {
	anc, err := ancestorMeta(b.Defaults.DirMode, opts.Created)
	if err != nil {
		return layerEnv{}, err
	}
	return layerEnv{Options: opts, dir: b.Dir, compression: b.Compression, format: b.Format,
		scratch: scratch, ancestor: anc}, nil
}

// layerBlob is a written layer blob.
type layerBlob struct {
	// Desc is the blob's descriptor: media type, digest and size of the
	// compressed blob.
	Desc ocispec.Descriptor
	// DiffID is the digest of the uncompressed tar.
	DiffID digest.Digest
	// Path is the blob's file, BlobDir/sha256/<hex>.
	Path string
	// Source, if set, is where the blob came from besides Path: the shared
	// cache (a push to its registry mounts the blob from there).
	Source resolve.BlobSource
	// Origin names the shared cache the blob was taken from
	// (SharedCache.Name), in this build or an earlier one; the local layer
	// record keeps it, so that a later local hit gets its Source back.
	Origin string
	// Files are the regular files it adds, recorded while it was written
	// or, for a layer from the shared cache, while its sources' tar was
	// checked (Recorded; never for a layer from the local layer cache).
	Files    []File
	Recorded bool
}

// writeLayer writes one spec layer as a reproducible layer blob into
// env.BlobDir/sha256/<hex> and returns its descriptor. Owner, mode and mtime
// of every entry are decided in attrs.go.
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
// base's attributes from env.baseDirs, else the layer's owner and dirMode,
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
func writeLayer(ctx context.Context, l spec.Layer, env layerEnv) (layerBlob, error) {
	return writeStacked(ctx, l, env, nil, nil)
}

// writeStacked is writeLayer for a layer of a scratch build's stack
// (stack.go): implicit ancestors take the attributes the directories have
// in below, and above is set to the directories after this layer as soon
// as its entries are final (with the error, if they never are). Both may
// be nil.
func writeStacked(ctx context.Context, l spec.Layer, env layerEnv, below, above *dirSet) (layerBlob, error) {
	label := l.Name
	if label == "" {
		label = "layer"
	}
	sp := &spool{parent: env.BlobDir}
	defer sp.remove()
	es, err := layerEntries(ctx, l, env, sp, below, above)
	if err != nil {
		return layerBlob{}, fmt.Errorf("walk %s: %w", label, err)
	}
	defer es.close()
	mt, err := layerMediaType(env.format, env.compression)
	if err != nil {
		return layerBlob{}, fmt.Errorf("layer %s: %w", label, err)
	}
	cache, key, shape := layerCacheKeys(es.sorted, env, mt, sp)
	if l, ok := cache.lookup(ctx, key); ok {
		reportCached(env, label, l)
		return withOrigin(env, l), nil
	}
	if l, ok := cache.lookupShape(ctx, shape, es.sorted); ok {
		_ = cache.store(ctx, key, shape, l) // the next lookup by key is direct
		reportCached(env, label, l)
		return withOrigin(env, l), nil
	}
	if l, ok := lookupShared(ctx, env, shape, mt, es.sorted); ok {
		l.Origin = env.Shared.Name()
		_ = cache.store(ctx, key, shape, l) // a Remote record when left in the cache repository (RemoteShared)
		l = cache.adopt(l)
		reportCached(env, label+" (shared)", l)
		return withOrigin(env, l), nil
	}
	out, err := writeBlob(ctx, es.sorted, env, mt, label)
	if err != nil {
		return layerBlob{}, fmt.Errorf("write %s: %w", label, err)
	}
	env.Trust.Note(out.Path, out.Desc)
	_ = cache.store(ctx, key, shape, out) // a failure only costs a later cache miss
	out = cache.adopt(out)
	if env.Shared != nil && shape != "" {
		env.Shared.Store(shape, out.Desc, out.DiffID, out.Path)
	}
	return out, nil
}

// layerEntriesResult are a layer's final entries and the spec directory
// they read from, open until close.
type layerEntriesResult struct {
	sorted []entry
	src    *specDir
}

// close closes the spec directory.
func (r layerEntriesResult) close() { r.src.close() }

// layerEntries walks l's sources and returns its final, sorted entries,
// setting above (when not nil) in every case.
func layerEntries(ctx context.Context, l spec.Layer, env layerEnv, sp *spool, below, above *dirSet) (res layerEntriesResult, err error) {
	var dirs map[string]meta
	if above != nil {
		defer func() { above.set(dirs, err) }()
	}
	src, err := openSpecDir(env.dir)
	if err != nil {
		return res, err
	}
	es, err := collect(ctx, l, env, src, sp)
	var lower map[string]meta
	if err == nil {
		lower, err = below.wait(ctx)
	}
	if err == nil {
		es, err = finish(ctx, es, env.scratch, ancestors(lower, env.ancestor))
	}
	if err == nil && above != nil {
		dirs, err = stackDirs(ctx, lower, es)
	}
	if err != nil {
		src.close()
		return res, err
	}
	return layerEntriesResult{sorted: es, src: src}, nil
}

// layerCacheKeys returns the layer cache and the layer's keys, or a nil
// cache when there is none or the layer cannot be cached.
func layerCacheKeys(es []entry, env layerEnv, mediaType string, sp *spool) (*layerCache, string, string) {
	if env.LayerCacheDir == "" || sp.dir != "" {
		return nil, "", ""
	}
	c := &layerCache{c: ycache.New(env.LayerCacheDir), trust: env.Trust}
	if env.RemoteShared && env.Shared != nil {
		c.remote = env.Shared
	}
	key, shape, ok := c.keys(es, env, mediaType)
	if !ok {
		return nil, "", ""
	}
	return c, key, shape
}

// reportCached tells the progress callback that the layer came from the cache.
func reportCached(env layerEnv, label string, l layerBlob) {
	if env.Progress == nil {
		return
	}
	add, done := env.Progress(label+" (cached)", l.Desc.Size)
	add(l.Desc.Size)
	done(l.Desc.Size)
}
