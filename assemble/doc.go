// Package assemble turns spec layers into reproducible layer blobs and
// rewrites the base's config and manifests into the output image.
//
// assemble never reads the environment or the clock: the creation time and
// every other choice arrive in Options.
package assemble
