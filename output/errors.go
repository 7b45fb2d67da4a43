package output

import (
	"fmt"

	"github.com/ybuild/ybuild/internal/inputerr"
)

// ErrUsage is returned for a destination that cannot be parsed or used.
var ErrUsage = inputerr.New("invalid output")

// ErrPlatforms is returned when a destination is asked to hold more
// platforms than it can (a docker archive holds one); it wraps ErrUsage.
var ErrPlatforms = fmt.Errorf("%w: too many platforms", ErrUsage)
