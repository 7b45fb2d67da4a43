package remotecache

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/registry"
)

// Push sends the queued layers and their records to the repository. A blob
// already pushed to one of mountFrom (repositories on the same registry,
// such as this build's push targets) is mounted from there instead of
// uploaded. A failure (a read-only repository, say) warns once and ends
// the pushing; the build is not failed.
func (c *Cache) Push(ctx context.Context, mountFrom []registry.Reference) {
	c.mu.Lock()
	todo := c.pending
	c.pending = nil
	c.mu.Unlock()
	if len(todo) == 0 {
		return
	}
	sess := c.session(ctx)
	if sess == nil {
		return
	}
	for _, p := range todo {
		if err := c.pushOne(ctx, sess, p, mountFrom); err != nil {
			if ctx.Err() == nil {
				c.fail(sess.Explain("push", err))
			}
			return
		}
	}
}

// pushOne pushes one layer blob, the empty config and the record, tagged.
func (c *Cache) pushOne(ctx context.Context, sess *registry.Session, p pending, mountFrom []registry.Reference) error {
	pusher, err := sess.Resolver.Pusher(ctx, c.tagged(p.shape).String())
	if err != nil {
		return err
	}
	blob := ocispec.Descriptor{MediaType: p.desc.MediaType, Digest: p.desc.Digest, Size: p.desc.Size}
	push := blob
	for _, from := range mountFrom {
		if from.Domain == c.repo.Domain {
			push = registry.MountAnnotation(blob, from)
			break
		}
	}
	if err := pushFile(ctx, pusher, push, p.path); err != nil {
		return fmt.Errorf("layer %s: %w", blob.Digest, err)
	}
	if err := pushBytes(ctx, pusher, ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data); err != nil {
		return fmt.Errorf("empty config: %w", err)
	}
	m := ocispec.Manifest{
		Versioned:    specsVersioned,
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: ArtifactType,
		Config:       ocispec.DescriptorEmptyJSON,
		Layers:       []ocispec.Descriptor{blob},
		Annotations:  map[string]string{AnnotationDiffID: p.diffID.String(), AnnotationShape: p.shape},
	}
	if c.keys.Sign != nil {
		signRecord(c.keys.Sign, m.Annotations, p.shape, blob, p.diffID)
	}
	m.Config.Data = nil
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	md := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digestOf(data), Size: int64(len(data))}
	if err := pushBytes(ctx, pusher, md, data); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// pushFile pushes desc from the file path unless the registry has it or
// mounts it.
func pushFile(ctx context.Context, pusher remotes.Pusher, desc ocispec.Descriptor, path string) error {
	w, err := pusher.Push(ctx, desc)
	if errdefs.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer w.Close()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return copyTo(ctx, w, f, desc)
}

// pushBytes pushes desc with content data.
func pushBytes(ctx context.Context, pusher remotes.Pusher, desc ocispec.Descriptor, data []byte) error {
	w, err := pusher.Push(ctx, desc)
	if errdefs.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer w.Close()
	return copyTo(ctx, w, bytes.NewReader(data), desc)
}

// copyTo copies r into w and commits it.
func copyTo(ctx context.Context, w content.Writer, r io.Reader, desc ocispec.Descriptor) error {
	err := content.Copy(ctx, w, r, desc.Size, desc.Digest)
	if errdefs.IsAlreadyExists(err) {
		return nil
	}
	return err
}
