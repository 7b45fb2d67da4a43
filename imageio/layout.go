package imageio

import (
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BlobPath is the slash-separated path of the blob d inside an OCI layout
// (and a blob store laid out like one): blobs/<algorithm>/<hex>. It fails
// for a malformed digest, so the path never leaves blobs/.
func BlobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("digest %q: %w", d, err)
	}
	return ocispec.ImageBlobsDir + "/" + d.Algorithm().String() + "/" + d.Encoded(), nil
}

// DockerArchiveEntry is one image of a `docker save` manifest.json: the
// paths of its config and layers inside the archive and its names. The
// JSON keys are the field names, as docker writes them.
type DockerArchiveEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}
