package resolve

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/inputerr"
	"github.com/ybuild/ybuild/internal/testbase"
)

// TestMissingRefIsInputError: a ref that a local layout or archive does
// not hold is a user error (inputerr.ErrInput, exit 2) that still matches
// ErrNotFound, and names the refs the base has, at most maxListed of them,
// images only (not the attached SBOM or provenance).
func TestMissingRefIsInputError(t *testing.T) {
	f := newFixture(t)
	many := filepath.Join(f.dir, "many")
	info := testbase.Layout(t, many)
	idx := testbase.ReadIndex(t, many)
	sbom := info.Index // an SBOM attached to the index, as ybuild writes it
	sbom.ArtifactType = "application/spdx+json"
	var entries []ocispec.Descriptor
	for i := range 25 {
		d := info.Index
		d.Annotations = map[string]string{ocispec.AnnotationRefName: fmt.Sprintf("v%02d", i)}
		entries = append(entries, d)
	}
	idx.Manifests = append(entries, sbom)
	testbase.WriteIndex(t, many, idx)

	for _, tc := range []struct {
		ref, has, hasNot string
	}{
		{ref: "oci:layout:nope", has: `ref "nope": not found (available: latest)`},
		{ref: "oci:many:nope", has: "(available: v00, v01, v02, v03, v04, v05, v06, v07, v08, v09 and 15 more)", hasNot: "v10"},
		{ref: "oci-archive:oci.tar:v2", has: "available: latest"},
		{ref: "docker-archive:multi.tar:busybox:nope", has: "available: @0 "},
		{ref: "docker-archive:multi.tar:@7", has: "2 images (@0 to @1)"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			_, err := Open(context.Background(), tc.ref, Options{Dir: f.dir})
			if !errors.Is(err, ErrNotFound) || !errors.Is(err, inputerr.ErrInput) {
				t.Fatalf("err = %v, want ErrNotFound and inputerr.ErrInput", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.has) || (tc.hasNot != "" && strings.Contains(msg, tc.hasNot)) {
				t.Errorf("err = %q, want it to hold %q and not %q", msg, tc.has, tc.hasNot)
			}
			if strings.Contains(err.Error(), "sha256:") {
				t.Errorf("err = %q lists attached artifacts", err)
			}
		})
	}
}
