package attest

import (
	"archive/tar"
	"context"
	"crypto/sha1" //nolint:gosec // SPDX 2.3 requires a SHA-1 per file; SHA-256 is given too
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
)

// File is one regular file a layer adds, as the SBOM lists it: the
// record assemble makes while writing a layer (Options.RecordFiles), or
// ScanLayer's from a layer blob.
type File = assemble.File

// GoBinary is what debug/buildinfo reads from a Go executable.
type GoBinary = assemble.GoBinary

// Module is one Go module of a binary.
type Module = assemble.Module

// ScanVersion changes whenever ScanLayer's output for the same layer
// changes, so that saved scans of an older version are not reused.
const ScanVersion = 1

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
	head := make([]byte, 4)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return f, err
	}
	head = head[:n]
	w := io.MultiWriter(s256, s1)
	var spool *os.File
	if assemble.GoCandidate(f.Mode, h.Size, head) {
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
	if _, err := io.Copy(w, imageio.WithContext(ctx, r)); err != nil {
		return f, err
	}
	f.SHA256, f.SHA1 = hex.EncodeToString(s256.Sum(nil)), hex.EncodeToString(s1.Sum(nil))
	if spool != nil {
		f.Go = assemble.ReadGoBinary(spool)
	}
	return f, nil
}
