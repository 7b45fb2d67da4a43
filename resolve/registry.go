package resolve

import (
	"context"
	"fmt"
	"time"
)

// RegistryOptions configures registry access: credentials, TLS, mirrors,
// retries and the blob cache. The zero value uses no credentials, the
// system CA pool, no cache and the default retry policy. cmd fills it in
// from flags and the environment; this package never reads either.
type RegistryOptions struct {
	// AuthFiles are docker config.json or containers auth.json files, in
	// order of preference; the first with credentials for a registry wins.
	// Their credsStore and credHelpers run docker-credential-NAME from PATH.
	// Missing files are skipped.
	AuthFiles []string
	// Insecure lists registries (host or host:port) that may be reached over
	// plain HTTP or TLS without certificate verification. Loopback
	// registries (127.0.0.0/8, ::1, localhost) may always use plain HTTP.
	Insecure []string
	// CAFiles are PEM files of CAs trusted in addition to the system pool.
	CAFiles []string
	// HostsDir is a containerd hosts directory (DIR/HOST[:PORT]/hosts.toml,
	// or certs.d style .crt/.cert/.key files) for mirrors and per-host TLS.
	HostsDir string
	// CacheDir is the root of the blob cache (CacheDir/blobs/sha256/...);
	// "" disables caching.
	CacheDir string
	// Offline forbids network access: bases come from the cache alone.
	Offline bool
	// Retries is how many times a request that failed transiently (429,
	// 5xx, broken connection) is retried with backoff; 0 means the default
	// (4), negative none. containerd sends again on top of that (after each
	// 429, once after a repeated 500/503/504), so a registry that keeps
	// failing gets at most 5×(Retries+1) requests.
	Retries int
	// RetryBackoff is the first wait between retries (doubling, at most 4s);
	// 0 means the default (250ms).
	RetryBackoff time.Duration
	// Concurrency bounds parallel blob uploads; 0 means the default (4).
	Concurrency int
}

// orDefault returns o, or the zero options when o is nil.
func (o *RegistryOptions) orDefault() *RegistryOptions {
	if o == nil {
		return &RegistryOptions{}
	}
	return o
}

// openRegistry resolves a registry reference: the manifest or index (by
// digest when pinned), the selected platforms' manifests and configs, each
// verified and cached. Layers are not fetched: Base.Blobs reads them
// lazily, through the cache.
func openRegistry(ctx context.Context, ref string, opts Options) (*Base, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("base %q: %w: %w", ref, ErrInvalidBase, err)
	}
	rem, err := newRemote(ctx, r, opts.Registry.orDefault(), opts.Progress)
	if err != nil {
		return nil, err
	}
	top, err := rem.resolve(ctx)
	if err != nil {
		return nil, err
	}
	b, err := newBase(ctx, baseName(r), top, rem.blobs(), opts)
	if err != nil {
		return nil, fmt.Errorf("base %s: %w", r, err)
	}
	return b, nil
}

// baseName is the base.name annotation: name:tag, or name@digest when the
// reference has no tag.
func baseName(r Reference) string {
	if r.Tag != "" {
		r.Digest = ""
	}
	return r.String()
}
