package output

import (
	"time"

	"github.com/ybuild/ybuild/location"
)

// NewRegistryWriter exposes newRegistryWriter to the registry tests, which
// must not depend on Parse's other destinations.
func NewRegistryWriter(dest string, opts Options) (Writer, error) {
	loc, err := location.Parse(dest, location.Output)
	if err != nil {
		return nil, err
	}
	return newRegistryWriter(dest, loc, opts)
}

// SetStreamLimits sets the queue length and wait budget of streamed layer
// uploads until the returned function restores them (not in parallel tests).
func SetStreamLimits(queue int, wait time.Duration) (restore func()) {
	old := streamLimits
	streamLimits.queue, streamLimits.wait = queue, wait
	return func() { streamLimits = old }
}
