package output

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/location"
)

// dockerArchiveWriter writes docker-archive:FILE[:NAME:TAG]: a `docker
// save` tarball that old and new docker, podman, skopeo and containerd load.
type dockerArchiveWriter struct {
	dest  string
	path  string
	names []string
}

var _ Writer = (*dockerArchiveWriter)(nil)

func init() { register(location.DockerArchive, newDockerArchiveWriter) }

// newDockerArchiveWriter parses docker-archive:FILE[:NAME:TAG]; the
// reference after the path, if any, replaces the spec's tags.
func newDockerArchiveWriter(dest string, loc location.Location, opts Options) (Writer, error) {
	tags := opts.Tags
	if loc.Ref != "" {
		tags = []string{loc.Ref}
	}
	names, err := imageNames(tags, opts.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dest, err)
	}
	return &dockerArchiveWriter{dest: dest, path: loc.Path, names: names}, nil
}

// Holds reports the archive file and its limit: a docker archive holds one
// platform.
func (w *dockerArchiveWriter) Holds() Holds {
	return Holds{Dest: w.dest, Path: w.path, MaxPlatforms: 1, Name: "a docker archive"}
}

// Write writes the archive for img's only platform. The result's digest
// is that platform's manifest.
func (w *dockerArchiveWriter) Write(ctx context.Context, img *assemble.Image) (Result, error) {
	if err := CheckPlatforms(w, imagePlatforms(img)); err != nil {
		return Result{}, err
	}
	m := img.Manifests[0]
	manifestJSON, index, err := w.metadata(m)
	if err != nil {
		return Result{}, err
	}
	blobs := append([]ocispec.Descriptor{m.Desc, m.Config}, m.Layers...)
	err = writeArchive(w.path, func(a *archive) error {
		if err := a.blobs(ctx, img, blobs); err != nil {
			return err
		}
		if err := a.file("index.json", index); err != nil {
			return err
		}
		if err := a.file("manifest.json", manifestJSON); err != nil {
			return err
		}
		return a.file("oci-layout", layoutMarker())
	})
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", w.dest, err)
	}
	return Result{Dest: w.dest, Ref: w.names[0], Digest: m.Desc.Digest}, nil
}

// metadata returns manifest.json and index.json for m: one index entry per
// name, each with io.containerd.image.name and its tag as the ref name.
func (w *dockerArchiveWriter) metadata(m assemble.Manifest) (manifestJSON, index []byte, err error) {
	e := imageio.DockerArchiveEntry{RepoTags: w.names}
	if e.Config, err = imageio.BlobPath(m.Config.Digest); err != nil {
		return nil, nil, err
	}
	for _, l := range m.Layers {
		p, err := imageio.BlobPath(l.Digest)
		if err != nil {
			return nil, nil, err
		}
		e.Layers = append(e.Layers, p)
	}
	if manifestJSON, err = json.Marshal([]imageio.DockerArchiveEntry{e}); err != nil {
		return nil, nil, err
	}
	idx := newIndex()
	for _, n := range w.names {
		ann := map[string]string{annotationImageName: n}
		if named, err := reference.ParseNormalizedNamed(n); err == nil {
			if t, ok := named.(reference.Tagged); ok {
				ann[annotationRefName] = t.Tag()
			}
		}
		idx.Manifests = append(idx.Manifests, entryFor(m.Desc, ann))
	}
	index, err = indexBytes(idx)
	return manifestJSON, index, err
}

// imagePlatforms lists the platforms of img's manifests.
func imagePlatforms(img *assemble.Image) []ocispec.Platform {
	out := make([]ocispec.Platform, 0, len(img.Manifests))
	for _, m := range img.Manifests {
		if m.Desc.Platform != nil {
			out = append(out, *m.Desc.Platform)
		} else {
			out = append(out, ocispec.Platform{})
		}
	}
	return out
}
