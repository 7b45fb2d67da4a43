package registry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
)

// Retry defaults: at most 4 retries, backoff from 250ms doubling to 4s, at
// most 15s of waiting in total per request.
const (
	defaultRetries      = 4
	defaultRetryBackoff = 250 * time.Millisecond
	maxRetryBackoff     = 4 * time.Second
	defaultRetryBudget  = 15 * time.Second
)

// retryPolicy bounds the retries of one request.
type retryPolicy struct {
	retries int           // retries after the first attempt
	backoff time.Duration // first wait; doubles each retry up to maxRetryBackoff
	budget  time.Duration // total waiting allowed
}

// retryPolicy returns the options' policy with defaults filled in.
func (o *Options) retryPolicy() retryPolicy {
	p := retryPolicy{retries: o.Retries, backoff: o.RetryBackoff, budget: defaultRetryBudget}
	if p.retries == 0 {
		p.retries = defaultRetries
	}
	if p.retries < 0 {
		p.retries = 0
	}
	if p.backoff <= 0 {
		p.backoff = defaultRetryBackoff
	}
	return p
}

// retryTransport retries requests that failed with 429, a 5xx status or a
// broken connection, with exponential backoff (honouring Retry-After). Only
// requests whose body can be replayed are retried: body-less requests and
// requests with GetBody and an idempotent method. Uploads that containerd
// streams through a pipe are retried by containerd itself (content.ErrReset).
type retryTransport struct {
	next   http.RoundTripper
	policy retryPolicy
}

// RoundTrip sends req, retrying transient failures within the policy.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	wait, waited := t.policy.backoff, time.Duration(0)
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if attempt >= t.policy.retries || !retryable(req, resp, err) {
			return resp, err
		}
		d := retryAfter(resp, wait)
		if waited+d > t.policy.budget {
			return resp, err
		}
		next, rerr := rewind(req)
		if rerr != nil {
			return resp, err
		}
		if resp != nil {
			drain(resp)
		}
		if err := sleep(req.Context(), d); err != nil {
			return nil, err
		}
		req, waited, wait = next, waited+d, min(wait*2, maxRetryBackoff)
	}
}

// retryable reports whether the outcome is transient and req replayable.
func retryable(req *http.Request, resp *http.Response, err error) bool {
	if !replayable(req) {
		return false
	}
	if err != nil {
		return transientErr(err)
	}
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
}

// replayable reports whether req can be sent again.
func replayable(req *http.Request) bool {
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return req.GetBody != nil
	}
	return false
}

// rewind returns a copy of req ready to be sent again.
func rewind(req *http.Request) (*http.Request, error) {
	next := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return next, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	next.Body = body
	return next, nil
}

// transientErr reports whether a transport error is a broken connection or
// a timeout (but not a cancelled context or a TLS/protocol mismatch).
func transientErr(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) { // the transport closed a broken connection under a writer
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "read" || op.Op == "write" || op.Op == "readfrom") {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retryAfter returns the wait before the next attempt: the server's
// Retry-After (in seconds, capped) or the backoff.
func retryAfter(resp *http.Response, backoff time.Duration) time.Duration {
	if resp == nil {
		return backoff
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, maxRetryBackoff)
	}
	return backoff
}

// drain discards a little of the body and closes it so the connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Transient reports whether err is a failure worth trying again: a broken
// connection, a timeout, or a 429 or 5xx answer. A cancelled context is not.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if transientErr(err) {
		return true
	}
	var st remoteerrors.ErrUnexpectedStatus
	return errors.As(err, &st) && (st.StatusCode == http.StatusTooManyRequests || st.StatusCode >= 500 || lostUpload(st))
}

// lostUpload reports whether st is a registry's 404 (BLOB_UPLOAD_UNKNOWN)
// or 416 (the offset does not match what it holds) to a PUT or PATCH of an
// upload session: the session is gone or out of step, as after a
// connection broken or stalled half-way through an upload that containerd
// then sent again to the same session. A new upload may succeed.
func lostUpload(st remoteerrors.ErrUnexpectedStatus) bool {
	lost := st.StatusCode == http.StatusNotFound || st.StatusCode == http.StatusRequestedRangeNotSatisfiable
	return lost && (st.RequestMethod == http.MethodPut || st.RequestMethod == http.MethodPatch) &&
		strings.Contains(st.RequestURL, "/blobs/uploads/")
}

// Retry calls op until it succeeds, fails with an error that is not
// Transient, or the session's retries are used up, waiting the retry
// policy's backoff between attempts. It returns op's last error.
func (s *Session) Retry(ctx context.Context, op func() error) error {
	wait := s.policy.backoff
	for attempt := 0; ; attempt++ {
		err := op()
		if err == nil || attempt >= s.policy.retries || !Transient(err) {
			return err
		}
		if serr := sleep(ctx, wait); serr != nil {
			return err
		}
		wait = min(wait*2, maxRetryBackoff)
	}
}
