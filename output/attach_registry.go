package output

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/registry"
)

var _ AttachWriter = (*registryWriter)(nil)

// maxReferrersIndex bounds a referrers tag index read back from a registry.
const maxReferrersIndex = 4 << 20

// WriteAttached pushes img, then each attachment to the same repository:
// cosign images under their tag, referrers by digest. A registry that does
// not list a pushed referrer in its referrers API (distribution v3, GHCR)
// gets the referrers tag schema instead: the index tagged sha256-<hex> of
// the subject gains the referrer's descriptor.
func (w *registryWriter) WriteAttached(ctx context.Context, img *assemble.Image, atts []Attachment) (Result, error) {
	res, err := w.Write(ctx, img)
	if err != nil || len(atts) == 0 {
		return res, err
	}
	for _, a := range atts {
		if err := w.attach(ctx, a); err != nil {
			return Result{}, fmt.Errorf("%s: attach %s: %w", w.dest, a.Image.Desc.Digest, err)
		}
	}
	return res, nil
}

// attach pushes one attachment.
func (w *registryWriter) attach(ctx context.Context, a Attachment) error {
	ref := registry.Reference{Domain: w.ref.Domain, Path: w.ref.Path, Tag: a.Tag}
	if err := w.pushImage(ctx, ref, a.Image); err != nil {
		return err
	}
	if a.Subject == nil {
		return nil
	}
	return w.referrersFallback(ctx, *a.Subject, a.Image.Desc, w.opts.ReferrersTag)
}

// pushImage pushes an in-memory image to ref (by digest, and under ref's
// tag when it has one).
func (w *registryWriter) pushImage(ctx context.Context, ref registry.Reference, img *assemble.Image) error {
	sess, err := registry.NewSession(ctx, w.opts.Registry, ref.WithDigest(img.Desc.Digest))
	if err != nil {
		return err
	}
	p, err := newPush(ctx, sess, img, Options{Registry: w.opts.Registry})
	if err != nil {
		return err
	}
	return p.run(ctx)
}

// referrersFallback asks the registry for subject's referrers; unless they
// list artifact (the registry keeps the referrers API, or the tag index has
// it already) or force is set, it pushes the sha256-<hex> tag index with
// artifact added to the referrers it lists.
func (w *registryWriter) referrersFallback(ctx context.Context, subject, artifact ocispec.Descriptor, force bool) error {
	repo := registry.Reference{Domain: w.ref.Domain, Path: w.ref.Path}
	sess, err := registry.NewSession(ctx, w.opts.Registry, repo)
	if err != nil {
		return err
	}
	listed, err := listReferrers(ctx, sess, repo, subject.Digest)
	if err != nil {
		return err
	}
	var kept []ocispec.Descriptor
	for _, d := range listed {
		if d.Digest == artifact.Digest && !force {
			return nil
		}
		if d.Digest != artifact.Digest {
			kept = append(kept, d)
		}
	}
	if force {
		if kept, err = tagReferrers(ctx, sess, repo, subject.Digest); err != nil {
			return err
		}
		kept = withoutDigest(kept, artifact.Digest)
	}
	idx := ReferrersIndex(append(kept, referrerEntry(artifact)))
	raw, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	img := assemble.NewDataImage(ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(raw), Size: int64(len(raw))}, raw)
	return w.pushImage(ctx, registry.Reference{Domain: repo.Domain, Path: repo.Path, Tag: ReferrersTag(subject.Digest)}, img)
}

// ReferrersTag is the referrers tag schema's tag for d: sha256-<hex>.
func ReferrersTag(d digest.Digest) string { return strings.Replace(d.String(), ":", "-", 1) }

// ReferrersIndex is the index that lists referrers (the referrers API's
// answer, and the referrers tag's content).
func ReferrersIndex(entries []ocispec.Descriptor) ocispec.Index {
	if entries == nil {
		entries = []ocispec.Descriptor{}
	}
	return ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: entries}
}

// referrerEntry is artifact's descriptor as a referrers index lists it.
func referrerEntry(artifact ocispec.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{
		MediaType: artifact.MediaType, Digest: artifact.Digest, Size: artifact.Size,
		ArtifactType: artifact.ArtifactType, Annotations: artifact.Annotations,
	}
}

// withoutDigest drops the entries with digest d.
func withoutDigest(in []ocispec.Descriptor, d digest.Digest) []ocispec.Descriptor {
	var out []ocispec.Descriptor
	for _, e := range in {
		if e.Digest != d {
			out = append(out, e)
		}
	}
	return out
}

// listReferrers lists subject's referrers through containerd's fetcher:
// the referrers API, or, where the registry has none, the referrers tag.
func listReferrers(ctx context.Context, sess *registry.Session, repo registry.Reference, subject digest.Digest) ([]ocispec.Descriptor, error) {
	f, err := sess.Resolver.Fetcher(ctx, repo.String())
	if err != nil {
		return nil, sess.Explain("referrers", err)
	}
	rf, ok := f.(remotes.ReferrersFetcher)
	if !ok {
		return nil, nil
	}
	descs, err := rf.FetchReferrers(ctx, subject)
	if err != nil && !errdefs.IsNotFound(err) {
		return nil, sess.Explain("referrers", err)
	}
	return descs, nil
}

// tagReferrers reads the referrers tag index of subject, if there is one.
func tagReferrers(ctx context.Context, sess *registry.Session, repo registry.Reference, subject digest.Digest) ([]ocispec.Descriptor, error) {
	ref := registry.Reference{Domain: repo.Domain, Path: repo.Path, Tag: ReferrersTag(subject)}
	_, desc, err := sess.Resolver.Resolve(ctx, ref.String())
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, sess.Explain("referrers", err)
	}
	f, err := sess.Resolver.Fetcher(ctx, ref.String())
	if err != nil {
		return nil, sess.Explain("referrers", err)
	}
	rc, err := f.Fetch(ctx, desc)
	if err != nil {
		return nil, sess.Explain("referrers", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxReferrersIndex+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxReferrersIndex || digest.FromBytes(data) != desc.Digest {
		return nil, errors.New("referrers tag index: too large or digest mismatch")
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("referrers tag index: %w", err)
	}
	return idx.Manifests, nil
}
