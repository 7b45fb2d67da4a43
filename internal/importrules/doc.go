// Package importrules checks the package rules of DEVELOPERS.md: which
// ybuild package may import which, that spec has no network imports and
// assemble no net/http, that test helpers stay in tests, and that library
// packages never read the environment or the clock or print. Its test runs
// the checks on the module (from `go list -deps -json` and the parsed
// sources); the rules themselves are the table in rules.go.
package importrules
