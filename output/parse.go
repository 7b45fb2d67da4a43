package output

import (
	"fmt"

	"github.com/ybuild/ybuild/location"
)

// Parse returns the writer for dest, an output location (see package
// location): oci:DIR[:REF], oci-archive:FILE[:REF],
// docker-archive:FILE[:NAME:TAG] or docker://REF. Relative paths are
// relative to opts.Dir. Errors wrap ErrUsage and name dest.
func Parse(dest string, opts Options) (Writer, error) {
	loc, err := location.Parse(dest, location.Output)
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %w", dest, ErrUsage, err)
	}
	newWriter, ok := writers[loc.Kind]
	if !ok {
		return nil, fmt.Errorf("%q: %w: ybuild cannot write %s outputs", dest, ErrUsage, loc.Kind)
	}
	return newWriter(dest, loc.Abs(opts.Dir), opts)
}

// newWriter returns the writer of one kind of destination. dest is the
// destination as written, loc its parse with an absolute path.
type newWriter func(dest string, loc location.Location, opts Options) (Writer, error)

// writers holds the constructor of every kind of output; each kind's file
// registers its own.
var writers = map[location.Kind]newWriter{}

// register makes fn the constructor of kind k's writers.
func register(k location.Kind, fn newWriter) {
	writers[k] = fn
}
