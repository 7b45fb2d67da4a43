// Package spec is the build.yaml model: strict parsing with file:line:column
// errors, defaults, validation and ${NAME} argument substitution.
//
// spec reads the spec file and checks that its sources exist; it never reads
// the environment or the clock and has no network or registry dependencies.
package spec
