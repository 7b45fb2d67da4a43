// Package cache owns ybuild's cache directory, shared by concurrent builds:
//
//	DIR/blobs/<alg>/<hex>    content-addressed blobs: pulled base blobs and built layers
//	DIR/refs/<sha256(ref)>   what a registry reference last resolved to (for --offline)
//	DIR/layers/<key>.json    a built layer's record by its full key (sources' identity included)
//	DIR/shapes/<shape>.json  the same record by its shape key (confirmed by the DiffID)
//
// Every file appears only whole, by rename: a blob is written to a temp
// file beside its place, verified, then renamed, so a reader never sees a
// partial blob and an interrupted download leaves at most a .tmp-* file.
// A record is written only after its blob is in place. Prune removes what
// was not used since a cutoff the caller gives (this package reads no
// clock). The keys of layer records are computed by assemble; this package
// only stores them.
package cache
