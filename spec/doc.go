// Package spec is the build.yaml model: strict parsing with file:line:column
// errors, defaults, validation and ${NAME} argument substitution.
//
// spec reads the spec file and checks that its sources exist; it never reads
// the environment or the clock and has no network or registry dependencies.
//
// Parsing walks the yaml.Node tree against the Go types, so unknown fields
// (with a "did you mean" suggestion), wrong kinds and duplicate keys are
// reported with line and column, and every string is read from the
// scalar's text: an unquoted mode: 0755 means octal 0755, never YAML 1.1's
// 493. Anchors, aliases and << merge keys work; a null value leaves a field
// unset.
//
// Substitution: ${NAME} is replaced in every string value and in the keys
// of env, labels and annotations, from args overridden by
// LoadOptions.Args; $${ is a literal ${. args values themselves are taken
// literally. ${TARGETOS}, ${TARGETARCH}, ${TARGETVARIANT} and
// ${TARGETPLATFORM} are left for Build.ForPlatform, and values that use
// them are validated there. In config.env values an unknown ${NAME} and any
// $NAME stay for the image's environment; elsewhere an unknown name is an
// error.
//
// Decisions: platforms are os/arch[/variant] (a lone os or arch would mean
// the host's); an entry with extract: true needs a dst directory ending in
// /; entries copying into a directory (dst ending in /) may share a dst,
// others may not within one layer; a layer must have files, delete or
// replace; an explicit name is one lowercase reference component, and the
// default name is the spec directory's name made into one; tags need a tag
// and no digest.
package spec
