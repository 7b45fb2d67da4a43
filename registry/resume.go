package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/containerd/containerd/v2/core/remotes"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxResumes bounds the resumes of one download, progress or not.
const maxResumes = 32

// Fetch returns a reader of desc from fetcher that survives a broken
// download: on a transient read error (a reset or closed connection, an
// unexpected EOF, a timeout) it waits as the retry policy says and asks
// again from where it stopped, with a Range request. It gives up after
// the policy's retries in a row without a byte of progress, or maxResumes
// in all. The reader does not verify the content: wrap it in an
// imageio.Reader, which checks the digest of the whole.
func (s *Session) Fetch(ctx context.Context, fetcher remotes.Fetcher, desc ocispec.Descriptor) (io.ReadCloser, error) {
	rc, err := fetcher.Fetch(ctx, desc)
	if err != nil {
		return nil, err
	}
	return &resumeReader{
		ctx: ctx, rc: rc, policy: s.policy,
		open: func(ctx context.Context) (io.ReadCloser, error) { return fetcher.Fetch(ctx, desc) },
	}, nil
}

// resumeReader reads a download, reopening it at its offset after a
// transient failure.
type resumeReader struct {
	ctx    context.Context
	open   func(context.Context) (io.ReadCloser, error)
	rc     io.ReadCloser
	policy retryPolicy
	off    int64
	stuck  int // resumes since the last byte read
	total  int // resumes in all
}

// Read reads, resuming after transient errors.
func (r *resumeReader) Read(p []byte) (int, error) {
	for {
		if err := r.reopen(); err != nil {
			return 0, err
		}
		n, err := r.rc.Read(p)
		r.off += int64(n)
		if n > 0 {
			r.stuck = 0
		}
		if err == nil || errors.Is(err, io.EOF) || !transientErr(err) {
			return n, err
		}
		if r.stuck >= r.policy.retries || r.total >= maxResumes {
			return n, fmt.Errorf("after %d resumes: %w", r.total, err)
		}
		_ = r.rc.Close()
		r.rc = nil
		r.stuck++
		r.total++
		if serr := sleep(r.ctx, r.backoff()); serr != nil {
			return n, serr
		}
		if n > 0 {
			return n, nil
		}
	}
}

// backoff returns the wait before the next resume.
func (r *resumeReader) backoff() time.Duration {
	d := r.policy.backoff
	for i := 1; i < r.stuck; i++ {
		d = min(d*2, maxRetryBackoff)
	}
	return d
}

// reopen opens the download again at the offset, if it was broken.
func (r *resumeReader) reopen() error {
	if r.rc != nil {
		return nil
	}
	rc, err := r.open(r.ctx)
	if err != nil {
		return err
	}
	s, ok := rc.(io.Seeker)
	if !ok {
		rc.Close()
		return errors.New("resume download: the fetcher cannot seek")
	}
	if _, err := s.Seek(r.off, io.SeekStart); err != nil {
		rc.Close()
		return fmt.Errorf("resume download at %d: %w", r.off, err)
	}
	r.rc = rc
	return nil
}

// Close closes the current download.
func (r *resumeReader) Close() error {
	if r.rc == nil {
		return nil
	}
	err := r.rc.Close()
	r.rc = nil
	return err
}
