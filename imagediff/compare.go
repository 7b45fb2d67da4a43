package imagediff

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options tune a comparison.
type Options struct {
	// FirstOnly stops at the first difference (what verify needs): later
	// platforms and layers are not read.
	FirstOnly bool
}

// Compare compares image a with image b, platform by platform (matched by
// platform name).
func Compare(ctx context.Context, a, b Image, opts Options) (*Report, error) {
	r := &Report{A: a.Name, B: b.Name, DigestA: a.Digest, DigestB: b.Digest, Same: a.Digest == b.Digest}
	if r.Same {
		return r, nil
	}
	byName := map[string]*Manifest{}
	for i := range b.Manifests {
		byName[b.Manifests[i].Platform] = &b.Manifests[i]
	}
	seen := map[string]bool{}
	for i := range a.Manifests {
		ma := &a.Manifests[i]
		seen[ma.Platform] = true
		mb := byName[ma.Platform]
		if mb == nil {
			r.Platforms = append(r.Platforms, PlatformDiff{Platform: ma.Platform, Status: Removed, DigestA: ma.Digest})
			continue
		}
		pd, err := comparePlatform(ctx, a, b, ma, mb, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ma.Platform, err)
		}
		r.Platforms = append(r.Platforms, pd)
		if opts.FirstOnly && pd.Status != Same {
			return r, nil
		}
	}
	for _, mb := range b.Manifests {
		if !seen[mb.Platform] {
			r.Platforms = append(r.Platforms, PlatformDiff{Platform: mb.Platform, Status: Added, DigestB: mb.Digest})
		}
	}
	return r, nil
}

// comparePlatform compares one platform's manifests.
func comparePlatform(ctx context.Context, a, b Image, ma, mb *Manifest, opts Options) (PlatformDiff, error) {
	pd := PlatformDiff{Platform: ma.Platform, Status: Same, DigestA: ma.Digest, DigestB: mb.Digest}
	if ma.Digest == mb.Digest {
		return pd, nil
	}
	pd.Status = Changed
	layers, err := alignLayers(ma.Layers, mb.Layers)
	if err != nil {
		return pd, err
	}
	for i := range layers {
		l := &layers[i]
		if l.Status != Changed {
			continue
		}
		ea, err := readLayer(ctx, a.Open, *l.A)
		if err != nil {
			return pd, err
		}
		eb, err := readLayer(ctx, b.Open, *l.B)
		if err != nil {
			return pd, err
		}
		l.Files = compareLayers(ea, eb)
		if opts.FirstOnly && len(l.Files) > 0 {
			break
		}
	}
	pd.Layers = layers
	if pd.Config, err = compareJSON(ma.Config, mb.Config); err != nil {
		return pd, err
	}
	pd.Annotations = compareAnnotations(ma.Annotations, mb.Annotations)
	return pd, nil
}

// maxAlignCells bounds the longest-common-subsequence table of
// alignLayers (n×m ints): a manifest may list a hundred thousand layers.
const maxAlignCells = 1 << 22

// alignLayers pairs the layers of a and b: the longest common subsequence
// of digests is unchanged; between two common layers, layers are paired
// in order as changed, and the rest are removed (only in a) or added (only
// in b). When the table would pass maxAlignCells, only the common prefix
// and suffix are unchanged and the layers between are paired in order.
func alignLayers(a, b []ocispec.Descriptor) ([]LayerDiff, error) {
	if len(a)*len(b) > maxAlignCells {
		return alignEnds(a, b), nil
	}
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case a[i].Digest == b[j].Digest:
				lcs[i][j] = lcs[i+1][j+1] + 1
			case lcs[i+1][j] >= lcs[i][j+1]:
				lcs[i][j] = lcs[i+1][j]
			default:
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	var out, gapA, gapB []LayerDiff
	flush := func() {
		k := 0
		for ; k < len(gapA) && k < len(gapB); k++ {
			out = append(out, LayerDiff{Status: Changed, A: gapA[k].A, B: gapB[k].B})
		}
		out = append(append(out, gapA[k:]...), gapB[k:]...)
		gapA, gapB = nil, nil
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i].Digest == b[j].Digest:
			flush()
			out = append(out, LayerDiff{Status: Same, A: &a[i], B: &b[j]})
			i, j = i+1, j+1
		case j >= m || (i < n && lcs[i+1][j] >= lcs[i][j+1]):
			gapA = append(gapA, LayerDiff{Status: Removed, A: &a[i]})
			i++
		default:
			gapB = append(gapB, LayerDiff{Status: Added, B: &b[j]})
			j++
		}
	}
	flush()
	return out, nil
}

// alignEnds is alignLayers without the table: the common prefix and
// suffix are unchanged, the layers between are paired in order as
// changed, and the rest removed or added.
func alignEnds(a, b []ocispec.Descriptor) []LayerDiff {
	p := 0
	for p < len(a) && p < len(b) && a[p].Digest == b[p].Digest {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s].Digest == b[len(b)-1-s].Digest {
		s++
	}
	out := make([]LayerDiff, 0, max(len(a), len(b)))
	for i := 0; i < p; i++ {
		out = append(out, LayerDiff{Status: Same, A: &a[i], B: &b[i]})
	}
	ma, mb := a[p:len(a)-s], b[p:len(b)-s]
	for k := 0; k < len(ma) || k < len(mb); k++ {
		switch {
		case k < len(ma) && k < len(mb):
			out = append(out, LayerDiff{Status: Changed, A: &ma[k], B: &mb[k]})
		case k < len(ma):
			out = append(out, LayerDiff{Status: Removed, A: &ma[k]})
		default:
			out = append(out, LayerDiff{Status: Added, B: &mb[k]})
		}
	}
	for i := s; i > 0; i-- {
		out = append(out, LayerDiff{Status: Same, A: &a[len(a)-i], B: &b[len(b)-i]})
	}
	return out
}
