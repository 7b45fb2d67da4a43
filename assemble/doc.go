// Package assemble turns spec layers into reproducible layer blobs and
// rewrites the base's config and manifests into the output image.
//
// assemble never reads the environment or the clock: the creation time and
// every other choice arrive in Options. It builds on Linux and macOS (the
// walk and the layer cache read stat data).
//
// Where things are:
//
//   - build.go: Build and Options; build_layers.go: the layers of one
//     build, written concurrently, each distinct layer once.
//   - image.go: the built Image and its blobs.
//   - layer.go: one layer, from spec entries to a blob (or a cache hit);
//     layer_blob.go: the tar → compressor → hashes → file pipeline;
//     layer_files.go: the files a layer adds, hashed on the way (for SBOMs).
//   - collect.go: spec entries (content, symlink, dir, delete, replace) to
//     layer entries; copy.go: src files, trees and globs; walk.go and
//     open_linux.go: opening sources beneath the spec directory without
//     following symlinks;
//     extract.go: archives, spooled to disk, within limits.
//   - attrs.go: the one place where an entry's owner, mode and mtime are
//     decided (cascade, defaults, `mode:`, the executable-bit rule).
//   - entries.go: merging, ordering, implicit ancestors, hardlinks;
//     stack.go: the directories of a scratch build's lower layers; tar.go:
//     the one tar header function, names, writing entries.
//   - basedirs.go: attributes of base directories a layer replaces.
//   - layer_cache_key.go: what a cached layer's key hashes;
//     layer_cache.go: lookup and store through package cache (blobs checked
//     through internal/trust); layer_shared.go: the layer cache shared
//     between machines (SharedCache, --cache-repo), checked before use.
//   - compress.go: compressors, decompression, layer media types.
//   - config.go, config_container.go, config_env.go, history.go: the image
//     config; manifest.go: manifests and the index.
package assemble
