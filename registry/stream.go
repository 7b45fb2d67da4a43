package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/pkg/reference"
	"github.com/opencontainers/go-digest"
)

// Upload is a blob upload whose digest is known only at its end: the
// distribution spec's streamed upload (POST to open a session, one PATCH
// whose body is streamed as it is written, PUT with the digest to
// commit). containerd's pusher needs the digest before the first byte, so
// ybuild uses this to send a layer while it is still being compressed.
// Authentication goes through the host's containerd authorizer, with the
// same credentials, TLS options and retries as every other request; the
// PATCH itself cannot be replayed, so a failure ends the upload and the
// caller uploads the finished blob the usual way.
type Upload struct {
	host     docker.RegistryHost
	ctx      context.Context // the push scope
	cancel   context.CancelFunc
	location *url.URL      // the session's, once the POST has answered
	patched  chan struct{} // closed when the POST or the PATCH has ended
	patchErr error         // their outcome, set before patched is closed
	next     *url.URL      // the PATCH response's Location
	abort    sync.Once
}

// StartUpload opens a streamed upload session in the session's repository
// and sends body, read until EOF, as the blob's content, both in the
// background: the caller never waits for the registry here (a registry
// that stalls the POST holds only the upload, which the caller can drop).
// Commit reports a failure. A body that implements io.WriterTo writes its
// chunks straight to the connection.
func (s *Session) StartUpload(ctx context.Context, body io.Reader) (*Upload, error) {
	host, err := s.pushHost()
	if err != nil {
		return nil, err
	}
	spec, err := reference.Parse(s.ref.Name())
	if err != nil {
		return nil, err
	}
	scoped, err := docker.ContextWithRepositoryScope(ctx, spec, true)
	if err != nil {
		return nil, err
	}
	scoped, cancel := context.WithCancel(scoped)
	u := &Upload{host: host, ctx: scoped, cancel: cancel, patched: make(chan struct{})}
	start := &url.URL{Scheme: host.Scheme, Host: host.Host, Path: host.Path + "/" + s.ref.Path + "/blobs/uploads/"}
	go func() {
		u.patchErr = u.run(start, body)
		close(u.patched)
	}()
	return u, nil
}

// Done is closed once the upload's requests have ended: the body sent, or
// the upload refused, broken or aborted; Commit then says which.
func (u *Upload) Done() <-chan struct{} { return u.patched }

// pushHost returns the first host of the session's registry that can push.
func (s *Session) pushHost() (docker.RegistryHost, error) {
	hosts, err := s.hosts(s.ref.Domain)
	if err != nil {
		return docker.RegistryHost{}, err
	}
	for _, h := range hosts {
		if h.Capabilities.Has(docker.HostCapabilityPush) {
			return h, nil
		}
	}
	return docker.RegistryHost{}, fmt.Errorf("%s: no push host", s.ref.Domain)
}

// run opens the upload session (POST) and sends body in one PATCH.
func (u *Upload) run(start *url.URL, body io.Reader) error {
	resp, err := u.send(http.MethodPost, start, nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("start upload: %s", resp.Status)
	}
	if u.location, err = uploadLocation(start, resp); err != nil {
		return err
	}
	resp, err = u.send(http.MethodPatch, u.location, body)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("upload: %s", resp.Status)
	}
	u.next, err = uploadLocation(u.location, resp)
	return err
}

// abortTimeout bounds the request that drops an aborted upload session.
const abortTimeout = 5 * time.Second

// Commit waits for the body's end and commits the blob as dgst. The
// registry checks the digest.
func (u *Upload) Commit(dgst digest.Digest) error {
	defer u.cancel()
	<-u.patched
	if u.patchErr != nil {
		return u.patchErr
	}
	put := *u.next
	q := put.Query()
	q.Set("digest", dgst.String())
	put.RawQuery = q.Encode()
	resp, err := u.send(http.MethodPut, &put, nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("commit upload of %s: %s", dgst, resp.Status)
	}
	return nil
}

// Abort stops the upload and, in the background for at most
// abortTimeout, asks the registry to drop the session (registries also
// expire abandoned sessions). Only the first call does anything.
func (u *Upload) Abort() { u.abort.Do(u.doAbort) }

// doAbort is Abort.
func (u *Upload) doAbort() {
	u.cancel()
	<-u.patched
	go u.drop()
}

// drop sends the DELETE that ends an aborted upload session, if the
// registry opened one.
func (u *Upload) drop() {
	if u.location == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), abortTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u.location.String(), nil)
	if err != nil {
		return
	}
	if resp, err := u.do(ctx, req); err == nil {
		resp.Body.Close()
	}
}

// send makes one request to target, authorized, answering one
// authentication challenge (only a request without a body is sent again).
func (u *Upload) send(method string, target *url.URL, body io.Reader) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(u.ctx, method, target.String(), body)
		if err != nil {
			return nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/octet-stream")
			req.ContentLength = -1
		}
		resp, err := u.do(u.ctx, req)
		if err != nil || resp.StatusCode != http.StatusUnauthorized || attempt > 0 || body != nil {
			return resp, err
		}
		err = u.host.Authorizer.AddResponses(u.ctx, []*http.Response{resp})
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, target.Redacted(), err)
		}
	}
}

// do authorizes req with the host's authorizer and headers and sends it.
func (u *Upload) do(ctx context.Context, req *http.Request) (*http.Response, error) {
	for k, v := range u.host.Header {
		req.Header[k] = v
	}
	if u.host.Authorizer != nil {
		if err := u.host.Authorizer.Authorize(ctx, req); err != nil {
			return nil, err
		}
	}
	c := u.host.Client
	if c == nil {
		c = http.DefaultClient
	}
	return c.Do(req)
}

// uploadLocation resolves the Location header of an upload response
// against the request's URL (registries answer absolute or relative). A
// location on another host is refused (the caller then uploads the usual
// way), and the request's scheme is kept: a registry behind TLS that names
// an http:// location (or one reached through the plain-HTTP fallback,
// which the transport remembers) never gets credentials in clear text.
func uploadLocation(base *url.URL, resp *http.Response) (*url.URL, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, errors.New("upload: no Location in the registry's answer")
	}
	u, err := base.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("upload location: %w", err)
	}
	if !strings.EqualFold(u.Host, base.Host) {
		return nil, fmt.Errorf("upload location %s leaves %s", u.Redacted(), base.Host)
	}
	u.Scheme, u.User = base.Scheme, nil
	return u, nil
}
