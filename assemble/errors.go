package assemble

import "errors"

// ErrUnknownBlob is returned when a blob is not part of the image.
var ErrUnknownBlob = errors.New("unknown blob")
