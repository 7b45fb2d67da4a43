package lock

import "github.com/ybuild/ybuild/internal/inputerr"

// The lockfile errors; all are input errors (inputerr.ErrInput): the user
// fixes them (exit 2).
var (
	// ErrInvalid marks a lockfile that cannot be read: corrupt, edited by
	// hand into something ybuild never writes, or for another spec.
	ErrInvalid = inputerr.New("invalid lockfile")
	// ErrStale marks a lockfile that does not match its spec: another base,
	// or a platform the lock does not pin.
	ErrStale = inputerr.New("lockfile does not match the spec")
	// ErrMissing marks a spec without a lockfile where one is required.
	ErrMissing = inputerr.New("no lockfile")
)
