package output

import (
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Holds is what a destination can hold, known before anything is built.
type Holds struct {
	// Dest is the destination as written.
	Dest string
	// Path is the local file or directory written, "" for a registry.
	Path string
	// MaxPlatforms is the most platforms one image there may have; 0 means
	// any number.
	MaxPlatforms int
	// Name names the kind of destination in errors: "a docker archive".
	Name string
}

// CheckPlatforms fails with ErrPlatforms, before anything is built, when
// w cannot hold an image of the platforms ps.
func CheckPlatforms(w Writer, ps []ocispec.Platform) error {
	h := w.Holds()
	if h.MaxPlatforms == 0 || len(ps) <= h.MaxPlatforms {
		return nil
	}
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, platforms.Format(p))
	}
	holds := fmt.Sprintf("%d platforms", h.MaxPlatforms)
	if h.MaxPlatforms == 1 {
		holds = "one platform"
	}
	return fmt.Errorf("%s: %w: %s holds %s, the build has %d (%s): pass --platform to pick one, or write oci: or oci-archive:",
		h.Dest, ErrPlatforms, h.Name, holds, len(ps), strings.Join(names, ", "))
}
