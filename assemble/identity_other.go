//go:build !linux && !darwin

package assemble

import "io/fs"

// fileIdentity is not implemented here, so layers with file sources are
// not cached on this system.
func fileIdentity(fs.FileInfo) string { return "" }
