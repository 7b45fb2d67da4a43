package output

import (
	"context"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/location"
)

// Writer writes an image to one destination.
type Writer interface {
	// Write writes img and returns what was written.
	Write(ctx context.Context, img *assemble.Image) (Result, error)
	// Holds says what the destination can hold, so that callers check a
	// build against it before building.
	Holds() Holds
}

// Result describes one written output.
type Result struct {
	// Dest is the destination as the user wrote it, e.g. oci:build/hello.
	Dest string `json:"dest"`
	// Ref is the written reference: the layout ref name, archive tag or pushed REF@digest.
	Ref string `json:"ref,omitempty"`
	// Digest is the digest of the top-level manifest or index written.
	Digest digest.Digest `json:"digest"`
}

// String is the result's line in ybuild's output: DEST DIGEST for a
// local destination, REF@DIGEST for a registry.
func (r Result) String() string {
	if l, err := location.Parse(r.Dest, location.Output); err == nil && !l.Local() {
		return r.Ref
	}
	return r.Dest + " " + string(r.Digest)
}
