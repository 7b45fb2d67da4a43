package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/inputerr"
)

// Registry errors. Every error of Explain wraps at most one of them, or
// imageio.ErrDigestMismatch; check with errors.Is.
var (
	// ErrNotFound is returned when the registry has no such repository, tag
	// or blob.
	ErrNotFound = errors.New("not found")
	// ErrUnsupported is returned for content ybuild cannot use, such as
	// Docker schema 1 manifests.
	ErrUnsupported = inputerr.New("unsupported base image")
	// ErrUnauthorized is returned when the registry refuses access (401/403):
	// missing or wrong credentials, or no permission on the repository.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrOffline is returned when offline mode needs something the cache lacks.
	ErrOffline = errors.New("not in the cache and offline")
	// ErrCredentials is returned when a credentials file or helper fails.
	ErrCredentials = errors.New("cannot read credentials")
	// ErrRegistryUnreachable is returned for network failures talking to a registry.
	ErrRegistryUnreachable = errors.New("registry unreachable")
)

// classifyRemoteErr maps a containerd remotes error to a sentinel and a hint; the
// sentinel is nil when the error is none of the known kinds.
func classifyRemoteErr(err error) (sentinel error, hint string) {
	var status remoteerrors.ErrUnexpectedStatus
	switch {
	case errors.Is(err, ErrOffline), errors.Is(err, imageio.ErrDigestMismatch),
		errors.Is(err, ErrUnsupported), errors.Is(err, ErrCredentials),
		errors.Is(err, ErrUnauthorized), errors.Is(err, ErrNotFound):
		return nil, ""
	case errors.Is(err, docker.ErrInvalidAuthorization):
		return ErrUnauthorized, ""
	case errors.As(err, &status) && (status.StatusCode == 401 || status.StatusCode == 403):
		return ErrUnauthorized, ""
	case errdefs.IsNotFound(err):
		return ErrNotFound, "check the repository name and the tag or digest"
	case errdefs.IsNotImplemented(err):
		return ErrUnsupported, "Docker schema 1 images are not supported; push the image again with a current client"
	case isStall(err):
		return ErrRegistryUnreachable, "the registry stopped sending or reading data: check the network, or raise --registry-idle-timeout for a slow link"
	case isCertErr(err):
		return ErrRegistryUnreachable, "the registry's TLS certificate is not trusted: add its CA with --ca-file or SSL_CERT_FILE, or, for a test registry, use --insecure-registry HOST"
	case isNetErr(err):
		return ErrRegistryUnreachable, "check the address, the network, proxy settings, or use --insecure-registry for a plain-HTTP registry"
	}
	return nil, ""
}

// isCertErr reports whether err is a failed TLS certificate verification.
func isCertErr(err error) bool {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host) || errors.As(err, &verify)
}

// isStall reports whether err is a request that went idle (stallError).
func isStall(err error) bool {
	var se *stallError
	return errors.As(err, &se)
}

// isNetErr reports whether err comes from the network or TLS.
func isNetErr(err error) bool {
	var ne net.Error
	var op *net.OpError
	return errors.As(err, &ne) || errors.As(err, &op)
}

// wrapRegistryErr explains err for an operation ("pull", "push") on ref:
// which host and repository, the kind of failure, where credentials came
// from (never the secret) and what to try.
func wrapRegistryErr(op string, ref Reference, creds *credentials, err error) error {
	if err == nil {
		return nil
	}
	return creds.scrub(explain(op, ref, creds, err))
}

// explain adds the operation, the reference, the kind and the hint to err.
func explain(op string, ref Reference, creds *credentials, err error) error {
	sentinel, hint := classifyRemoteErr(err)
	if sentinel == nil {
		return fmt.Errorf("%s %s: %w", op, ref, err)
	}
	if sentinel == ErrUnauthorized || sentinel == ErrNotFound {
		hint = joinHint(credHint(ref, creds), hint)
	}
	if hint != "" {
		return fmt.Errorf("%s %s: %w (%s): %w", op, ref, sentinel, hint, err)
	}
	return fmt.Errorf("%s %s: %w: %w", op, ref, sentinel, err)
}

// joinHint joins two hints with "; ".
func joinHint(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// credHint says whether credentials were used for ref's registry and from where.
func credHint(ref Reference, creds *credentials) string {
	login := "docker login " + ref.Domain
	if ref.Domain == "docker.io" {
		login = "docker login"
	}
	if creds == nil {
		return "run " + login
	}
	for _, h := range ref.credentialHosts() {
		if src, ok := creds.source(h); ok && src != "" {
			return "credentials from " + src + " were used; check them, the repository name and your access to it, or run " + login
		}
	}
	return "no credentials found for " + ref.Domain + " in " + creds.describeFiles() + "; run " + login
}

// describeFiles lists the credential files looked in.
func (c *credentials) describeFiles() string {
	if len(c.files) == 0 {
		return "(no credential files configured)"
	}
	s := c.files[0]
	for _, f := range c.files[1:] {
		s += ", " + f
	}
	return s
}
