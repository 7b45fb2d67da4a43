package imagediff

import (
	"context"
	"encoding/json"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is one side of a comparison.
type Image struct {
	// Name names the image in reports (oci:build/app, docker://reg/app:1).
	Name string
	// Digest is the top-level manifest or index digest.
	Digest digest.Digest
	// Manifests are the per-platform manifests, in order.
	Manifests []Manifest
	// Open reads a blob of the image (layers).
	Open func(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error)
}

// Manifest is one platform's image.
type Manifest struct {
	// Platform is os/arch[/variant].
	Platform string
	// Digest is the manifest digest.
	Digest digest.Digest
	// Annotations are the manifest's annotations.
	Annotations map[string]string
	// Config is the raw config JSON.
	Config []byte
	// Layers are the layer descriptors, bottom first.
	Layers []ocispec.Descriptor
}

// Report is the result of Compare.
type Report struct {
	// A and B name the images compared.
	A string `json:"a"`
	B string `json:"b"`
	// DigestA and DigestB are their top-level digests.
	DigestA digest.Digest `json:"digestA"`
	DigestB digest.Digest `json:"digestB"`
	// Same is true when the top-level digests are equal.
	Same bool `json:"same"`
	// Platforms has one entry per platform of either image, A's order first.
	Platforms []PlatformDiff `json:"platforms"`
}

// Status says how something changed from A to B.
type Status string

// The statuses.
const (
	Same    Status = "same"
	Changed Status = "changed"
	Added   Status = "added"   // only in B
	Removed Status = "removed" // only in A
)

// PlatformDiff is one platform's differences.
type PlatformDiff struct {
	// Platform is os/arch[/variant].
	Platform string `json:"platform"`
	// Status is same, changed, added (only in B) or removed (only in A).
	Status Status `json:"status"`
	// DigestA and DigestB are the manifest digests ("" when absent).
	DigestA digest.Digest `json:"digestA,omitempty"`
	DigestB digest.Digest `json:"digestB,omitempty"`
	// Config lists the config fields that differ.
	Config []FieldChange `json:"config,omitempty"`
	// Annotations lists the manifest annotations that differ.
	Annotations []FieldChange `json:"annotations,omitempty"`
	// Layers lists every layer of A and B, aligned.
	Layers []LayerDiff `json:"layers,omitempty"`
}

// FieldChange is one config field or annotation that differs. Old and New
// are JSON values; an absent one is omitted.
type FieldChange struct {
	// Field is the JSON path: config.Env[1], rootfs.diff_ids[3], history[2].created_by.
	Field string `json:"field"`
	// Old is A's value, New is B's.
	Old json.RawMessage `json:"old,omitempty"`
	New json.RawMessage `json:"new,omitempty"`
}

// LayerDiff is one layer position.
type LayerDiff struct {
	// Status is same, changed, added or removed.
	Status Status `json:"status"`
	// A and B are the layer descriptors (nil when absent).
	A *ocispec.Descriptor `json:"a,omitempty"`
	B *ocispec.Descriptor `json:"b,omitempty"`
	// Files lists the files that differ in a changed layer, by path.
	Files []FileChange `json:"files,omitempty"`
}

// FileChange is one path that differs between two layers.
type FileChange struct {
	// Path is the entry's absolute path in the image (/etc/passwd).
	Path string `json:"path"`
	// Status is changed, added or removed.
	Status Status `json:"status"`
	// Attrs lists what differs for a changed entry.
	Attrs []AttrChange `json:"attrs,omitempty"`
}

// AttrChange is one attribute of an entry that differs.
type AttrChange struct {
	// Attr is type, content, size, mode, owner, mtime, link target or xattrs.
	Attr string `json:"attr"`
	// Old and New are A's and B's values.
	Old string `json:"old"`
	New string `json:"new"`
}
