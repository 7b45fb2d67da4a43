package resolve

import (
	"github.com/ybuild/ybuild/internal/inputerr"
	"github.com/ybuild/ybuild/registry"
)

// Sentinel errors. Every error of Open wraps at most one of them, or one
// of the registry package's (registry.ErrUnauthorized...), or
// imageio.ErrDigestMismatch for content that does not match its
// descriptor; check with errors.Is.
var (
	// ErrInvalidBase is returned for a malformed base: a layout without a valid
	// oci-layout or index.json, a missing blob, unparsable JSON.
	ErrInvalidBase = inputerr.New("invalid base image")
	// ErrNotFound is returned when a reference names nothing in the base
	// (a layout ref name, a docker-archive tag or index, a registry
	// repository or tag). It is registry.ErrNotFound, so one check covers
	// every kind of base.
	ErrNotFound = registry.ErrNotFound
	// ErrAmbiguous is returned when a base holds several images and the
	// reference does not say which one.
	ErrAmbiguous = inputerr.New("ambiguous reference")
	// ErrNoMatchingPlatform is returned when no image of the base matches a
	// requested platform.
	ErrNoMatchingPlatform = inputerr.New("no matching platform")
	// ErrUnsupported is returned for bases ybuild cannot use, such as Docker
	// schema1 manifests or compressed archives. It is registry.ErrUnsupported.
	ErrUnsupported = registry.ErrUnsupported
)
