package output

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"

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

// readIndex reads dir/index.json.
func readIndex(dir string) (ocispec.Index, error) {
	var idx ocispec.Index
	data, err := os.ReadFile(filepath.Join(dir, indexFile))
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
