package resolve

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/containerd/containerd/v2/core/remotes"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/cache"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/trust"
	"github.com/ybuild/ybuild/registry"
)

// remote reads one repository of one registry through containerd's
// resolver and fetcher, with the blob cache in front.
type remote struct {
	ref      registry.Reference
	offline  bool
	sess     *registry.Session
	cache    *cache.Cache
	progress Progress
	trust    *trust.Store

	fetcherOnce sync.Once
	fetcher     remotes.Fetcher
	fetcherErr  error
	flights     flights // blobs being prefetched
}

// newRemote prepares access to ref's repository; it sends no request.
func newRemote(ctx context.Context, ref registry.Reference, opts Options) (*remote, error) {
	sess, err := registry.NewSession(ctx, opts.Registry, ref)
	if err != nil {
		return nil, fmt.Errorf("base %w", err)
	}
	return &remote{
		ref: ref, offline: opts.Registry != nil && opts.Registry.Offline, sess: sess,
		cache: cache.New(opts.CacheDir), progress: opts.Progress, trust: opts.Trust,
	}, nil
}

// resolve returns the descriptor of the reference's top-level manifest or
// index. A digest-pinned reference whose manifest is cached needs no
// request; offline, a tag resolves to what it last resolved to.
func (rem *remote) resolve(ctx context.Context) (ocispec.Descriptor, error) {
	key := rem.ref.String()
	if desc, ok := rem.cache.Ref(key); ok && (rem.ref.Digest != "" || rem.offline) && rem.cache.Has(desc) {
		return desc, nil
	}
	if desc, ok := rem.cachedByDigest(); ok {
		return desc, nil
	}
	if rem.offline {
		return ocispec.Descriptor{}, fmt.Errorf("base %s: no cached manifest for this reference in %s; build once online: %w",
			rem.ref, rem.cacheDir(), registry.ErrOffline)
	}
	_, desc, err := rem.sess.Resolver.Resolve(ctx, key)
	if err != nil {
		return ocispec.Descriptor{}, rem.sess.Explain("pull", err)
	}
	if rem.ref.Digest != "" && desc.Digest != rem.ref.Digest {
		return ocispec.Descriptor{}, fmt.Errorf("base %s: registry returned %s: %w", rem.ref, desc.Digest, imageio.ErrDigestMismatch)
	}
	if imageio.IsSchema1(desc.MediaType) {
		// Refused before fetching: registries serve manifests only from
		// /manifests/, and containerd fetches schema 1 from /blobs/ (404).
		return ocispec.Descriptor{}, fmt.Errorf("base %s: %s: %w: %s", rem.ref, desc.Digest, ErrUnsupported, schema1Hint)
	}
	desc = ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}
	if err := rem.cache.PutRef(key, desc); err != nil {
		return ocispec.Descriptor{}, err
	}
	return desc, nil
}

// cacheDir names the cache for messages.
func (rem *remote) cacheDir() string {
	if rem.cache == nil {
		return "(no cache directory)"
	}
	return rem.cache.Dir()
}

// open fetches desc from the registry (no cache), unverified; its errors,
// including those of reading, name the reference and what to try.
func (rem *remote) open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if rem.offline {
		return nil, fmt.Errorf("base %s: blob %s (%s, %d bytes) is not in the cache %s: %w",
			rem.ref, desc.Digest, desc.MediaType, desc.Size, rem.cacheDir(), registry.ErrOffline)
	}
	rem.fetcherOnce.Do(func() { rem.fetcher, rem.fetcherErr = rem.sess.Resolver.Fetcher(ctx, rem.ref.Name()) })
	if rem.fetcherErr != nil {
		return nil, rem.sess.Explain("pull", rem.fetcherErr)
	}
	explain := func(err error) error {
		return rem.sess.Explain("pull", fmt.Errorf("blob %s: %w", desc.Digest, err))
	}
	rc, err := rem.sess.Fetch(ctx, rem.fetcher, desc)
	if err != nil {
		return nil, explain(err)
	}
	// The download starts at the first Read: explain its errors too.
	return &explainReader{ReadCloser: rc, explain: explain}, nil
}

// explainReader passes read errors other than io.EOF through explain.
type explainReader struct {
	io.ReadCloser
	explain func(error) error
}

// Read reads, explaining errors.
func (r *explainReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = r.explain(err)
	}
	return n, err
}

// cachedByDigest finds a digest-pinned reference's manifest in the cache
// when no ref record exists (e.g. it was cached as a child of an index),
// reading its media type from the content.
func (rem *remote) cachedByDigest() (ocispec.Descriptor, bool) {
	if rem.cache == nil || rem.ref.Digest == "" || rem.ref.Digest.Validate() != nil {
		return ocispec.Descriptor{}, false
	}
	fi, err := os.Stat(rem.cache.BlobPath(rem.ref.Digest))
	if err != nil || fi.Size() > maxJSON {
		return ocispec.Descriptor{}, false
	}
	desc := ocispec.Descriptor{Digest: rem.ref.Digest, Size: fi.Size()}
	data, err := rem.cache.ReadAll(desc)
	if err != nil {
		return ocispec.Descriptor{}, false
	}
	switch k, mt := classify("", data); {
	case k == kindIndex && mt == "":
		desc.MediaType = ocispec.MediaTypeImageIndex
	case k == kindManifest && mt == "":
		desc.MediaType = ocispec.MediaTypeImageManifest
	case k == kindIndex || k == kindManifest:
		desc.MediaType = mt
	default:
		return ocispec.Descriptor{}, false
	}
	return desc, true
}
