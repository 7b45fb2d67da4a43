package imageio

import "bytes"

// Compression is a compression format recognised by its magic number.
type Compression string

// The compressions Sniff recognises; None is everything else (a plain tar).
const (
	None  Compression = ""
	Gzip  Compression = "gzip"
	Zstd  Compression = "zstd"
	Xz    Compression = "xz"
	Bzip2 Compression = "bzip2"
)

// MagicLen is how many leading bytes Sniff needs to tell every format apart.
const MagicLen = 6

// magics are the magic numbers of the compressions.
var magics = []struct {
	c     Compression
	magic []byte
}{
	{Gzip, []byte{0x1f, 0x8b}},
	{Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{Xz, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{Bzip2, []byte("BZh")},
}

// Sniff returns the compression whose magic number head starts with
// (head holds up to MagicLen leading bytes of the stream).
func Sniff(head []byte) Compression {
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return m.c
		}
	}
	return None
}
