package assemble

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"

	"github.com/ybuild/ybuild/spec"
)

func TestWriteLayerCopyDirectory(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"app/bin/tool": "x", "app/etc/conf": "c", "app/node_modules/m/i.js": "j",
		"app/logs/a.log": "l", "app/logs/keep.txt": "k", "app/empty/": "",
	})
	l := spec.Layer{Files: []spec.File{{Src: "app", Dst: "/opt/app",
		Exclude: []string{"node_modules", "**/*.log"}}}}
	_, es := mustWrite(t, l, testEnv(t, dir))
	// On a non-scratch base the dst itself is not emitted; subdirectories are.
	equalNames(t, es, "opt/app/bin/", "opt/app/bin/tool", "opt/app/empty/",
		"opt/app/etc/", "opt/app/etc/conf", "opt/app/logs/", "opt/app/logs/keep.txt")
}

func TestWriteLayerCopyFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a/f.txt": "hello"})
	l := spec.Layer{Files: []spec.File{
		{Src: "a/f.txt", Dst: "/etc/renamed"},
		{Src: "a/f.txt", Dst: "/srv/"},
		{Src: "a/f.txt", Dst: "/"},
	}}
	_, es := mustWrite(t, l, testEnv(t, dir))
	equalNames(t, es, "etc/renamed", "f.txt", "srv/f.txt")
	if e := find(t, es, "etc/renamed"); e.body != "hello" || e.h.Size != 5 {
		t.Errorf("content %q size %d", e.body, e.h.Size)
	}
}

func TestWriteLayerGlob(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"src/a.go": "a", "src/b.go": "b", "src/c.txt": "c", "src/sub/d.go": "d",
		"conf/x.d/one": "1", "conf/y.d/two": "2", "conf/z": "z",
	})
	l := spec.Layer{Files: []spec.File{
		// ** matches files in subdirectories; each goes to dst by base name.
		{Src: "src/**/*.go", Dst: "/go", Exclude: []string{"b.go"}},
		// A matched directory copies its contents into dst.
		{Src: "conf/*.d", Dst: "/etc/conf"},
	}}
	_, es := mustWrite(t, l, testEnv(t, dir))
	equalNames(t, es, "etc/conf/one", "etc/conf/two", "go/a.go", "go/d.go")
}

func TestWriteLayerInlineSymlinkDir(t *testing.T) {
	dir := t.TempDir()
	l := spec.Layer{Files: []spec.File{
		{Dst: "/etc/motd", Content: str("hi\n")},
		{Dst: "/usr/bin/sh", Symlink: "../../bin/busybox"},
		{Dst: "/data", Dir: true, Mode: "1777"},
		{Dst: "/var/empty", Dir: true},
	}}
	_, es := mustWrite(t, l, testEnv(t, dir))
	equalNames(t, es, "data/", "etc/motd", "usr/bin/sh", "var/empty/")
	checkHeader(t, find(t, es, "etc/motd"), tar.TypeReg, 0o644, "")
	checkHeader(t, find(t, es, "usr/bin/sh"), tar.TypeSymlink, 0o777, "../../bin/busybox")
	checkHeader(t, find(t, es, "data/"), tar.TypeDir, 0o1777, "")
	checkHeader(t, find(t, es, "var/empty/"), tar.TypeDir, 0o755, "")
}

func TestWriteLayerWhiteouts(t *testing.T) {
	dir := t.TempDir()
	l := spec.Layer{
		Files:   []spec.File{{Dst: "/etc/-early", Content: str("")}, {Dst: "/etc/app/new", Content: str("n")}},
		Delete:  []string{"/etc/passwd", "/etc/zz"},
		Replace: []string{"/etc/app"},
	}
	_, es := mustWrite(t, l, testEnv(t, dir))
	// Opaque marker first inside its directory, whiteouts before siblings
	// (even "-early", which sorts before ".wh." bytewise).
	equalNames(t, es, "etc/.wh.passwd", "etc/.wh.zz", "etc/-early", "etc/app/",
		"etc/app/.wh..wh..opq", "etc/app/new")
	for _, n := range []string{"etc/.wh.passwd", "etc/app/.wh..wh..opq"} {
		e := find(t, es, n)
		checkHeader(t, e, tar.TypeReg, 0, "")
		if e.h.Size != 0 || !e.h.ModTime.Equal(testCreated) || e.h.Uid != 0 {
			t.Errorf("%s: size %d mtime %v uid %d", n, e.h.Size, e.h.ModTime, e.h.Uid)
		}
	}
	checkHeader(t, find(t, es, "etc/app/"), tar.TypeDir, 0o755, "")
}

func TestWriteLayerReplaceKeepsExplicitDir(t *testing.T) {
	l := spec.Layer{
		Files:   []spec.File{{Dst: "/tmp", Dir: true, Mode: "1777"}},
		Replace: []string{"/tmp"},
	}
	_, es := mustWrite(t, l, testEnv(t, t.TempDir()))
	equalNames(t, es, "tmp/", "tmp/.wh..wh..opq")
	checkHeader(t, es[0], tar.TypeDir, 0o1777, "")
}

func TestWriteLayerSymlinksInTrees(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"tree/real": "r", "tree/rel": "->real", "tree/abs": "->/etc/passwd",
		"top-link": "->tree/real",
	})
	l := spec.Layer{Files: []spec.File{
		{Src: "tree", Dst: "/t"},
		{Src: "top-link", Dst: "/followed"},
	}}
	_, es := mustWrite(t, l, testEnv(t, dir))
	equalNames(t, es, "followed", "t/abs", "t/real", "t/rel")
	checkHeader(t, find(t, es, "t/rel"), tar.TypeSymlink, 0o777, "real")
	checkHeader(t, find(t, es, "t/abs"), tar.TypeSymlink, 0o777, "/etc/passwd")
	if e := find(t, es, "followed"); e.h.Typeflag != tar.TypeReg || e.body != "r" {
		t.Errorf("top-level symlink not followed: %c %q", e.h.Typeflag, e.body)
	}
}

func TestWriteLayerHardlinks(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"tree/b": "same", "tree/other": "o"})
	for _, n := range []string{"tree/c", "tree/a"} {
		if err := os.Link(filepath.Join(dir, "tree/b"), filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	_, es := mustWrite(t, spec.Layer{Files: []spec.File{{Src: "tree", Dst: "/h"}}}, testEnv(t, dir))
	equalNames(t, es, "h/a", "h/b", "h/c", "h/other")
	if e := es[0]; e.h.Typeflag != tar.TypeReg || e.body != "same" {
		t.Errorf("first of the group: %c %q", e.h.Typeflag, e.body)
	}
	checkHeader(t, es[1], tar.TypeLink, 0o644, "h/a")
	checkHeader(t, es[2], tar.TypeLink, 0o644, "h/a")
	checkHeader(t, es[3], tar.TypeReg, 0o644, "")
}

func TestWriteLayerScratchAncestors(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"app/f": "f"})
	l := spec.Layer{Files: []spec.File{
		{Src: "app", Dst: "/opt/app", Attrs: spec.Attrs{Owner: "10:20", DirMode: "0750"}},
		{Dst: "/usr/local/bin/x", Content: str("x")},
	}}
	env := testEnv(t, dir)
	env.scratch, env.ancestor.mode = true, 0o711
	_, es := mustWrite(t, l, env)
	equalNames(t, es, "opt/", "opt/app/", "opt/app/f", "usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/x")
	for _, n := range []string{"opt/", "usr/", "usr/local/", "usr/local/bin/"} {
		e := find(t, es, n)
		checkHeader(t, e, tar.TypeDir, 0o711, "")
		if e.h.Uid != 0 || e.h.Gid != 0 || !e.h.ModTime.Equal(testCreated) {
			t.Errorf("%s: %d:%d %v", n, e.h.Uid, e.h.Gid, e.h.ModTime)
		}
	}
	// The dst of a directory copy carries the entry's attributes.
	if e := find(t, es, "opt/app/"); e.h.Mode != 0o750 || e.h.Uid != 10 || e.h.Gid != 20 {
		t.Errorf("copy dst: %o %d:%d", e.h.Mode, e.h.Uid, e.h.Gid)
	}
}

// checkHeader checks an entry's typeflag, permission bits and link target.
func checkHeader(t *testing.T, e tarEntry, typ byte, mode int64, link string) {
	t.Helper()
	if e.h.Typeflag != typ || e.h.Mode != mode || e.h.Linkname != link {
		t.Errorf("%s: got %c %o %q, want %c %o %q", e.h.Name, e.h.Typeflag, e.h.Mode, e.h.Linkname, typ, mode, link)
	}
	if e.h.Uname != "" || e.h.Gname != "" || !e.h.AccessTime.IsZero() || !e.h.ChangeTime.IsZero() {
		t.Errorf("%s: host data leaked: %q %q %v %v", e.h.Name, e.h.Uname, e.h.Gname, e.h.AccessTime, e.h.ChangeTime)
	}
	if e.h.Format != tar.FormatPAX && e.h.Format != tar.FormatUSTAR {
		t.Errorf("%s: format %v", e.h.Name, e.h.Format)
	}
}
