package resolve

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/remotes"
)

// RegistrySession is access to one repository for pushing: a containerd
// resolver with its own push tracker (the tracker is keyed by blob, not by
// repository, so each target repository needs a fresh one) and the
// credentials lookup, so that errors can say where credentials came from.
type RegistrySession struct {
	// Resolver is the containerd resolver (hosts, TLS, retries, auth).
	Resolver remotes.Resolver
	ref      Reference
	creds    *credentials
}

// Session opens registry access for ref's repository; it sends no request.
// It fails with ErrOffline in offline mode.
func (o *RegistryOptions) Session(ctx context.Context, ref Reference) (*RegistrySession, error) {
	o = o.orDefault()
	if o.Offline {
		return nil, fmt.Errorf("%s: pushing needs the network: %w", ref, ErrOffline)
	}
	creds := o.credentials()
	r, err := o.newResolver(ctx, creds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return &RegistrySession{Resolver: r, ref: ref, creds: creds}, nil
}

// Explain wraps err from operation op ("push") with the host and
// repository, the error's kind (ErrUnauthorized, ErrNotFound,
// ErrRegistryUnreachable...), where credentials were found (never the
// secret) and what to try.
func (s *RegistrySession) Explain(op string, err error) error {
	return wrapRegistryErr(op, s.ref, s.creds, err)
}
