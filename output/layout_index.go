package output

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"syscall"

	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/blobfile"
)

// indexFile is the name of a layout's index.
const indexFile = "index.json"

// newIndex returns an OCI index holding entries.
func newIndex(entries ...ocispec.Descriptor) ocispec.Index {
	return ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: entries,
	}
}

// entryFor returns a copy of desc with the annotations added.
func entryFor(desc ocispec.Descriptor, annotations map[string]string) ocispec.Descriptor {
	out := desc
	out.Annotations = maps.Clone(desc.Annotations)
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	maps.Copy(out.Annotations, annotations)
	return out
}

// replaceRef drops every entry named ref and appends entry.
func replaceRef(entries []ocispec.Descriptor, entry ocispec.Descriptor, ref string) []ocispec.Descriptor {
	out := make([]ocispec.Descriptor, 0, len(entries)+1)
	for _, e := range entries {
		if e.Annotations[annotationRefName] != ref {
			out = append(out, e)
		}
	}
	return append(out, entry)
}

// maxIndexSize bounds the index.json of a layout ybuild adds an image to:
// 64 MiB, hundreds of thousands of refs.
const maxIndexSize = 64 << 20

// readIndex reads dir/index.json, which must be a regular file of at most
// maxIndexSize bytes (a FIFO or /dev/zero there neither hangs nor fills
// memory).
func readIndex(dir string) (ocispec.Index, error) {
	var idx ocispec.Index
	data, err := readRegular(filepath.Join(dir, indexFile), maxIndexSize)
	if err != nil {
		return idx, fmt.Errorf("%w: %s is not a complete OCI layout: %w", ErrUsage, dir, err)
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return idx, fmt.Errorf("%w: %s: %w", ErrUsage, filepath.Join(dir, indexFile), err)
	}
	return idx, nil
}

// indexBytes marshals idx.
func indexBytes(idx ocispec.Index) ([]byte, error) {
	return json.Marshal(idx)
}

// writeIndex replaces dir/index.json atomically.
func writeIndex(dir string, idx ocispec.Index) error {
	data, err := indexBytes(idx)
	if err != nil {
		return err
	}
	return blobfile.WriteAtomic(filepath.Join(dir, indexFile), 0o644, true, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// readRegular reads the regular file path, of at most limit bytes; opening
// a FIFO does not block.
func readRegular(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}
