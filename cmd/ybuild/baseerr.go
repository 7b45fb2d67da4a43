package main

import (
	"errors"
	"strings"

	"github.com/ybuild/ybuild/internal/inputerr"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// placeBaseError returns err, from opening b's base, as a spec error at the
// field the user fixes when it is bad input: platforms, when the spec's
// list (not --platform) names one the base lacks, else base (a layout that
// is not one, a ref it does not hold). Registry and file-system failures
// stay as they are (exit 1); resolve's message names the base either way.
func placeBaseError(b *spec.Build, flagPlatforms []string, err error) error {
	if !errors.Is(err, inputerr.ErrInput) {
		return err
	}
	if errors.Is(err, resolve.ErrNoMatchingPlatform) {
		if len(flagPlatforms) > 0 {
			return err
		}
		if len(b.Platforms) > 0 {
			return b.FieldError("platforms", err)
		}
	}
	e := b.FieldError("base", err)
	e.Msg = strings.TrimPrefix(e.Msg, "base ") // "base: oci:app: …", not "base: base oci:app: …"
	return e
}
