package output

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/resolve"
)

// baseDiffID returns the diff_id the image's config gives the base layer
// desc, when desc is a layer read from the base.
func baseDiffID(img *assemble.Image, desc ocispec.Descriptor) (digest.Digest, bool) {
	if img.Source(desc) == nil {
		return "", false
	}
	for _, m := range img.Manifests {
		for i, l := range m.Layers {
			if l.Digest != desc.Digest {
				continue
			}
			var c struct {
				RootFS struct {
					DiffIDs []digest.Digest `json:"diff_ids"`
				} `json:"rootfs"`
			}
			if json.Unmarshal(img.Bytes(m.Config), &c) == nil && i < len(c.RootFS.DiffIDs) {
				return c.RootFS.DiffIDs[i], true
			}
		}
	}
	return "", false
}

// diffIDCheck hashes the uncompressed content of a base layer while it is
// copied, so that a base whose config names another diff_id is refused
// (the layer is read anyway; see docs/security.md).
type diffIDCheck struct {
	pw   *io.PipeWriter
	done chan error
}

// newDiffIDCheck starts checking the stream written to it against want.
func newDiffIDCheck(desc ocispec.Descriptor, want digest.Digest) *diffIDCheck {
	pr, pw := io.Pipe()
	c := &diffIDCheck{pw: pw, done: make(chan error, 1)}
	go func() {
		got, err := assemble.UncompressedDigest(pr)
		pr.CloseWithError(io.ErrClosedPipe) // unblock the writer if decompression stopped early
		switch {
		case err != nil:
			err = fmt.Errorf("base layer %s: %w: %w", desc.Digest, resolve.ErrInvalidBase, err)
		case want.Algorithm() == digest.SHA256 && got != want:
			err = fmt.Errorf("base layer %s: %w: uncompressed content is %s, the config's diff_id says %s", desc.Digest, resolve.ErrInvalidBase, got, want)
		}
		c.done <- err
	}()
	return c
}

// Write feeds the checker; once it has failed, writes are dropped.
func (c *diffIDCheck) Write(p []byte) (int, error) {
	c.pw.Write(p) //nolint:errcheck // the result comes from finish
	return len(p), nil
}

// finish ends the stream and returns the check's result.
func (c *diffIDCheck) finish(copyErr error) error {
	c.pw.CloseWithError(copyErr)
	err := <-c.done
	if copyErr != nil {
		return copyErr
	}
	return err
}
