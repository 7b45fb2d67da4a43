package output

import (
	"github.com/ybuild/ybuild/internal/trust"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
)

// Options are the choices for writing outputs.
type Options struct {
	// Dir is the directory that relative paths in destinations are relative to.
	Dir string
	// Name is the build's name, used when there are no tags (localhost/NAME:latest).
	Name string
	// Tags are the spec's tags, naming the image in archives and pushes.
	Tags []string
	// Registry holds registry access options for docker:// outputs; nil uses the defaults.
	Registry *registry.Options
	// Progress, if set, reports blob writes and uploads.
	Progress resolve.Progress
	// ReferrersTag makes registry pushes keep the referrers tag schema
	// (sha256-<hex>) even where the registry has the referrers API.
	ReferrersTag bool
	// Trust, if set, holds the records of blob files already verified: a
	// layout blob (or the cached blob it is linked to) is then not hashed
	// again while it is provably unchanged. Nil hashes every blob kept.
	Trust *trust.Store
}
