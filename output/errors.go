package output

import "errors"

// ErrUsage is returned for a destination that cannot be parsed or used.
var ErrUsage = errors.New("invalid output")
