// Package imagediff compares two images (a built one, or any that resolve
// can open) platform by platform: the config field by field, the manifest
// annotations, and the layers, aligned by digest, with the files of each
// changed layer compared by path, type, content, mode, owner, mtime and
// link target.
//
// Layers are read as streams: each tar is read once, its regular files
// hashed as they pass, so memory grows with the number of entries (one
// small record each), never with file contents. Layers with equal digests
// are not read at all.
package imagediff
