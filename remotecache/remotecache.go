package remotecache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
)

// ArtifactType is the artifactType of a layer cache record.
const ArtifactType = "application/vnd.ybuild.layer-cache.v1"

// Annotations of a record manifest.
const (
	// AnnotationDiffID holds the layer's DiffID.
	AnnotationDiffID = "dev.ybuild.layer.diffid"
	// AnnotationShape holds the layer's shape key.
	AnnotationShape = "dev.ybuild.layer.shape"
)

// TagPrefix starts the tag of every record: TagPrefix + shape key.
const TagPrefix = "ybuild-layer-"

// maxRecord bounds the size of a record manifest read from the repository.
const maxRecord = 64 << 10

// Cache is a cache repository. It is safe for concurrent use.
type Cache struct {
	repo registry.Reference
	opts *registry.Options
	warn func(string)
	keys Keys

	mu      sync.Mutex
	signed  map[string]bool // records Lookup found signed by a trusted key (signedKey)
	sess    *registry.Session
	off     bool // disabled after a failure
	pending []pending
}

// pending is a layer to store.
type pending struct {
	shape  string
	desc   ocispec.Descriptor
	diffID digest.Digest
	path   string
}

var _ assemble.SignedCache = (*Cache)(nil)

// New returns the cache repository REGISTRY/REPO (no tag or digest), reached
// with opts. warn receives the one line said when the repository cannot be
// used; the build then goes on without it.
func New(repo string, opts *registry.Options, warn func(string)) (*Cache, error) {
	ref, err := registry.ParseReference(repo)
	if err != nil {
		return nil, err
	}
	// ParseReference gives a bare name the tag "latest": an explicit one
	// (REPO:latest) is refused like any other tag.
	if named, err := reference.ParseNormalizedNamed(repo); err != nil || !reference.IsNameOnly(named) {
		return nil, fmt.Errorf("%q: name a repository, without tag or digest", repo)
	}
	ref.Tag = ""
	return &Cache{repo: ref, opts: opts, warn: warn, signed: map[string]bool{}}, nil
}

// WithKeys makes the cache sign the records it stores with keys.Sign and
// believe the records signed by keys.Trust (or Sign). It returns c.
func (c *Cache) WithKeys(keys Keys) *Cache {
	c.keys = keys
	return c
}

// Signed reports whether Lookup found the record of desc and diffID signed
// by a trusted key.
func (c *Cache) Signed(desc ocispec.Descriptor, diffID digest.Digest) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.signed[signedKey(desc, diffID)]
}

// signedKey names a record's claims in Cache.signed.
func signedKey(desc ocispec.Descriptor, diffID digest.Digest) string {
	return desc.Digest.String() + " " + diffID.String()
}

// Repository returns the cache repository.
func (c *Cache) Repository() registry.Reference { return c.repo }

// Name returns the cache repository's name, REGISTRY/REPO: the origin the
// local layer cache records for the layers taken from it.
func (c *Cache) Name() string { return c.repo.Name() }

// Domain returns the cache repository's registry, host[:port].
func (c *Cache) Domain() string { return c.repo.Domain }

// session opens the repository once; nil when the cache is off.
func (c *Cache) session(ctx context.Context) *registry.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return nil
	}
	if c.sess == nil {
		s, err := registry.NewSession(ctx, c.opts, c.repo)
		if err != nil {
			c.disable(err)
			return nil
		}
		c.sess = s
	}
	return c.sess
}

// fail turns the cache off after err, warning once.
func (c *Cache) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.disable(err)
}

func (c *Cache) disable(err error) {
	if c.off {
		return
	}
	c.off = true
	if c.warn != nil {
		c.warn(fmt.Sprintf("cache repository %s: %v; building without it", c.repo.Name(), err))
	}
}

// tagged returns the record reference of shape.
func (c *Cache) tagged(shape string) registry.Reference {
	r := c.repo
	r.Tag = TagPrefix + shape
	return r
}

// Lookup returns the layer blob and DiffID recorded under shape, when the
// record is well formed and is for mediaType. A missing record is a quiet
// miss; any other failure turns the cache off with a warning.
func (c *Cache) Lookup(ctx context.Context, shape, mediaType string) (ocispec.Descriptor, digest.Digest, bool) {
	sess := c.session(ctx)
	if sess == nil || ctx.Err() != nil {
		return ocispec.Descriptor{}, "", false
	}
	name, desc, err := sess.Resolver.Resolve(ctx, c.tagged(shape).String())
	if errdefs.IsNotFound(err) {
		return ocispec.Descriptor{}, "", false
	}
	if err != nil {
		if ctx.Err() == nil {
			c.fail(sess.Explain("pull", err))
		}
		return ocispec.Descriptor{}, "", false
	}
	if !imageio.IsManifest(desc.MediaType) || desc.Size > maxRecord {
		return ocispec.Descriptor{}, "", false
	}
	data, err := c.fetch(ctx, name, desc)
	if err != nil {
		return ocispec.Descriptor{}, "", false
	}
	layer, diffID, ann, ok := parseRecord(data, shape, mediaType)
	if ok && signedBy(c.keys.trusted(), ann, shape, layer, diffID) {
		c.mu.Lock()
		c.signed[signedKey(layer, diffID)] = true
		c.mu.Unlock()
	}
	return layer, diffID, ok
}

// fetch reads a small blob or manifest, verified.
func (c *Cache) fetch(ctx context.Context, name string, desc ocispec.Descriptor) ([]byte, error) {
	f, err := c.sess.Resolver.Fetcher(ctx, name)
	if err != nil {
		return nil, err
	}
	rc, err := f.Fetch(ctx, desc)
	if err != nil {
		return nil, err
	}
	vr, err := imageio.Verify(rc, desc)
	if err != nil {
		return nil, err
	}
	defer vr.Close()
	return io.ReadAll(io.LimitReader(vr, maxRecord+1))
}

// parseRecord checks a record manifest and returns its layer, DiffID and
// annotations.
func parseRecord(data []byte, shape, mediaType string) (ocispec.Descriptor, digest.Digest, map[string]string, bool) {
	var m ocispec.Manifest
	if json.Unmarshal(data, &m) != nil || m.ArtifactType != ArtifactType || len(m.Layers) != 1 {
		return ocispec.Descriptor{}, "", nil, false
	}
	l := m.Layers[0]
	d := digest.Digest(m.Annotations[AnnotationDiffID])
	if l.MediaType != mediaType || imageio.CheckDescriptor(l) != nil || d.Validate() != nil || m.Annotations[AnnotationShape] != shape {
		return ocispec.Descriptor{}, "", nil, false
	}
	return ocispec.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size}, d, m.Annotations, true
}

// Open streams a blob from the repository; reading it to EOF fails unless
// it matches desc.
func (c *Cache) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	sess := c.session(ctx)
	if sess == nil {
		return nil, errors.New("cache repository off")
	}
	return c.open(ctx, sess, desc)
}

// openLeft is Open for a blob this build left in the repository: read
// even once the cache is off (after another layer's failure), as nothing
// else holds it.
func (c *Cache) openLeft(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if sess == nil {
		return c.Open(ctx, desc)
	}
	return c.open(ctx, sess, desc)
}

// open streams desc from the repository through sess, verified.
func (c *Cache) open(ctx context.Context, sess *registry.Session, desc ocispec.Descriptor) (io.ReadCloser, error) {
	f, err := sess.Resolver.Fetcher(ctx, c.repo.Name())
	if err != nil {
		return nil, err
	}
	rc, err := f.Fetch(ctx, desc)
	if err != nil {
		return nil, sess.Explain("pull", err)
	}
	return imageio.Verify(rc, desc)
}

// Has reports whether the repository holds the blob desc, with its size
// (a HEAD request). A missing blob is a quiet no; any other failure (a
// registry that stalls or refuses) turns the cache off with a warning, as
// in Lookup, so that the layers after it do not wait for it again.
func (c *Cache) Has(ctx context.Context, desc ocispec.Descriptor) bool {
	sess := c.session(ctx)
	if sess == nil || ctx.Err() != nil {
		return false
	}
	_, got, err := sess.Resolver.Resolve(ctx, c.repo.Name()+"@"+desc.Digest.String())
	if err != nil && !errdefs.IsNotFound(err) && ctx.Err() == nil {
		c.fail(sess.Explain("pull", err))
	}
	return err == nil && got.Digest == desc.Digest && got.Size == desc.Size
}

// Store queues a layer this build wrote (its blob's descriptor, DiffID
// and local file); Push sends it.
func (c *Cache) Store(shape string, desc ocispec.Descriptor, diffID digest.Digest, path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.off {
		c.pending = append(c.pending, pending{shape: shape, desc: desc, diffID: diffID, path: path})
	}
}

// Source returns the blob source of a layer fetched from the repository
// and held in the local file path, or, with path "", of one left there
// (read from the repository, verified).
func (c *Cache) Source(desc ocispec.Descriptor, path string) resolve.BlobSource {
	return &fetched{c: c, path: path, desc: desc}
}

// fetched is a layer blob taken from the cache repository, held locally
// unless its path is "".
type fetched struct {
	c    *Cache // its repository is the blob's origin
	path string
	desc ocispec.Descriptor
}

var (
	_ resolve.Pather  = (*fetched)(nil)
	_ registry.Origin = (*fetched)(nil)
)

// Open reads the local file, else the blob in the repository, verified.
func (f *fetched) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if desc.Digest != f.desc.Digest {
		return nil, fmt.Errorf("blob %s: not in this source", desc.Digest)
	}
	if f.path == "" {
		return f.c.openLeft(ctx, f.desc)
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, err
	}
	return imageio.Verify(fh, desc)
}

// Path returns the local file, "" for a blob left in the repository.
func (f *fetched) Path(desc ocispec.Descriptor) string {
	if desc.Digest != f.desc.Digest {
		return ""
	}
	return f.path
}

// Origin returns the cache repository, which a push to the same registry
// mounts the blob from.
func (f *fetched) Origin(ocispec.Descriptor) (registry.Reference, bool) { return f.c.repo, true }
