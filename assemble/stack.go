package assemble

import (
	"archive/tar"
	"context"
	"maps"
	"strings"
)

// On scratch every layer carries the missing ancestors of its entries. An
// ancestor that an earlier layer of the build already made must keep that
// layer's owner, mode and mtime (a later /tmp/foo must not reset /tmp
// 1777 to 0755), so the layers of a scratch build form a stack: each
// layer's ancestors wait for the directories of the layers below it.

// dirSet is the directories of the image up to one layer, with their
// attributes; it is set once, when that layer's entries are final.
type dirSet struct {
	ready chan struct{}
	dirs  map[string]meta
	err   error
}

// newDirSet returns an unset dirSet.
func newDirSet() *dirSet { return &dirSet{ready: make(chan struct{})} }

// set sets the directories (or the error that stopped the layer).
func (d *dirSet) set(dirs map[string]meta, err error) {
	d.dirs, d.err = dirs, err
	close(d.ready)
}

// wait returns the directories once set; a nil dirSet is the empty image.
func (d *dirSet) wait(ctx context.Context) (map[string]meta, error) {
	if d == nil {
		return nil, nil
	}
	select {
	case <-d.ready:
		return d.dirs, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// stackDirs returns the directories of the image after applying the
// sorted entries of one layer to below: directories are added or
// replaced, whiteouts and opaque markers remove what they hide, any other
// entry hides a directory of its name.
func stackDirs(ctx context.Context, below map[string]meta, sorted []entry) (map[string]meta, error) {
	out := maps.Clone(below)
	if out == nil {
		out = map[string]meta{}
	}
	for i := range sorted {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e := &sorted[i]
		dir, file := parent(e.name), base(e.name)
		switch {
		case file == opaqueMarker:
			dropDirs(out, dir, false)
		case strings.HasPrefix(file, whiteoutPrefix):
			dropDirs(out, join(dir, strings.TrimPrefix(file, whiteoutPrefix)), true)
		case e.kind == tar.TypeDir:
			out[e.name] = e.meta
		default:
			dropDirs(out, e.name, true)
		}
	}
	return out, nil
}

// dropDirs forgets the directories under name (and name itself if self).
func dropDirs(dirs map[string]meta, name string, self bool) {
	for n := range dirs {
		if (self && n == name) || name == "" || strings.HasPrefix(n, name+"/") {
			delete(dirs, n)
		}
	}
}
