package resolve

import (
	"fmt"
	"strings"

	"github.com/ybuild/ybuild/internal/inputerr"
)

// maxListed bounds the names an error lists (the refs of a layout, the
// tags of an archive): a layout may hold thousands.
const maxListed = 10

// listNames joins names with ", ", at most maxListed of them, then says
// how many more there are.
func listNames(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

// missingRef is the error for a ref that a local layout or archive does
// not hold. It wraps ErrNotFound and, unlike a registry's not found (which
// may hide a permission problem), is the user's to fix: it matches
// inputerr.ErrInput (exit 2). It lists the refs the base has.
func missingRef(ref string, have []string) error {
	if len(have) == 0 {
		return fmt.Errorf("ref %q: %w (the base holds no images)%.0w", ref, ErrNotFound, inputerr.ErrInput)
	}
	return fmt.Errorf("ref %q: %w (available: %s)%.0w", ref, ErrNotFound, listNames(have), inputerr.ErrInput)
}

// missingIndex is missingRef for an @N past the last of n images.
func missingIndex(ref string, n int) error {
	if n == 0 {
		return fmt.Errorf("ref %q: %w: the base holds no images%.0w", ref, ErrNotFound, inputerr.ErrInput)
	}
	return fmt.Errorf("ref %q: %w: %d images (@0 to @%d)%.0w", ref, ErrNotFound, n, n-1, inputerr.ErrInput)
}
