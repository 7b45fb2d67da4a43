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
		p, err := spec.ParsePlatform(n)
		if err != nil {
			return nil, false, usageError{fmt.Errorf("--platform: %w", err)}
		}
		out = append(out, platforms.Normalize(p))
	}
	return out, false, nil
}

// platformNames lists platforms for messages: "linux/amd64, linux/arm64".
func platformNames(ps []ocispec.Platform) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = platforms.Format(p)
	}
	return strings.Join(names, ", ")
}
