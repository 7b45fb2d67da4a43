// Package location parses image locations, the one place that knows their
// syntax: where a base comes from (scratch, oci:DIR[:REF],
// oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG|:@N], docker://REF
// or a bare registry reference) and where an output goes (the same without
// scratch and bare references). spec, resolve, output and cmd all parse
// through it, so every kind has the same name and every error the same
// words everywhere. It is a leaf: it imports no other ybuild package and
// never touches the file system.
package location
