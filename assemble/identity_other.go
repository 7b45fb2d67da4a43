//go:build !linux && !darwin

package assemble

// fileIdentity is not implemented here, so layers with file sources are
// not cached on this system.
func fileIdentity(string) (string, bool) { return "", false }
