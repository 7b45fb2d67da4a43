package resolve

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ybuild/ybuild/imageio"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MaxLayers is the most layers a base image may have. containerd's overlay
// snapshotter stacks at most 127; a base far beyond that is broken or
// hostile, and refusing it early keeps memory and work bounded.
const MaxLayers = 1000

// checkConsistent refuses an image whose manifest and config disagree: more
// than MaxLayers layers, a diff_ids count that differs from the layer count,
// or an uncompressed layer whose digest is not its diff_id (for those the
// two are the same by definition, so no byte needs reading).
func checkConsistent(m ocispec.Manifest, cfg []byte) error {
	if len(m.Layers) > MaxLayers {
		return fmt.Errorf("%w: manifest has %d layers, more than %d", ErrInvalidBase, len(m.Layers), MaxLayers)
	}
	ids, err := diffIDs(cfg)
	if err != nil {
		return err
	}
	if len(ids) != len(m.Layers) {
		return fmt.Errorf("%w: config has %d diff_ids for %d layers", ErrInvalidBase, len(ids), len(m.Layers))
	}
	for i, l := range m.Layers {
		if isUncompressedLayer(l.MediaType) && l.Digest != ids[i] {
			return fmt.Errorf("%w: layer %d (%s) is uncompressed but the config's diff_id is %s", ErrInvalidBase, i, l.Digest, ids[i])
		}
	}
	return nil
}

// diffIDs returns the config's rootfs.diff_ids.
func diffIDs(cfg []byte) ([]digest.Digest, error) {
	var c struct {
		RootFS ocispec.RootFS `json:"rootfs"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		return nil, fmt.Errorf("%w: parse config: %w", ErrInvalidBase, err)
	}
	return c.RootFS.DiffIDs, nil
}

// isUncompressedLayer reports whether a layer media type is a plain tar.
func isUncompressedLayer(mt string) bool {
	return mt == ocispec.MediaTypeImageLayer || mt == imageio.MediaTypeDockerLayer ||
		mt == ocispec.MediaTypeImageLayerNonDistributable //nolint:staticcheck // still found in old images
}

// checkDiffIDCount fails unless the config lists one diff_id per layer.
func checkDiffIDCount(cfg []byte, layers int) error {
	ids, err := diffIDs(cfg)
	if err != nil {
		return err
	}
	if len(ids) != layers {
		return fmt.Errorf("%w: config has %d diff_ids for %d layers", ErrInvalidBase, len(ids), layers)
	}
	return nil
}

// isForeign reports whether a layer may be absent from a layout because
// its owner forbids redistribution (Docker foreign, OCI non-distributable).
func isForeign(mt string) bool {
	return mt == imageio.MediaTypeDockerForeignLayer || strings.Contains(mt, ".nondistributable.")
}
