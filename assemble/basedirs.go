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

// replaceDirs returns the normalised names of every layer's replace
// directories (the root excluded).
func replaceDirs(layers []spec.Layer) (map[string]bool, error) {
	want := map[string]bool{}
	for _, l := range layers {
		for i, p := range l.Replace {
			n, _, err := cleanDst(p)
			if err != nil {
				return nil, fmt.Errorf("replace[%d]: %w", i, err)
			}
			if n != "" {
				want[n] = true
			}
		}
	}
	return want, nil
}

// baseDirs reads the base image's layers, bottom to top, for the
// attributes of the directories in want, so that an opaque directory keeps
// its owner and mode (/tmp stays 1777). Only tar headers are read; the
// layers are fetched only when want is not empty, and each is checked
// against its diff_id (diffIDs, one per layer) since it is read anyway.
func baseDirs(ctx context.Context, src resolve.BlobSource, layers []ocispec.Descriptor, diffIDs []digest.Digest, want map[string]bool) (map[string]dirAttrs, error) {
	found := map[string]dirAttrs{}
	if len(want) == 0 {
		return found, nil
	}
	for i, l := range layers {
		var id digest.Digest
		if i < len(diffIDs) {
			id = diffIDs[i]
		}
		if err := scanLayerDirs(ctx, src, l, id, want, found); err != nil {
			return nil, fmt.Errorf("base layer %s: %w", l.Digest, err)
		}
	}
	return found, nil
}

// scanLayerDirs applies one base layer to found: directories in want are
// recorded, whiteouts remove what they hide. With a diffID, the
// uncompressed stream must match it.
func scanLayerDirs(ctx context.Context, src resolve.BlobSource, l ocispec.Descriptor, diffID digest.Digest, want map[string]bool, found map[string]dirAttrs) error {
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
	for {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			if diffID == "" {
				return nil
			}
			return dr.finish()
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		applyBaseHeader(h, want, found)
	}
}

// applyBaseHeader records h if it is a wanted directory and applies
// whiteouts and replacements of wanted directories by other types.
func applyBaseHeader(h *tar.Header, want map[string]bool, found map[string]dirAttrs) {
	name := strings.Trim(path.Clean("/"+h.Name), "/")
	dir, file := parent(name), base(name)
	switch {
	case file == opaqueMarker:
		dropUnder(found, dir, false)
	case strings.HasPrefix(file, whiteoutPrefix):
		dropUnder(found, join(dir, strings.TrimPrefix(file, whiteoutPrefix)), true)
	case h.Typeflag == tar.TypeDir:
		if want[name] {
			found[name] = baseDirMeta(h)
		}
	default:
		dropUnder(found, name, true) // a non-directory hides what was there
	}
}

// dropUnder forgets the directories under name (and name itself if self).
func dropUnder(found map[string]dirAttrs, name string, self bool) {
	for n := range found {
		if (self && n == name) || name == "" || strings.HasPrefix(n, name+"/") {
			delete(found, n)
		}
	}
}
