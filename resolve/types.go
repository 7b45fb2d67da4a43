package resolve

import (
	"context"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Base is a resolved base image: one Image per selected platform.
type Base struct {
	// Name is the fully qualified reference for the base.name annotation; empty for scratch.
	Name string
	// Digest is the digest of the base's top-level manifest or index; empty for scratch.
	Digest digest.Digest
	// IsIndex is true when the base is an image index (or a Docker manifest list).
	IsIndex bool
	// Images holds one entry per selected platform, in the base index's order.
	Images []Image
	// Blobs reads the base's blobs (layers and configs).
	Blobs BlobSource
}

// Image is one platform's image of the base.
type Image struct {
	// Platform is the image's platform (from the index entry, else its config).
	Platform ocispec.Platform
	// Desc is the manifest descriptor; zero for scratch.
	Desc ocispec.Descriptor
	// Manifest is the parsed manifest; for scratch it has no layers.
	Manifest ocispec.Manifest
	// Config is the raw config JSON, exactly as stored; for scratch a minimal
	// config with architecture, os and rootfs.
	Config []byte
}

// BlobSource opens blobs of a base image.
type BlobSource interface {
	// Open returns the blob's content. Reading it to EOF fails unless the
	// content matches desc's digest and size.
	Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error)
}

// Pather is implemented by blob sources whose blobs are plain local files,
// so that writers can link or copy them instead of streaming.
type Pather interface {
	// Path returns the path of the blob's file, or "" when it is not one.
	Path(desc ocispec.Descriptor) string
}

// Progress reports a transfer or a layer write: it is called when one starts
// with its name and the bytes expected (-1 if unknown), and returns a func
// to add bytes as they go and a func to call once when it succeeded, with
// the size of the blob transferred or written. A failed step never calls
// done.
type Progress func(name string, total int64) (add func(n int64), done func(size int64))
