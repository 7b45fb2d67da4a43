package resolve

import "errors"

// Sentinel errors. Every error of Open wraps at most one of them; check with errors.Is.
var (
	// ErrInvalidBase is returned for a malformed base: a layout without a valid
	// oci-layout or index.json, a missing blob, unparsable JSON.
	ErrInvalidBase = errors.New("invalid base image")
	// ErrNotFound is returned when a reference names nothing in the base
	// (a layout ref name, a docker-archive tag or index).
	ErrNotFound = errors.New("not found")
	// ErrAmbiguous is returned when a base holds several images and the
	// reference does not say which one.
	ErrAmbiguous = errors.New("ambiguous reference")
	// ErrNoMatchingPlatform is returned when no image of the base matches a
	// requested platform.
	ErrNoMatchingPlatform = errors.New("no matching platform")
	// ErrDigestMismatch is returned while reading a blob whose content does
	// not match its descriptor's digest or size.
	ErrDigestMismatch = errors.New("content does not match descriptor")
	// ErrUnsupported is returned for bases ybuild cannot use, such as Docker
	// schema1 manifests or compressed archives.
	ErrUnsupported = errors.New("unsupported base image")
)
