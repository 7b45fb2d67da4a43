package spec

import (
	"path/filepath"
	"strings"
)

// The built-in defaults of the entry attributes.
const (
	DefaultOwner    = "0:0"
	DefaultFileMode = "0644"
	DefaultDirMode  = "0755"
	DefaultMtime    = MtimeCreatedName
)

// applyDefaults fills in what the spec leaves out: the name, format and
// compression; top-level files: become one layer; every entry's owner,
// fileMode, dirMode and mtime cascade from entry → layer → defaults →
// built-in; dst, delete and replace paths are normalised. Defaults and
// layer attributes keep their values as written.
func (b *Build) applyDefaults() {
	if b.Name == "" && b.Dir != "" {
		b.Name = defaultName(filepath.Base(b.Dir))
	}
	if b.Format == "" {
		b.Format = FormatOCI
	}
	if b.Compression == "" {
		b.Compression = CompressionGzip
	}
	if len(b.Files) > 0 {
		b.fold()
	}
	for i := range b.Layers {
		b.layerDefaults(i)
	}
}

// fold turns top-level files: into one more layer on top of any layers:,
// keeping what is known about each path under its new name too.
func (b *Build) fold() {
	lp := indexPath("layers", len(b.Layers))
	b.Layers = append(b.Layers, Layer{Files: b.Files})
	b.Files = nil
	b.meta.folded = lp
	for p, e := range b.notes {
		if p == "files" || strings.HasPrefix(p, "files[") || strings.HasPrefix(p, "files.") {
			b.notes[lp+"."+p] = e
		}
	}
	if pos, ok := b.notes.pos("files"); ok {
		b.notes.setPos(lp, pos)
	}
}

// layerDefaults cascades the attributes into the entries of layer i and
// normalises its paths.
func (b *Build) layerDefaults(i int) {
	l := &b.Layers[i]
	lp := indexPath("layers", i)
	for j := range l.Files {
		f := &l.Files[j]
		fp := indexPath(lp+".files", j)
		b.inherit(fp+".owner", &f.Owner, lp+".owner", l.Owner, "defaults.owner", b.Defaults.Owner, DefaultOwner)
		b.inherit(fp+".fileMode", &f.FileMode, lp+".fileMode", l.FileMode, "defaults.fileMode", b.Defaults.FileMode, DefaultFileMode)
		b.inherit(fp+".dirMode", &f.DirMode, lp+".dirMode", l.DirMode, "defaults.dirMode", b.Defaults.DirMode, DefaultDirMode)
		b.inherit(fp+".mtime", &f.Mtime, lp+".mtime", l.Mtime, "defaults.mtime", b.Defaults.Mtime, DefaultMtime)
		b.normalise(fp+".dst", &f.Dst)
	}
	for j := range l.Delete {
		b.normalise(indexPath(lp+".delete", j), &l.Delete[j])
	}
	for j := range l.Replace {
		b.normalise(indexPath(lp+".replace", j), &l.Replace[j])
	}
}

// inherit sets *dst, at path, to the first of the layer's and the
// defaults' values that is set, else to builtin, carrying over the
// position and deferral of the value it copies.
func (b *Build) inherit(path string, dst *string, layerPath, layerVal, defPath, defVal, builtin string) {
	if *dst != "" {
		return
	}
	from := ""
	switch {
	case layerVal != "":
		*dst, from = layerVal, layerPath
	case defVal != "":
		*dst, from = defVal, defPath
	default:
		*dst = builtin
	}
	b.notes.set(path, flagInherited)
	if from == "" {
		return
	}
	if p, ok := b.notes.pos(from); ok {
		b.notes.setPos(path, p)
	}
	if b.notes.has(from, flagDeferred) {
		b.notes.set(path, flagDeferred)
	}
}

// normalise cleans an absolute path in place when it is valid and final.
func (b *Build) normalise(path string, p *string) {
	if b.notes.has(path, flagDeferred) {
		return
	}
	if clean, err := CleanDst(*p); err == nil {
		*p = clean
	}
}

// defaultName turns a directory name into an image name: lowercase, with
// runs of other characters than [a-z0-9._-] replaced by "-".
func defaultName(dir string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(dir) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		case !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-._")
	if name == "" {
		return "image"
	}
	return name
}
