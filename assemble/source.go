package assemble

import (
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/resolve"
)

// Source returns the base blob source a blob of the image is read from, or
// nil when the blob is new (a built layer, config or manifest) or unknown.
// Registry writers use it to mount base layers instead of uploading them.
func (im *Image) Source(desc ocispec.Descriptor) resolve.BlobSource {
	return im.blobs[desc.Digest].base
}
