package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// ExtractLimits bound what an extract entry unpacks. Both are counted while
// extracting; an archive beyond one fails the build.
type ExtractLimits struct {
	// MaxSize is the most bytes of file content the archive may unpack to: a number of bytes, or one with a KiB, MiB, GiB or TiB suffix ("8GiB"). The default is 4GiB.
	MaxSize string `yaml:"maxSize,omitempty" json:"maxSize,omitempty"`
	// MaxEntries is the most entries (files, directories, links) the archive may hold. The default is 1000000.
	MaxEntries string `yaml:"maxEntries,omitempty" json:"maxEntries,omitempty"`
}

// The default extract limits.
const (
	DefaultExtractMaxSize    = 4 << 30
	DefaultExtractMaxEntries = 1000000
)

// sizeUnits are the suffixes ParseSize accepts, largest first.
var sizeUnits = []struct {
	suffix string
	shift  uint
}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}

// ParseSize parses a byte count: digits, optionally followed by B, KiB,
// MiB, GiB or TiB.
func ParseSize(s string) (int64, error) {
	digits, shift := s, uint(0)
	for _, u := range sizeUnits {
		if d, ok := strings.CutSuffix(s, u.suffix); ok {
			digits, shift = d, u.shift
			break
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 || strings.TrimLeft(digits, "0123456789") != "" || n > (1<<62)>>shift {
		return 0, fmt.Errorf("must be a positive size like \"512MiB\" or \"8GiB\", got %q", s)
	}
	return n << shift, nil
}

// ParseCount parses a positive whole number.
func ParseCount(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("must be a positive whole number, got %q", s)
	}
	return n, nil
}

// ExtractMax returns f's extract limits with the defaults filled in. The values
// must have been validated.
func (f File) ExtractMax() (maxSize, maxEntries int64) {
	maxSize, maxEntries = DefaultExtractMaxSize, DefaultExtractMaxEntries
	if f.Limits == nil {
		return maxSize, maxEntries
	}
	if n, err := ParseSize(f.Limits.MaxSize); err == nil {
		maxSize = n
	}
	if n, err := ParseCount(f.Limits.MaxEntries); err == nil {
		maxEntries = n
	}
	return maxSize, maxEntries
}

// extractOptions checks limits and allowDevices, which apply to extract only.
func (v *validator) extractOptions(fp string, f File) {
	if f.Limits != nil && !f.Extract {
		v.fail(fp+".limits", "only applies to extract")
	}
	if f.AllowDevices && !f.Extract {
		v.fail(fp+".allowDevices", "only applies to extract")
	}
	if f.Limits != nil {
		v.check(fp+".limits.maxSize", f.Limits.MaxSize, func(s string) error { _, err := ParseSize(s); return err })
		v.check(fp+".limits.maxEntries", f.Limits.MaxEntries, func(s string) error { _, err := ParseCount(s); return err })
	}
}
