package assemble

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ybuild/ybuild/internal/inputerr"
	"github.com/ybuild/ybuild/spec"
)

// layerError is an error writing the spec's layer index.
type layerError struct {
	index int
	err   error
}

// Error reads "layers[N]: …".
func (e *layerError) Error() string { return fmt.Sprintf("layers[%d]: %v", e.index, e.err) }

// Unwrap returns the cause.
func (e *layerError) Unwrap() error { return e.err }

// entryError is an error walking the entry files[index] of a layer.
type entryError struct {
	index int
	err   error
}

// Error reads "files[N]: …".
func (e *entryError) Error() string { return fmt.Sprintf("files[%d]: %v", e.index, e.err) }

// Unwrap returns the cause.
func (e *entryError) Unwrap() error { return e.err }

// dupError is ErrDuplicate for two entries of one layer with one name;
// first and second are their origins ("files[1] \"static/css\"").
type dupError struct{ name, first, second string }

// Error reads "duplicate destination /NAME: FIRST and SECOND".
func (e *dupError) Error() string {
	return fmt.Sprintf("%v /%s: %s and %s", ErrDuplicate, e.name, e.first, e.second)
}

// Unwrap returns ErrDuplicate.
func (e *dupError) Unwrap() error { return ErrDuplicate }

// entry is the spec entry of the later of the two ("files[6]").
func (e *dupError) entry() string {
	s, _, _ := strings.Cut(e.second, " ")
	if !strings.HasPrefix(s, "files[") {
		return ""
	}
	return s
}

// placeError returns err, which building the platform p of b gave, as a
// spec error at the entry that caused it when that is known (a duplicate
// destination, found only while walking a directory copy, then reads
// "build.yaml:14:9: layers[0].files[6]: duplicate destination …"; an
// archive that extract cannot read, "build.yaml:4:5: files[0]: extract
// vendor.tar: not a readable tar archive … (linux/amd64)"), else prefixed
// with p. Only bad input is placed: a source that changed while it was
// read stays a build failure.
func placeError(b *spec.Build, p string, err error) error {
	var le *layerError
	var de *dupError
	if errors.As(err, &le) && errors.As(err, &de) && de.entry() != "" {
		return b.FieldError(fmt.Sprintf("layers[%d].%s", le.index, de.entry()), fmt.Errorf("%w (%s)", de, p))
	}
	var ee *entryError
	if errors.As(err, &le) && errors.As(err, &ee) && errors.Is(err, inputerr.ErrInput) {
		return b.FieldError(fmt.Sprintf("layers[%d].files[%d]", le.index, ee.index), fmt.Errorf("%w (%s)", ee.err, p))
	}
	return fmt.Errorf("%s: %w", p, err)
}
