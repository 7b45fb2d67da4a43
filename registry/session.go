package registry

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
)

// Session is access to one repository, for pulling or pushing: a
// containerd resolver with its own push tracker (the tracker is keyed by
// blob, not by repository, so each target repository needs a fresh one)
// and the credentials lookup, so that errors can say where credentials
// came from. It keeps the context it was opened with for credential
// helpers, which containerd calls without one: cancelling it stops them.
type Session struct {
	// Resolver is the containerd resolver (hosts, TLS, retries, auth).
	Resolver remotes.Resolver
	hosts    docker.RegistryHosts
	ref      Reference
	creds    *credentials
	policy   retryPolicy
}

// NewSession opens registry access for ref's repository; it sends no
// request. In offline mode every request fails with ErrOffline.
func NewSession(ctx context.Context, opts *Options, ref Reference) (*Session, error) {
	opts = opts.orDefault()
	creds := opts.credentials(ctx)
	hosts, err := opts.hosts(ctx, creds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return &Session{Resolver: newResolver(hosts), hosts: hosts, ref: ref, creds: creds, policy: opts.retryPolicy()}, nil
}

// Reference returns the reference the session was opened for.
func (s *Session) Reference() Reference { return s.ref }

// Explain wraps err from operation op ("pull", "push") with the host and
// repository, the error's kind (ErrUnauthorized, ErrNotFound,
// ErrRegistryUnreachable...), where credentials were found (never the
// secret) and what to try.
func (s *Session) Explain(op string, err error) error {
	return wrapRegistryErr(op, s.ref, s.creds, err)
}
