package assemble

import (
	"archive/tar"
	"context"
	"fmt"
	"slices"
	"strings"
)

// entry is one layer entry: metadata only. A regular file's content is read
// from src or content when the entry is written.
type entry struct {
	name               string // normalised, no trailing "/"; never ""
	kind               byte   // tar typeflag
	meta                      // owner, mode, mtime: decided in attrs.go
	size               int64  // regular files
	linkname           string
	devmajor, devminor int64
	src                string   // regular file: file to read the content from
	content            *string  // regular file: inline content
	linkKey            string   // entries sharing a key are hardlinks of one file
	srcID              string   // regular file: src's identity when walked (fileIdentity)
	from               *srcFile // regular file from the spec directory: how to open src safely
	origin             string   // what made the entry, for errors
	prio               priority
}

// priority orders entries with the same name: an explicit entry wins over
// implicit directories, which never conflict with anything.
type priority int

const (
	prioAncestor priority = iota // missing ancestor on scratch
	prioCopyDst                  // dst of a directory copy, scratch only
	prioReplace                  // directory holding an opaque marker
	prioExplicit                 // everything the spec asks for
)

// finish turns the collected entries (in spec order) into the final sorted
// list: duplicates merged or refused, implicit directories added on
// scratch, parents checked, hardlinks assigned. Each step is linear in the
// entries' total name length (names are bounded by normalise) and checks
// ctx as it goes.
func finish(ctx context.Context, es []entry, scratch bool, anc func(name string) meta) ([]entry, error) {
	byName := make(map[string]int, len(es))
	out := make([]entry, 0, len(es))
	for _, e := range es {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if e.prio == prioCopyDst && !scratch {
			continue
		}
		i, ok := byName[e.name]
		if !ok {
			byName[e.name] = len(out)
			out = append(out, e)
			continue
		}
		if err := mergeInto(&out[i], e); err != nil {
			return nil, err
		}
	}
	if scratch {
		var err error
		if out, err = addAncestors(ctx, out, byName, anc); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return comparePaths(a.name, b.name) })
	if err := checkParents(ctx, out); err != nil {
		return nil, err
	}
	return out, assignHardlinks(ctx, out)
}

// mergeInto merges e into the existing entry with the same name: the higher
// priority wins; two explicit entries must be identical (the same source
// reached twice, e.g. by a glob and a directory) or it is an error.
func mergeInto(have *entry, e entry) error {
	switch {
	case e.prio > have.prio:
		*have = e
	case e.prio < have.prio:
	case e.prio == prioExplicit && !sameEntry(*have, e):
		return &dupError{name: e.name, first: have.origin, second: e.origin}
	}
	return nil
}

// sameEntry reports whether two entries would write the same bytes.
func sameEntry(a, b entry) bool {
	return a.kind == b.kind && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid &&
		a.mtime.Equal(b.mtime) && a.size == b.size && a.linkname == b.linkname &&
		a.src == b.src && a.content == b.content && a.linkKey == b.linkKey
}

// addAncestors adds every missing ancestor directory (scratch bases only),
// with the attributes anc gives it.
func addAncestors(ctx context.Context, es []entry, byName map[string]int, anc func(name string) meta) ([]entry, error) {
	n := len(es)
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for p := parent(es[i].name); p != ""; p = parent(p) {
			if _, ok := byName[p]; ok {
				break
			}
			byName[p] = len(es)
			es = append(es, entry{name: p, kind: tar.TypeDir, meta: anc(p), origin: "ancestor", prio: prioAncestor})
		}
	}
	return es, nil
}

// checkParents refuses an entry whose parent in this layer is not a
// directory (a file, or a symlink that extraction would go through).
func checkParents(ctx context.Context, sorted []entry) error {
	kinds := make(map[string]*entry, len(sorted))
	for i := range sorted {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := &sorted[i]
		if p, ok := kinds[parent(e.name)]; ok && p.kind != tar.TypeDir {
			return fmt.Errorf("%q (%s) is below %q (%s): %w", e.name, e.origin, p.name, p.origin, ErrNotDir)
		}
		kinds[e.name] = e
	}
	return nil
}

// assignHardlinks makes the first entry (in sorted order) of each group of
// identical files the regular file and the later ones hardlinks to it.
func assignHardlinks(ctx context.Context, sorted []entry) error {
	first := map[string]string{}
	for i := range sorted {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := &sorted[i]
		if e.linkKey == "" || e.kind != tar.TypeReg {
			continue
		}
		key := fmt.Sprintf("%s|%o|%d:%d|%d", e.linkKey, e.mode, e.uid, e.gid, e.mtime.Unix())
		target, ok := first[key]
		if !ok {
			first[key] = e.name
			continue
		}
		e.kind, e.linkname, e.size, e.src, e.content = tar.TypeLink, target, 0, "", nil
	}
	return nil
}

// comparePaths orders entry names component by component, bytewise, so a
// parent comes before its children and a directory's subtree is
// contiguous; among siblings the opaque marker comes first, then
// whiteouts, then everything else.
func comparePaths(a, b string) int {
	for {
		ca, ra, moreA := strings.Cut(a, "/")
		cb, rb, moreB := strings.Cut(b, "/")
		if c := compareComponents(ca, cb); c != 0 {
			return c
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1
		case !moreB:
			return 1
		}
		a, b = ra, rb
	}
}

// compareComponents compares two sibling names.
func compareComponents(a, b string) int {
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

// rank puts the opaque marker before whiteouts before other names.
func rank(c string) int {
	switch {
	case c == opaqueMarker:
		return 0
	case strings.HasPrefix(c, whiteoutPrefix):
		return 1
	}
	return 2
}
