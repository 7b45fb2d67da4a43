// Package inputerr holds the class of errors the user fixes: a bad spec,
// source, base, output or command line. Every library sentinel of that kind
// is made with New, so that cmd/ybuild exits 2 for any error that matches
// ErrInput (errors.Is) without keeping a list of sentinels.
package inputerr

import (
	"errors"
	"fmt"
)

// ErrInput matches every error the user fixes.
var ErrInput = errors.New("bad input")

// New returns a sentinel error with message msg that matches ErrInput
// without printing its words.
func New(msg string) error {
	return fmt.Errorf("%s%.0w", msg, ErrInput)
}
