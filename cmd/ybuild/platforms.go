package main

import (
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/spec"
)

// selectPlatforms returns the platforms to build: --platform replaces the
// spec's; "all" selects every platform of the base index.
func selectPlatforms(b *spec.Build, flags []string) ([]ocispec.Platform, bool, error) {
	names := []string(b.Platforms)
	if len(flags) > 0 {
		names = flags
	}
	var out []ocispec.Platform
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "all" {
			if len(names) > 1 {
				return nil, false, usageError{fmt.Errorf("platforms: \"all\" cannot be combined with other platforms")}
			}
			return nil, true, nil
		}
		p, err := platforms.Parse(n)
		if err != nil {
			return nil, false, usageError{fmt.Errorf("platform %q: %w", n, err)}
		}
		out = append(out, platforms.Normalize(p))
	}
	return out, false, nil
}
