package registry

import "time"

// Options configures registry access: credentials, TLS, mirrors, retries
// and upload concurrency. The zero value uses no credentials, the system
// CA pool and the default retry policy. cmd fills it in from flags and the
// environment; this package never reads either.
type Options struct {
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
	// Offline forbids network access: every request fails with ErrOffline.
	Offline bool
	// Retries is how many times a request that failed transiently (429,
	// 5xx, broken connection) is retried with backoff; 0 means the default
	// (4), negative none. containerd sends again on top of that (after each
	// 429, once after a repeated 500/503/504, after a timeout or a
	// connection closed early; 5 attempts in all), so a registry that keeps
	// failing gets at most 5×(Retries+1) requests.
	Retries int
	// RetryBackoff is the first wait between retries (doubling, at most 4s);
	// 0 means the default (250ms).
	RetryBackoff time.Duration
	// Concurrency bounds parallel blob uploads; 0 means the default (4).
	Concurrency int
	// IdleTimeout is how long a request may go without a byte moving: of
	// an upload's body taken by the connection, of the answer's headers or
	// of its body (a download). A request idle that long is cancelled and
	// fails as a timeout naming the registry, repository and blob or
	// manifest, which the retries and resumed downloads then handle. 0
	// means the default (DefaultIdleTimeout, 60s), negative none.
	IdleTimeout time.Duration
}

// defaultConcurrency is the number of parallel blob uploads when
// Options.Concurrency is 0.
const defaultConcurrency = 4

// orDefault returns o, or the zero options when o is nil.
func (o *Options) orDefault() *Options {
	if o == nil {
		return &Options{}
	}
	return o
}

// UploadConcurrency returns the bound on parallel blob uploads.
func (o *Options) UploadConcurrency() int {
	if o == nil || o.Concurrency <= 0 {
		return defaultConcurrency
	}
	return o.Concurrency
}
