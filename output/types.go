package output

import (
	"context"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/assemble"
)

// Writer writes an image to one destination.
type Writer interface {
	// Write writes img and returns what was written.
	Write(ctx context.Context, img *assemble.Image) (Result, error)
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
