package resolve

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/location"
)

func init() { registerLocal(location.DockerArchive, openDockerArchive) }

// openDockerArchive opens docker-archive:FILE[:NAME:TAG|:@N]. An archive with
// oci-layout (Docker 25+) is read through index.json; otherwise manifest.json
// is turned into a Docker schema2 manifest.
func openDockerArchive(ctx context.Context, file, ref string, opts Options) (*Base, error) {
	src, err := scanTar(ctx, file)
	if err != nil {
		return nil, err
	}
	if _, ok := src.members[ocispec.ImageLayoutFile]; ok {
		return fromDockerLayout(ctx, src, ref, opts)
	}
	return fromManifestJSON(ctx, src, ref, opts)
}

// fromDockerLayout opens a Docker 25+ archive through its index.json.
func fromDockerLayout(ctx context.Context, src *tarSource, ref string, opts Options) (*Base, error) {
	idx, err := readLayoutIndex(ctx, src)
	if err != nil {
		return nil, err
	}
	var entry ocispec.Descriptor
	if n, ok := entryIndex(ref); ok {
		if n >= len(idx.Manifests) {
			return nil, fmt.Errorf("%s: %w", src, missingIndex(ref, len(idx.Manifests)))
		}
		entry = idx.Manifests[n]
	} else if entry, err = pickRef(idx.Manifests, ref, matchDockerName); err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	b, err := newBase(ctx, normalizeName(entry.Annotations[annotationImageName]), entry, src, opts)
	if err == nil {
		err = checkLayers(src, b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return b, nil
}

// matchDockerName matches an entry by its image name or its ref name.
func matchDockerName(d ocispec.Descriptor, ref string) bool {
	name := d.Annotations[annotationImageName]
	return (name != "" && normalizeName(name) == normalizeName(ref)) || matchRefName(d, ref)
}

// entryIndex parses "@N".
func entryIndex(ref string) (int, bool) {
	s, ok := strings.CutPrefix(ref, "@")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// normalizeName returns the fully qualified form of name (docker.io/library/x:latest),
// or name itself when it does not parse.
func normalizeName(name string) string {
	if name == "" {
		return ""
	}
	n, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name
	}
	return reference.TagNameOnly(n).String()
}

// fromManifestJSON opens a legacy docker-save archive: the chosen
// manifest.json entry becomes a synthesized Docker schema2 manifest.
func fromManifestJSON(ctx context.Context, src *tarSource, ref string, opts Options) (*Base, error) {
	data, err := src.readFile(ctx, "manifest.json")
	if err != nil {
		return nil, fmt.Errorf("%w: %s: neither oci-layout nor manifest.json: %w", ErrInvalidBase, src, err)
	}
	var entries []imageio.DockerArchiveEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("%w: %s: parse manifest.json: %w", ErrInvalidBase, src, err)
	}
	e, err := pickDockerEntry(entries, ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	top, err := synthesize(ctx, src, e)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	var name string
	if len(e.RepoTags) > 0 {
		name = normalizeName(e.RepoTags[0])
	}
	b, err := newBase(ctx, name, top, src, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return b, nil
}

// pickDockerEntry selects a manifest.json entry by @N or NAME:TAG; with no
// ref there must be exactly one.
func pickDockerEntry(entries []imageio.DockerArchiveEntry, ref string) (imageio.DockerArchiveEntry, error) {
	if n, ok := entryIndex(ref); ok {
		if n >= len(entries) {
			return imageio.DockerArchiveEntry{}, missingIndex(ref, len(entries))
		}
		return entries[n], nil
	}
	var tags []string
	for i, e := range entries {
		tags = append(tags, fmt.Sprintf("@%d %s", i, strings.Join(e.RepoTags, " ")))
		if ref == "" {
			continue
		}
		for _, t := range e.RepoTags {
			if normalizeName(t) == normalizeName(ref) {
				return e, nil
			}
		}
	}
	switch {
	case ref != "":
		return imageio.DockerArchiveEntry{}, missingRef(ref, tags)
	case len(entries) == 1:
		return entries[0], nil
	case len(entries) == 0:
		return imageio.DockerArchiveEntry{}, fmt.Errorf("%w: manifest.json has no entries", ErrInvalidBase)
	}
	return imageio.DockerArchiveEntry{}, fmt.Errorf("%w: %d images, add :NAME:TAG or :@N (%s)", ErrAmbiguous, len(entries), listNames(tags))
}

// synthesize builds a schema2 manifest for a manifest.json entry (OCI when a
// layer is zstd), registers its blobs with src and returns its descriptor.
func synthesize(ctx context.Context, src *tarSource, e imageio.DockerArchiveEntry) (ocispec.Descriptor, error) {
	if len(e.Layers) > MaxLayers {
		return ocispec.Descriptor{}, fmt.Errorf("%w: manifest.json entry has %d layers, more than %d", ErrInvalidBase, len(e.Layers), MaxLayers)
	}
	cfgName := cleanName(e.Config)
	cfg, err := src.readFile(ctx, cfgName)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%w: config: %w", ErrInvalidBase, err)
	}
	if src.names == nil {
		src.names, src.mem = map[digest.Digest]string{}, map[digest.Digest][]byte{}
	}
	m := ocispec.Manifest{MediaType: imageio.MediaTypeDockerManifest, Layers: []ocispec.Descriptor{}}
	m.SchemaVersion = 2
	m.Config = ocispec.Descriptor{MediaType: imageio.MediaTypeDockerConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))}
	src.names[m.Config.Digest] = cfgName
	for _, l := range e.Layers {
		d, err := hashLayer(ctx, src, cleanName(l))
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		src.names[d.Digest] = cleanName(l)
		m.Layers = append(m.Layers, d)
	}
	if err := checkDiffIDCount(cfg, len(m.Layers)); err != nil {
		return ocispec.Descriptor{}, err
	}
	if hasZstd(m.Layers) {
		toOCI(&m)
	}
	data, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: m.MediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	src.mem[desc.Digest] = data
	return desc, nil
}

// hashLayer digests a layer file and sniffs its compression.
func hashLayer(ctx context.Context, src *tarSource, name string) (ocispec.Descriptor, error) {
	r, err := src.open(name)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer r.Close()
	h := sha256.New()
	var magic [imageio.MagicLen]byte
	n, _ := io.ReadFull(r, magic[:])
	h.Write(magic[:n])
	size, err := io.Copy(h, imageio.WithContext(ctx, r))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("layer %s: %w", name, err)
	}
	mt := imageio.MediaTypeDockerLayer
	switch imageio.Sniff(magic[:n]) {
	case imageio.Gzip:
		mt = imageio.MediaTypeDockerLayerGzip
	case imageio.Zstd:
		mt = imageio.MediaTypeDockerLayerZstd
	}
	return ocispec.Descriptor{MediaType: mt, Digest: digest.NewDigest(digest.SHA256, h), Size: size + int64(n)}, nil
}

// hasZstd reports whether a layer is zstd-compressed.
func hasZstd(layers []ocispec.Descriptor) bool {
	for _, l := range layers {
		if l.MediaType == imageio.MediaTypeDockerLayerZstd {
			return true
		}
	}
	return false
}

// toOCI switches a synthesized manifest to OCI media types.
func toOCI(m *ocispec.Manifest) {
	m.MediaType = ocispec.MediaTypeImageManifest
	m.Config.MediaType = ocispec.MediaTypeImageConfig
	for i, l := range m.Layers {
		switch l.MediaType {
		case imageio.MediaTypeDockerLayer:
			m.Layers[i].MediaType = ocispec.MediaTypeImageLayer
		case imageio.MediaTypeDockerLayerGzip:
			m.Layers[i].MediaType = ocispec.MediaTypeImageLayerGzip
		case imageio.MediaTypeDockerLayerZstd:
			m.Layers[i].MediaType = ocispec.MediaTypeImageLayerZstd
		}
	}
}
