package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/internal/inputerr"
	"github.com/ybuild/ybuild/internal/trust"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/remotecache"
	"github.com/ybuild/ybuild/resolve"
)

// addSpeedFlags registers the flags about what a build may trust or skip.
func addSpeedFlags(fs *pflag.FlagSet, o *buildOptions) {
	fs.BoolVar(&o.verifyBlobs, "verify-blobs", false, "hash every cached and output blob again instead of trusting the records of earlier checks")
	fs.StringVar(&o.cacheRepo, "cache-repo", "", "REGISTRY/REPO: a layer cache shared between machines through that repository (default $YBUILD_CACHE_REPO)")
	fs.StringVar(&o.cacheSignKey, "cache-sign-key", "", "Ed25519 private key (PEM) that signs the records this build stores in --cache-repo; its records are trusted too (default $YBUILD_CACHE_SIGN_KEY)")
	fs.StringArrayVar(&o.cacheTrustKeys, "cache-trust-key", nil, "Ed25519 public key (PEM) whose signed --cache-repo records are believed without decompressing their blobs; repeatable (default $YBUILD_CACHE_TRUST_KEY)")
}

// cacheKeys reads --cache-sign-key and --cache-trust-key (else their
// environment variables).
func cacheKeys(o *buildOptions) (remotecache.Keys, error) {
	var keys remotecache.Keys
	signPath := o.cacheSignKey
	if signPath == "" {
		signPath = os.Getenv("YBUILD_CACHE_SIGN_KEY")
	}
	if signPath != "" {
		data, err := inputerr.ReadFileOrPipe(signPath, maxKeyFile)
		if err == nil {
			keys.Sign, err = remotecache.ParsePrivateKey(data)
		}
		if err != nil {
			return keys, usageError{fmt.Errorf("--cache-sign-key %s: %w", signPath, err)}
		}
	}
	trustPaths := o.cacheTrustKeys
	if len(trustPaths) == 0 && os.Getenv("YBUILD_CACHE_TRUST_KEY") != "" {
		trustPaths = []string{os.Getenv("YBUILD_CACHE_TRUST_KEY")}
	}
	for _, p := range trustPaths {
		data, err := inputerr.ReadFileOrPipe(p, maxKeyFile)
		var k ed25519.PublicKey
		if err == nil {
			k, err = remotecache.ParsePublicKey(data)
		}
		if err != nil {
			return keys, usageError{fmt.Errorf("--cache-trust-key %s: %w", p, err)}
		}
		keys.Trust = append(keys.Trust, k)
	}
	return keys, nil
}

// newShared returns the shared layer cache of --cache-repo (else
// $YBUILD_CACHE_REPO), or nil. It needs the local layer cache. Problems
// reaching it are one warning line on stderr.
func newShared(o *buildOptions, reg *registry.Options, stderr io.Writer) (*remotecache.Cache, error) {
	repo, from := o.cacheRepo, "--cache-repo"
	if repo == "" {
		repo, from = os.Getenv("YBUILD_CACHE_REPO"), "YBUILD_CACHE_REPO"
	}
	if repo == "" {
		return nil, nil
	}
	var once sync.Once
	warn := func(msg string) { once.Do(func() { fmt.Fprintf(stderr, "ybuild: warning: %s\n", msg) }) }
	c, err := remotecache.New(repo, cacheRegistry(reg), warn)
	if err != nil { // a bad value is an error even when it goes unused
		return nil, usageError{fmt.Errorf("%s: %w", from, err)}
	}
	keys, err := cacheKeys(o)
	if err != nil {
		return nil, err
	}
	if o.noCache || layerCacheDir(o) == "" {
		return nil, nil // the shared cache needs the local one
	}
	return c.WithKeys(keys), nil
}

// cacheIdleTimeout bounds how long a cache repository request may go
// without a byte moving (the registry's own idle timeout when shorter).
const cacheIdleTimeout = 5 * time.Second

// cacheRegistry returns the registry options of the cache repository: those
// of the build, without retries and with an idle timeout of at most
// cacheIdleTimeout. The cache is optional, so a repository that accepts
// connections and never answers costs seconds (containerd's own resends
// of the first request, each ended by the idle timeout), not the minutes
// the build's retries would take, before the one warning.
func cacheRegistry(reg *registry.Options) *registry.Options {
	o := registry.Options{}
	if reg != nil {
		o = *reg
	}
	o.Retries = -1
	if o.IdleTimeout >= 0 && (o.IdleTimeout == 0 || o.IdleTimeout > cacheIdleTimeout) {
		o.IdleTimeout = cacheIdleTimeout
	}
	return &o
}

// pushShared stores the layers this build wrote in the shared cache,
// mounting them from this build's push targets on the same registry.
func pushShared(ctx context.Context, c *remotecache.Cache, writers []output.Writer) {
	if c == nil {
		return
	}
	var from []registry.Reference
	for _, w := range writers {
		if s, ok := strings.CutPrefix(w.Holds().Dest, "docker://"); ok {
			if ref, err := registry.ParseReference(s); err == nil {
				from = append(from, ref)
			}
		}
	}
	c.Push(ctx, from)
}

// newTrust returns the records of verified blob files kept in the cache
// directory (none without one: only what this build verifies is trusted).
func newTrust(o *buildOptions) *trust.Store {
	dir := ""
	if !o.noCache {
		dir = o.registry.cache()
	}
	return trust.New(dir, o.verifyBlobs)
}

// flushTrust records the blobs this build verified or wrote. A file whose
// last change lies in the clock tick its content was known in is left out
// (trust.Flush; waiting would not help): a later build hashes it once and
// records it then. A failure only costs a hash in a later build.
func flushTrust(ts *trust.Store) {
	_, _ = ts.Flush()
}

// prefetchBase downloads the base's layers that are not cached yet into
// the blob cache while the new layers are written, when a local output
// will need them (a push to the base's registry mounts them instead); top
// layer first, the order in which a replace scan reads them, which waits
// for the download instead of fetching the blob a second time. It returns
// a function that waits for the downloads (stopping them first when told
// to, the build having failed); their errors are left for the outputs,
// which fetch again and report.
func prefetchBase(ctx context.Context, base *resolve.Base, cacheDir string, reg *registry.Options, writers []output.Writer) func(stop bool) {
	src, ok := base.Blobs.(resolve.Prefetcher)
	if !ok || cacheDir == "" || (reg != nil && reg.Offline) || !hasLocalOutput(writers) {
		return func(bool) {}
	}
	var layers []ocispec.Descriptor
	for _, im := range base.Images {
		for i := len(im.Manifest.Layers) - 1; i >= 0; i-- {
			layers = append(layers, im.Manifest.Layers[i])
		}
	}
	return src.Prefetch(ctx, layers)
}

// hasLocalOutput reports whether a writer writes a file or directory.
func hasLocalOutput(writers []output.Writer) bool {
	for _, w := range writers {
		if w.Holds().Path != "" {
			return true
		}
	}
	return false
}

// sharedCache returns c as assemble's interface: nil stays nil.
func sharedCache(c *remotecache.Cache) assemble.SharedCache {
	if c == nil {
		return nil
	}
	return c
}
