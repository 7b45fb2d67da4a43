package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"slices"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	dconfig "github.com/containerd/containerd/v2/core/remotes/docker/config"

	"github.com/ybuild/ybuild/internal/inputerr"
)

// newResolver returns a containerd resolver for hosts, with a fresh push
// tracker: the tracker is keyed by blob, not by repository, so every target
// repository needs its own.
func newResolver(hosts docker.RegistryHosts) remotes.Resolver {
	return docker.NewResolver(docker.ResolverOptions{
		Hosts:   hosts,
		Tracker: docker.NewInMemoryTracker(),
	})
}

// hosts returns the containerd RegistryHosts for the options. Loopback
// registries try TLS first and fall back to plain HTTP when the server
// answers in HTTP; --insecure-registry hosts skip certificate verification
// and fall back to plain HTTP when HTTPS fails for any reason
// (insecureFallback). Every
// other host uses verified TLS, unless a hosts.toml says otherwise.
// Redirects keep credentials on their origin (withRedirectAuth).
func (o *Options) hosts(ctx context.Context, creds *credentials) (docker.RegistryHosts, error) {
	secure, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	insecure := secure.Clone()
	insecure.InsecureSkipVerify = true
	base := dconfig.HostOptions{
		Credentials:  creds.lookup,
		UpdateClient: o.updateClient,
	}
	if o.HostsDir != "" {
		base.HostDir = dconfig.HostDirFromRoot(o.HostsDir)
	}
	plain := &plainHosts{}
	return func(host string) ([]docker.RegistryHost, error) {
		opts := base
		opts.DefaultTLS = secure
		switch {
		case o.isInsecure(host):
			opts.DefaultTLS, opts.DefaultScheme = insecure, "http"
			opts.UpdateClient = func(c *http.Client) error { return o.updateInsecureClient(c, plain) }
		case docker.IsLocalhost(host):
			// "http" with a TLS config means: try verified TLS, fall back to
			// plain HTTP when the server answers in HTTP.
			opts.DefaultScheme = "http"
		}
		if o.Offline {
			return nil, fmt.Errorf("registry %s: network access in offline mode: %w", host, ErrOffline)
		}
		hosts, err := dconfig.ConfigureHosts(ctx, opts)(host)
		if err != nil {
			return nil, err
		}
		return withRedirectAuth(hosts), nil
	}, nil
}

// isInsecure reports whether host (host or host:port) was named insecure.
func (o *Options) isInsecure(host string) bool {
	if slices.Contains(o.Insecure, host) {
		return true
	}
	h, _, err := net.SplitHostPort(host)
	return err == nil && slices.Contains(o.Insecure, h)
}

// maxCAFile bounds a CA file (a system bundle is about 200 KiB).
const maxCAFile = 4 << 20

// tlsConfig returns the verified TLS config: the system pool plus CAFiles.
func (o *Options) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(o.CAFiles) == 0 {
		return cfg, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range o.CAFiles {
		// Regular files only: every session reads them again, so a pipe
		// would be empty the second time. A missing or unusable CA file is
		// the user's to fix (exit 2).
		pem, err := inputerr.ReadFile(f, maxCAFile)
		if err != nil {
			return nil, fmt.Errorf("read ca file: %w%.0w", err, inputerr.ErrInput)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca file %s: no PEM certificates%.0w", f, inputerr.ErrInput)
		}
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// updateInsecureClient is updateClient for an insecure host: the retries
// wrap the plain-HTTP fallback.
func (o *Options) updateInsecureClient(c *http.Client, plain *plainHosts) error {
	if _, ok := c.Transport.(*retryTransport); ok {
		return nil
	}
	c.Transport = &retryTransport{next: o.watchIdle(insecureTransport(o.headerBackstop(c.Transport), plain)), policy: o.retryPolicy()}
	return nil
}

// updateClient wraps the client's transport with retries and the idle
// watch (once).
func (o *Options) updateClient(c *http.Client) error {
	if _, ok := c.Transport.(*retryTransport); ok {
		return nil
	}
	c.Transport = &retryTransport{next: o.watchIdle(o.headerBackstop(c.Transport)), policy: o.retryPolicy()}
	return nil
}
