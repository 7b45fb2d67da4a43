package attest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // SPDX 2.3 requires a SHA-1 per file; SHA-256 is given too
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// File is one regular file a layer adds, as the SBOM lists it.
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

// ScanVersion changes whenever ScanLayer's output for the same layer
// changes, so that saved scans of an older version are not reused.
const ScanVersion = 1

// maxGoBinary bounds the ELF files spooled to read their Go build information.
const maxGoBinary = 1 << 30

// elfMagic starts every ELF executable.
var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

// ScanLayer lists the regular files of an uncompressed layer tar, hashing
// each as it streams past. ELF files are spooled to a temporary file in
// tmpDir (removed before returning) to read their Go build information.
// Whiteouts, directories, links and devices are not listed.
func ScanLayer(ctx context.Context, r io.Reader, tmpDir string) ([]File, error) {
	tr := tar.NewReader(r)
	var out []File
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read layer: %w", err)
		}
		if h.Typeflag != tar.TypeReg || strings.HasPrefix(path.Base(h.Name), ".wh.") {
			continue
		}
		f, err := scanFile(ctx, tr, h, tmpDir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		out = append(out, f)
	}
}

// scanFile hashes one file and reads its Go build information when it is
// an ELF executable.
func scanFile(ctx context.Context, r io.Reader, h *tar.Header, tmpDir string) (File, error) {
	f := File{Path: "/" + strings.TrimPrefix(path.Clean("/"+h.Name), "/"), Mode: h.Mode & 0o7777, Size: h.Size}
	s256, s1 := sha256.New(), sha1.New() //nolint:gosec // required by SPDX 2.3
	head := make([]byte, len(elfMagic))
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return f, err
	}
	head = head[:n]
	w := io.MultiWriter(s256, s1)
	var spool *os.File
	if bytes.Equal(head, elfMagic) && h.Size <= maxGoBinary && h.Mode&0o111 != 0 {
		spool, err = os.CreateTemp(tmpDir, ".ybuild-sbom-")
		if err != nil {
			return f, fmt.Errorf("spool: %w", err)
		}
		defer func() { spool.Close(); os.Remove(spool.Name()) }()
		w = io.MultiWriter(s256, s1, spool)
	}
	if _, err := w.Write(head); err != nil {
		return f, err
	}
	if _, err := io.Copy(w, ctxReader{ctx, r}); err != nil {
		return f, err
	}
	f.SHA256, f.SHA1 = hex.EncodeToString(s256.Sum(nil)), hex.EncodeToString(s1.Sum(nil))
	if spool != nil {
		f.Go = readGoBinary(spool)
	}
	return f, nil
}

// readGoBinary reads the build information of a Go executable, or nil.
func readGoBinary(r io.ReaderAt) *GoBinary {
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

// ctxReader fails reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads from the underlying reader unless ctx is done.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
