package assemble

import (
	"errors"
	"fmt"

	"github.com/ybuild/ybuild/internal/inputerr"
)

// ErrUnknownBlob is returned when a blob is not part of the image.
var ErrUnknownBlob = errors.New("unknown blob")

// Sentinels of layer writing; every layer error caused by the spec or
// its sources wraps one of them.
var (
	// ErrEscape is returned when a source, an archive entry or a link would
	// leave the spec directory or the extraction directory.
	ErrEscape = inputerr.New("path escapes its root")
	// ErrInvalidPath is returned for a destination or archive name that
	// cannot be a layer entry: "..", a ".wh." prefix, NUL bytes.
	ErrInvalidPath = inputerr.New("invalid path")
	// ErrDuplicate is returned when two entries of one layer have the same
	// destination.
	ErrDuplicate = inputerr.New("duplicate destination")
	// ErrNotDir is returned when an entry lies below a destination that is
	// not a directory in the same layer.
	ErrNotDir = inputerr.New("parent is not a directory")
	// ErrNoMatch is returned when a glob src matches nothing.
	ErrNoMatch = inputerr.New("no source matches")
	// ErrUnsupported is returned for source file types (sockets, devices)
	// and archive formats or entries that cannot go into a layer, and for
	// compression and format combinations without a media type.
	ErrUnsupported = inputerr.New("unsupported")
	// ErrSourceChanged is returned when a source file's size changed
	// between the walk and the copy.
	ErrSourceChanged = errors.New("source changed during build")
	// ErrBadAttr is returned for an owner, mode or mtime that does not parse.
	ErrBadAttr = inputerr.New("bad attribute")
	// ErrBadArchive is returned when an extract source is not a readable
	// (optionally compressed) tar archive.
	ErrBadArchive = inputerr.New("not a readable tar archive")
	// ErrLimit is returned when an archive exceeds an extract limit (size,
	// entries) or a name exceeds the path limits. It matches ErrUnsupported
	// (and so inputerr.ErrInput) too: input ybuild refuses to take in.
	ErrLimit = fmt.Errorf("limit exceeded%.0w", ErrUnsupported)
)
