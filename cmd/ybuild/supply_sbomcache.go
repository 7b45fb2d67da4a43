package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/cache"
	"github.com/ybuild/ybuild/internal/blobfile"
)

// sbomCacheVersion changes whenever attest.SBOM's output for the same
// input changes, so that documents saved by an older ybuild are not reused.
const sbomCacheVersion = 1

// An SBOM is a function of its input: the manifest (which fixes the layer
// blobs, so their files), the base and its SBOM, the name, the creation
// time and the tool. A rebuild with nothing changed has the same input, so
// the document of the last build is read back from the cache directory
// instead of being made again: scans/sbom-<key>.json names the document's
// blob (in blobs/, checked by digest when read), the key hashing the input.

// sbomRecord is a saved SBOM: the descriptor of its blob.
type sbomRecord struct {
	Version int                `json:"version"`
	SBOM    ocispec.Descriptor `json:"sbom"`
}

// sbomKey hashes everything the SBOM of in, with the new layers layers,
// depends on.
func sbomKey(in attest.SBOMInput, layers []ocispec.Descriptor) (string, bool) {
	data, err := json.Marshal(struct {
		Version, Scan int
		In            attest.SBOMInput
		Layers        []ocispec.Descriptor
	}{sbomCacheVersion, attest.ScanVersion, in, layers})
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), true
}

// sbomPath is DIR/scans/sbom-<key>.json.
func sbomPath(dir, key string) string {
	return filepath.Join(dir, cache.ScansDir, "sbom-"+key+".json")
}

// loadSBOM returns the saved SBOM for key, marking its record and blob
// used (for `ybuild cache prune`), if both are there and the blob has the
// recorded digest.
func loadSBOM(dir, key string) ([]byte, bool) {
	if dir == "" || key == "" {
		return nil, false
	}
	p := sbomPath(dir, key)
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	var r sbomRecord
	if json.Unmarshal(raw, &r) != nil || r.Version != sbomCacheVersion || r.SBOM.Digest.Validate() != nil {
		return nil, false
	}
	blob := cache.New(dir).BlobPath(r.SBOM.Digest)
	data, err := os.ReadFile(blob)
	if err != nil || int64(len(data)) != r.SBOM.Size || digest.FromBytes(data) != r.SBOM.Digest {
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now)
	_ = os.Chtimes(blob, now, now)
	return data, true
}

// saveSBOM saves an SBOM under key; failing to is not an error (the next
// build makes it again).
func saveSBOM(dir, key string, data []byte) {
	if dir == "" || key == "" {
		return
	}
	desc := ocispec.Descriptor{MediaType: attest.MediaTypeSPDX, Digest: digest.FromBytes(data), Size: int64(len(data))}
	rec, err := json.Marshal(sbomRecord{Version: sbomCacheVersion, SBOM: desc})
	if err != nil {
		return
	}
	blob := cache.New(dir).BlobPath(desc.Digest)
	p := sbomPath(dir, key)
	if os.MkdirAll(filepath.Dir(blob), 0o755) != nil || os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return
	}
	write := func(path string, b []byte) error {
		return blobfile.WriteAtomic(path, 0o644, true, func(f *os.File) error {
			_, err := f.Write(b)
			return err
		})
	}
	if write(blob, data) == nil { // the blob first: a record never names a missing blob
		_ = write(p, rec)
	}
}
