package assemble

import (
	"archive/tar"
	"bytes"
	"crypto/sha1" //nolint:gosec // SPDX 2.3 gives every file a SHA-1; SHA-256 is recorded too
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"hash"
	"io"
	"strings"
)

// File is one regular file a new layer adds, recorded while the layer is
// written (Options.RecordFiles): what an SBOM lists. Whiteouts are not
// files; hardlinks, directories, symlinks and devices are not listed.
type File struct {
	// Path is the file's absolute path in the image (/app/hello).
	Path string
	// Mode is the permission bits of the tar header.
	Mode int64
	// Size is the file's size in bytes.
	Size int64
	// SHA256 and SHA1 are the hex digests of the content.
	SHA256, SHA1 string
	// Go is the build information of a Go binary, else nil.
	Go *GoBinary
}

// GoBinary is what debug/buildinfo reads from a Go executable.
type GoBinary struct {
	// GoVersion is the toolchain that built it (go1.26.8).
	GoVersion string
	// Main is the main module; Deps are the dependencies, in buildinfo's order.
	Main Module
	Deps []Module
}

// Module is one Go module of a binary.
type Module struct {
	// Path and Version identify the module; Sum is its go.sum hash (h1:…).
	Path, Version, Sum string
}

// MaxGoBinary bounds the size of the files whose Go build information is read.
const MaxGoBinary = 1 << 30

// elfMagic starts every ELF executable.
var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

// GoCandidate reports whether a file with this mode, size and first bytes
// may be a Go binary whose build information is worth reading: an
// executable ELF file of at most MaxGoBinary bytes.
func GoCandidate(mode, size int64, head []byte) bool {
	return bytes.HasPrefix(head, elfMagic) && size <= MaxGoBinary && mode&0o111 != 0
}

// ReadGoBinary reads the build information of a Go executable, or nil.
func ReadGoBinary(r io.ReaderAt) *GoBinary {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return nil // not a Go binary, or built without module information
	}
	g := &GoBinary{GoVersion: bi.GoVersion, Main: Module{Path: bi.Main.Path, Version: bi.Main.Version, Sum: bi.Main.Sum}}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		g.Deps = append(g.Deps, Module{Path: d.Path, Version: d.Version, Sum: d.Sum})
	}
	return g
}

// fileRecorder hashes the content of each regular file as writeEntries
// writes it into the tar: the bytes pass through once.
type fileRecorder struct {
	files    []File
	s256, s1 hash.Hash
	head     [4]byte
	headLen  int
}

// newFileRecorder returns an empty recorder.
func newFileRecorder() *fileRecorder {
	return &fileRecorder{files: []File{}, s256: sha256.New(), s1: sha1.New()} //nolint:gosec // SPDX 2.3
}

// records reports whether e is listed: a regular file that is not a whiteout.
func records(e *entry) bool {
	return e.kind == tar.TypeReg && !strings.HasPrefix(base(e.name), whiteoutPrefix)
}

// start begins a file's record; its content follows through Write.
func (r *fileRecorder) start() {
	r.s256.Reset()
	r.s1.Reset()
	r.headLen = 0
}

// Write hashes content bytes, keeping the first four.
func (r *fileRecorder) Write(p []byte) (int, error) {
	if r.headLen < len(r.head) {
		r.headLen += copy(r.head[r.headLen:], p)
	}
	r.s256.Write(p)
	r.s1.Write(p)
	return len(p), nil
}

// finish records e, reading the Go build information of a Go binary
// candidate from its source (a second read of that file only).
func (r *fileRecorder) finish(e *entry) {
	f := File{Path: "/" + e.name, Mode: int64(e.mode & 0o7777), Size: e.size,
		SHA256: hex.EncodeToString(r.s256.Sum(nil)), SHA1: hex.EncodeToString(r.s1.Sum(nil))}
	if GoCandidate(f.Mode, f.Size, r.head[:r.headLen]) {
		f.Go = readGoSource(e)
	}
	r.files = append(r.files, f)
}

// readGoSource reads the Go build information of e's source, or nil.
func readGoSource(e *entry) *GoBinary {
	if e.content != nil {
		return ReadGoBinary(strings.NewReader(*e.content))
	}
	src, err := openContent(e)
	if err != nil {
		return nil
	}
	defer src.Close()
	return ReadGoBinary(src)
}
