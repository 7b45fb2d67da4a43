package assemble

import (
	"encoding/json"
	"fmt"
	"hash"
	"io"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/resolve"
)

// configDiffIDs returns rootfs.diff_ids of an image config. resolve has
// already checked that there is one per layer.
func configDiffIDs(cfg []byte) ([]digest.Digest, error) {
	var c struct {
		RootFS struct {
			DiffIDs []digest.Digest `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		return nil, fmt.Errorf("base config: %w", err)
	}
	return c.RootFS.DiffIDs, nil
}

// diffIDReader hashes an uncompressed layer stream as it is read, so that
// a layer read anyway can be checked against the config's diff_id.
type diffIDReader struct {
	r    io.Reader
	h    hash.Hash
	want digest.Digest
}

// newDiffIDReader returns a reader of r that checks want at finish.
func newDiffIDReader(r io.Reader, want digest.Digest) *diffIDReader {
	return &diffIDReader{r: r, h: digest.SHA256.Hash(), want: want}
}

// Read reads and hashes.
func (d *diffIDReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	return n, err
}

// finish reads what the tar reader left (end-of-archive padding) and
// fails unless the stream's digest is the expected diff_id.
func (d *diffIDReader) finish() error {
	if _, err := io.Copy(io.Discard, d); err != nil {
		return err
	}
	if d.want.Algorithm() != digest.SHA256 {
		return nil // only sha256 diff_ids are checked
	}
	if got := digest.NewDigest(digest.SHA256, d.h); got != d.want {
		return fmt.Errorf("%w: uncompressed content is %s, the config's diff_id says %s", resolve.ErrInvalidBase, got, d.want)
	}
	return nil
}

// UncompressedDigest returns the sha256 digest of the uncompressed content
// of a layer stream (gzip, zstd, xz or plain tar): its DiffID.
func UncompressedDigest(r io.Reader) (digest.Digest, error) {
	dr, err := decompress(r)
	if err != nil {
		return "", err
	}
	defer dr.Close()
	h := digest.SHA256.Digester()
	if _, err := io.Copy(h.Hash(), dr); err != nil {
		return "", err
	}
	return h.Digest(), nil
}
