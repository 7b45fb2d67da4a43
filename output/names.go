package output

import (
	"fmt"

	"github.com/distribution/reference"
)

// Annotation keys written into index.json entries.
const (
	annotationRefName   = "org.opencontainers.image.ref.name"
	annotationImageName = "io.containerd.image.name"
)

// layoutRef is the ref name of a layout entry: the destination's :REF, else
// the tag of the first spec tag, else "latest".
func layoutRef(destRef string, tags []string) string {
	if destRef != "" {
		return destRef
	}
	if len(tags) > 0 {
		if n, err := reference.ParseNormalizedNamed(tags[0]); err == nil {
			if t, ok := n.(reference.Tagged); ok {
				return t.Tag()
			}
		}
	}
	return "latest"
}

// imageNames returns the fully qualified names of the tags
// (docker.io/library/x:latest for x), or localhost/NAME:latest without tags.
func imageNames(tags []string, name string) ([]string, error) {
	if len(tags) == 0 {
		if name == "" {
			name = "image"
		}
		tags = []string{"localhost/" + name + ":latest"}
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		n, err := reference.ParseNormalizedNamed(t)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w: %w", t, ErrUsage, err)
		}
		if _, ok := n.(reference.Digested); ok {
			return nil, fmt.Errorf("tag %q: %w: an archive tag may not hold a digest", t, ErrUsage)
		}
		out = append(out, reference.TagNameOnly(n).String())
	}
	return out, nil
}
