package assemble

import (
	"context"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Uploader sends each new layer blob to its destination while the layer is
// written (a push as the layer is compressed, instead of after), so that a
// cold build's upload overlaps its compression. Package output implements
// it for registry outputs. It is an optimisation only: whatever it fails to
// send is uploaded whole by the output later.
type Uploader interface {
	// Begin starts sending one blob, or returns nil when it cannot.
	Begin(ctx context.Context) Upload
}

// Upload is one blob being sent while it is written.
type Upload interface {
	// Write sends the next compressed bytes. It never fails: a send that
	// fails or stalls is dropped, and the output uploads the blob later.
	io.Writer
	// Commit says the blob is complete and is desc; the send finishes in
	// the background.
	Commit(desc ocispec.Descriptor)
	// Abort drops the send: the layer was not written.
	Abort()
}

// beginUpload starts the upload of a new blob, or returns nil.
func beginUpload(ctx context.Context, env layerEnv) Upload {
	if env.Upload == nil {
		return nil
	}
	return env.Upload.Begin(ctx)
}
