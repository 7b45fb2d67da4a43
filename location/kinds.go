package location

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// Kind names a kind of image location, as skopeo names its transports.
type Kind string

// The kinds of image location.
const (
	// Scratch is the empty base image.
	Scratch Kind = "scratch"
	// OCI is an OCI image layout directory: oci:DIR[:REF].
	OCI Kind = "oci"
	// OCIArchive is an OCI image layout in a tar file: oci-archive:FILE[:REF].
	OCIArchive Kind = "oci-archive"
	// DockerArchive is a `docker save` tar file: docker-archive:FILE[:NAME:TAG].
	DockerArchive Kind = "docker-archive"
	// Registry is an image in a registry: docker://REF, or a bare REF as a base.
	Registry Kind = "docker"
)

// kind describes one kind of location: how it is written and where it may
// be used. Adding a kind means adding one entry here.
type kind struct {
	kind Kind
	// prefix starts every location of this kind ("oci:"); for scratch the
	// whole location.
	prefix string
	// base and output give the syntax shown in errors when the kind may be
	// used there, "" when it may not.
	base, output string
	// local is set for kinds that name a file or directory: PATH[:REF].
	local bool
	// checkRef checks the part after PATH: (local) or after the prefix.
	checkRef func(ref string, use Use) error
}

// kinds lists every kind, in the order errors name them. Bare registry
// references are tried after all of them.
var kinds = []kind{
	{kind: Scratch, prefix: "scratch", base: "scratch"},
	{kind: OCI, prefix: "oci:", base: "oci:DIR[:REF]", output: "oci:DIR[:REF]", local: true, checkRef: checkLayoutRef},
	{kind: OCIArchive, prefix: "oci-archive:", base: "oci-archive:FILE[:REF]", output: "oci-archive:FILE[:REF]", local: true, checkRef: checkLayoutRef},
	{kind: DockerArchive, prefix: "docker-archive:", base: "docker-archive:FILE[:NAME:TAG]", output: "docker-archive:FILE[:NAME:TAG]", local: true, checkRef: checkArchiveName},
	{kind: Registry, prefix: "docker://", base: "docker://REF", output: "docker://REF", checkRef: checkReference},
}

// lookup returns the description of k.
func lookup(k Kind) (kind, bool) {
	for _, d := range kinds {
		if d.kind == k {
			return d, true
		}
	}
	return kind{}, false
}

// checkLayoutRef checks the REF of an output layout or OCI archive: a ref
// name, which may not contain '/' or '@'. A base's REF may also be a digest
// or @N, which the opener checks against the layout.
// An output's ref must also follow the OCI grammar of ref names (tools
// reading the layout may refuse others): "Bad$" or "my tag" is refused.
func checkLayoutRef(ref string, use Use) error {
	if use != Output {
		return nil
	}
	if strings.ContainsAny(ref, "/@") {
		return fmt.Errorf("the ref after the path may not contain '/' or '@', got %q", ref)
	}
	if ref != "" && !refName.MatchString(ref) {
		return fmt.Errorf("the ref after the path must be letters and digits joined by -, ., _, : or + (an OCI ref name), got %q", ref)
	}
	return nil
}

// refName is the OCI image layout grammar of a ref name component
// (annotations.md), without the '/' and '@' an output ref may not hold.
var refName = regexp.MustCompile(`^[A-Za-z0-9]+(?:(?:[-._:+]|--)[A-Za-z0-9]+)*$`)

// checkArchiveName checks the NAME:TAG of a docker archive: an image
// reference without a digest; a base may also name an entry by @N.
func checkArchiveName(ref string, use Use) error {
	if ref == "" || (use == Base && strings.HasPrefix(ref, "@")) {
		return nil
	}
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	if _, ok := n.(reference.Digested); ok {
		return fmt.Errorf("an archive tag may not hold a digest, got %q", ref)
	}
	return nil
}

// checkReference checks a registry reference.
func checkReference(ref string, _ Use) error {
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	return nil
}
