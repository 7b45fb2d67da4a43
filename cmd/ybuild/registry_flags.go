package main

import (
	"github.com/spf13/pflag"

	"github.com/ybuild/ybuild/resolve"
)

// registryFlags holds the registry flags (credentials, TLS, cache, push).
type registryFlags struct {
	push bool
}

// addRegistryFlags registers the registry flags on fs.
func addRegistryFlags(fs *pflag.FlagSet) *registryFlags {
	f := &registryFlags{}
	fs.BoolVar(&f.push, "push", false, "push to every tag of the spec")
	return f
}

// options builds the registry options from the flags and the environment.
func (f *registryFlags) options() (*resolve.RegistryOptions, error) {
	return &resolve.RegistryOptions{}, nil
}

// pushOutputs returns the docker:// outputs that --push adds for tags.
func (f *registryFlags) pushOutputs(tags []string) []string {
	if !f.push {
		return nil
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, "docker://"+t)
	}
	return out
}
