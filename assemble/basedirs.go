package assemble

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// dirAttrs are a base directory's owner, mode and mtime, as its topmost
// base layer records them.
type dirAttrs struct {
	// Mode holds the permission bits with setuid, setgid and sticky.
	Mode uint32 `json:"mode"`
	// UID and GID are the numeric owner.
	UID int `json:"uid"`
	GID int `json:"gid"`
	// Mtime is the modification time.
	Mtime time.Time `json:"mtime"`
}

// replaceDirs returns the normalised names of the layers' replace
// directories (the root excluded) whose attributes must come from the
// base: those the same layer does not add itself with dir: true (its own
// entry wins, so the base need not be read for them).
func replaceDirs(layers []spec.Layer) (map[string]bool, error) {
	want := map[string]bool{}
	for _, l := range layers {
		given := explicitDirs(l)
		for i, p := range l.Replace {
			n, _, err := cleanDst(p)
			if err != nil {
				return nil, fmt.Errorf("replace[%d]: %w", i, err)
			}
			if n != "" && !given[n] {
				want[n] = true
			}
		}
	}
	return want, nil
}

// explicitDirs returns the names of l's dir: true entries.
func explicitDirs(l spec.Layer) map[string]bool {
	given := map[string]bool{}
	for _, f := range l.Files {
		if !f.Dir {
			continue
		}
		if n, _, err := cleanDst(f.Dst); err == nil {
			given[n] = true
		}
	}
	return given
}

// baseDirs finds, in the base image's layers, the attributes of the
// directories in want, so that an opaque directory keeps its owner and
// mode (/tmp stays 1777). It reads tar headers only, top layer first, and
// stops as soon as every wanted directory is settled: found, or hidden by a
// whiteout, an opaque marker or a non-directory in a higher layer. Lower
// layers are then not opened at all. A layer read to its end is checked
// against its diff_id (diffIDs, one per layer) and drained, so that its
// digest is checked too (and a registry blob cached); one left early is
// not: attributes then come from an unchecked prefix of a blob whose
// digest the base's manifest names (docs/format.md, replace).
func baseDirs(ctx context.Context, src resolve.BlobSource, layers []ocispec.Descriptor, diffIDs []digest.Digest, want map[string]bool) (map[string]dirAttrs, error) {
	found := map[string]dirAttrs{}
	open := make(map[string]bool, len(want))
	for n := range want {
		open[n] = true
	}
	for i := len(layers) - 1; i >= 0 && len(open) > 0; i-- {
		var id digest.Digest
		if i < len(diffIDs) {
			id = diffIDs[i]
		}
		if err := scanLayerDirs(ctx, src, layers[i], id, open, found); err != nil {
			return nil, fmt.Errorf("base layer %s: %w", layers[i].Digest, err)
		}
	}
	return found, nil
}

// scanLayerDirs reads one base layer's headers until every name in open is
// settled: a wanted directory found here is recorded; one this layer hides
// from the layers below (whiteout, opaque parent) is settled as absent at
// the end of the layer, unless the layer itself has it; one under a
// non-directory is absent at once. Read to its end, the uncompressed
// stream must match diffID (when given).
func scanLayerDirs(ctx context.Context, src resolve.BlobSource, l ocispec.Descriptor, diffID digest.Digest, open map[string]bool, found map[string]dirAttrs) error {
	rc, err := src.Open(ctx, l)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr, err := decompress(imageio.WithContext(ctx, rc))
	if err != nil {
		return err
	}
	defer tr.Close()
	dr := newDiffIDReader(tr, diffID)
	r := tar.NewReader(dr)
	hidden := map[string]bool{}
	for len(open) > 0 {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			for n := range hidden {
				delete(open, n)
			}
			if diffID != "" {
				if err := dr.finish(); err != nil {
					return err
				}
			}
			_, err = io.Copy(io.Discard, imageio.WithContext(ctx, rc)) // check the digest
			return err
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		settleHeader(h, open, hidden, found)
	}
	return nil
}

// settleHeader applies one base layer header to the wanted names in open.
func settleHeader(h *tar.Header, open, hidden map[string]bool, found map[string]dirAttrs) {
	name := strings.Trim(path.Clean("/"+h.Name), "/")
	dir, file := parent(name), base(name)
	switch {
	case file == opaqueMarker:
		markUnder(open, hidden, dir, false)
	case strings.HasPrefix(file, whiteoutPrefix):
		markUnder(open, hidden, join(dir, strings.TrimPrefix(file, whiteoutPrefix)), true)
	case h.Typeflag == tar.TypeDir:
		if open[name] {
			found[name] = baseDirMeta(h)
			delete(open, name)
			delete(hidden, name)
		}
	default: // a non-directory: nothing at or under name is a directory
		for n := range open {
			if n == name || strings.HasPrefix(n, name+"/") {
				delete(open, n)
				delete(hidden, n)
			}
		}
	}
}

// markUnder marks the open names under name (and name itself if self) as
// hidden from the layers below.
func markUnder(open, hidden map[string]bool, name string, self bool) {
	for n := range open {
		if (self && n == name) || name == "" || strings.HasPrefix(n, name+"/") {
			hidden[n] = true
		}
	}
}
