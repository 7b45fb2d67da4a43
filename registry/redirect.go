package registry

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes/docker"
)

// maxRedirects is how many redirects a registry request may follow.
const maxRedirects = 10

// withRedirectAuth gives each host's client a redirect policy that keeps
// credentials on their origin. Registries redirect blob downloads to object
// storage or a CDN; Go's client forwards the Authorization header to any
// URL with the same host name, whatever its port or scheme, so the
// registry's password or token would reach a storage server on another
// port, or travel in clear text after a redirect from https to http.
func withRedirectAuth(hosts []docker.RegistryHost) []docker.RegistryHost {
	for i := range hosts {
		if hosts[i].Client == nil {
			continue
		}
		c := *hosts[i].Client
		c.CheckRedirect = checkRedirect(hosts[i].Authorizer)
		hosts[i].Client = &c
	}
	return hosts
}

// checkRedirect returns the CheckRedirect of a host's client: a redirect
// that leaves the first request's origin (scheme, host and port) drops the
// Authorization header; then, as containerd's default does, the authorizer
// adds the credentials it holds for the new URL's host, if any.
func checkRedirect(a docker.Authorizer) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if !sameOrigin(req.URL, via[0].URL) {
			req.Header.Del("Authorization")
		}
		if a == nil {
			return nil
		}
		if err := a.Authorize(req.Context(), req); err != nil {
			return fmt.Errorf("authorize redirect: %w", err)
		}
		return nil
	}
}

// sameOrigin reports whether a and b have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

// port returns u's port, or the scheme's default.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}
