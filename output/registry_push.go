package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
)

// push is one image being pushed to one repository.
type push struct {
	sess        *registry.Session
	target      registry.Reference
	pusher      remotes.Pusher
	img         *assemble.Image
	progress    resolve.Progress
	concurrency int
	streams     *streams // uploads begun while the layers were written

	// startMu serialises pusher.Push (the HEAD, mount or upload start) while
	// the uploads themselves run concurrently: containerd v2.4.2's bearer
	// authorizer writes a cached token's expiry without its lock, a data
	// race when several requests fetch the first token of a scope at once.
	startMu sync.Mutex
}

// newPush prepares a push of img to the session's reference (name:tag@digest, so that
// children go by digest and only the top-level manifest gets the tag).
func newPush(ctx context.Context, sess *registry.Session, img *assemble.Image, opts Options) (*push, error) {
	target := sess.Reference()
	pusher, err := sess.Resolver.Pusher(ctx, target.String())
	if err != nil {
		return nil, sess.Explain("push", err)
	}
	return &push{
		sess: sess, target: target, pusher: pusher, img: img,
		progress: opts.Progress, concurrency: opts.Registry.UploadConcurrency(),
	}, nil
}

// run pushes layers and configs concurrently, then manifests in order
// (children before the index, the top-level descriptor last).
func (p *push) run(ctx context.Context) error {
	var blobs, manifests []ocispec.Descriptor
	for _, d := range p.img.Blobs() {
		if imageio.IsManifest(d.MediaType) || imageio.IsIndex(d.MediaType) {
			manifests = append(manifests, d)
		} else {
			blobs = append(blobs, d)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.concurrency)
	for _, d := range blobs {
		g.Go(func() error { return p.one(gctx, d) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, d := range manifests {
		if err := p.one(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// one pushes a blob unless the registry has it (HEAD) or can mount it from
// the base's repository on the same registry. A transient failure (a 5xx
// answer, a broken connection) restarts the upload from the beginning (a
// new upload session), within the registry options' retry policy.
func (p *push) one(ctx context.Context, desc ocispec.Descriptor) error {
	p.streams.wait(ctx, desc.Digest) // then the HEAD finds a streamed blob
	var prog *blobProgress
	err := p.sess.Retry(ctx, func() error { return p.attempt(ctx, desc, &prog) })
	var se sourceError
	if errors.As(err, &se) {
		return se.err // reading the blob failed; its error says where
	}
	if err != nil {
		return p.sess.Explain("push", fmt.Errorf("blob %s: %w", desc.Digest, err))
	}
	prog.finish()
	return nil
}

// attempt pushes desc once; *prog is started at the first upload.
func (p *push) attempt(ctx context.Context, desc ocispec.Descriptor, prog **blobProgress) error {
	p.startMu.Lock()
	cw, err := p.pusher.Push(ctx, p.withSource(desc))
	p.startMu.Unlock()
	if errdefs.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer cw.Close()
	if *prog == nil {
		*prog = p.startProgress(desc)
	}
	r, closeFn, err := p.open(ctx, desc)
	if err != nil {
		return sourceError{err}
	}
	defer closeFn()
	err = content.Copy(ctx, cw, (*prog).reader(r), desc.Size, desc.Digest)
	if errdefs.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// sourceError is a failure to open the blob being pushed: never retried,
// and not a registry error of the target.
type sourceError struct{ err error }

// Error returns the source's error.
func (e sourceError) Error() string { return e.err.Error() }

// withSource adds containerd's distribution source annotation to a blob
// that its source reads from a repository on the target's registry, so
// the pusher mounts it from there instead of uploading it.
func (p *push) withSource(desc ocispec.Descriptor) ocispec.Descriptor {
	from, ok := p.origin(desc)
	if !ok || from.Domain != p.target.Domain {
		return desc
	}
	return registry.MountAnnotation(desc, from)
}

// origin returns the repository desc's source reads it from, if any.
func (p *push) origin(desc ocispec.Descriptor) (registry.Reference, bool) {
	o, ok := p.img.Source(desc).(registry.Origin)
	if !ok {
		return registry.Reference{}, false
	}
	return o.Origin(desc)
}

// open returns a seekable reader of the blob, so that content.Copy can
// restart after an auth retry: in-memory data, a local or cached file, or a
// base blob that is not cached yet, streamed from its registry to the
// target (teed into the cache, which keeps it only once verified; a
// mismatch fails the read before the upload is committed).
func (p *push) open(ctx context.Context, desc ocispec.Descriptor) (io.Reader, func(), error) {
	if data := p.img.Bytes(desc); data != nil {
		return bytes.NewReader(data), func() {}, nil
	}
	path := p.img.Path(desc)
	if _, remote := p.origin(desc); remote && path == "" {
		r := &reopener{ctx: ctx, open: func(ctx context.Context) (io.ReadCloser, error) { return p.img.Open(ctx, desc) }}
		return r, func() { _ = r.Close() }, nil
	}
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("blob %s: %w", desc.Digest, err)
		}
		return f, func() { _ = f.Close() }, nil
	}
	rc, err := p.img.Open(ctx, desc)
	if err != nil {
		return nil, nil, err
	}
	return rc, func() { _ = rc.Close() }, nil
}
