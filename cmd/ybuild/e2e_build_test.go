package main

import (
	"archive/tar"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/testbase"
)

// e2eCreated is the created time of the e2e specs.
var e2eCreated = time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)

// e2eScript is the entrypoint script of e2eFullSpec: it prints env vars,
// the working directory, the user, runs a script found through the
// expanded PATH and prints files added by the spec.
const e2eScript = `echo "GREETING=$GREETING"; echo "PATH=$PATH"; pwd; id -u; secret.sh; cat /opt/tree/a.txt /usr/share/doc/NEW /etc/inline.txt`

// e2eFullSpec uses every kind of entry on the busybox base in base/.
const e2eFullSpec = `apiVersion: ybuild/v1
name: ${IMAGE}
args: {IMAGE: e2e-full, COMPRESSION: gzip}
base: oci:base:latest
compression: ${COMPRESSION}
created: 2023-04-05T06:07:08Z
layers:
  - name: files
    files:
      - {src: app/secret.sh, dst: /opt/app/secret.sh, mode: "0750", owner: "1000:1000"}
      - {src: tree, dst: /opt/tree/}
      - {src: "assets/*", dst: /srv/assets/, exclude: ["*.map"]}
      - {content: "hello inline\n", dst: /etc/inline.txt}
      - {symlink: /etc/inline.txt, dst: /usr/local/bin/inline-link}
      - {dst: /data, dir: true, owner: "1000:1000", mode: "0750"}
      - {src: vendor.tar.gz, dst: /opt/vendor/, extract: true, owner: "2000:2001"}
      - {src: preserved.txt, dst: /srv/preserved.txt, mtime: preserve}
      - {src: fixed.txt, dst: /srv/fixed.txt, mtime: "2021-06-01T12:00:00Z"}
  - name: docs
    delete: [/etc/motd]
    replace: [/usr/share/doc/, /tmp/, /var/www]
    files:
      - {content: "new docs\n", dst: /usr/share/doc/NEW}
config:
  entrypoint: ["/bin/busybox", "sh", "-c", '` + e2eScript + `']
  env: {PATH: "/opt/app:$PATH", GREETING: "hi from ybuild"}
  workdir: /data
  user: "1000:1000"
`

// e2eFullOutput is what e2eFullSpec's entrypoint prints.
const e2eFullOutput = "GREETING=hi from ybuild\n" +
	"PATH=/opt/app:/usr/sbin:/usr/bin:/sbin:/bin\n" +
	"/data\n" +
	"1000\n" +
	"secret\n" +
	"tree a\n" +
	"new docs\n" +
	"hello inline\n"

// e2ePreserved is the source mtime of preserved.txt (nanoseconds are dropped).
var e2ePreserved = time.Date(2019, 2, 3, 4, 5, 6, 789, time.UTC)

// e2eFullDir writes e2eFullSpec, its sources and the busybox base into a
// new directory and returns the spec path.
func e2eFullDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testbase.Layout(t, filepath.Join(dir, "base"))
	e2eWriteFiles(t, dir, map[string]string{
		"build.yaml":        e2eFullSpec,
		"app/secret.sh":     "#!/bin/sh\necho secret\n",
		"tree/a.txt":        "tree a\n",
		"tree/hard1":        "same inode\n",
		"tree/sub/b.txt":    "tree b\n",
		"assets/app.js":     "js\n",
		"assets/app.js.map": "map\n",
		"assets/style.css":  "css\n",
		"assets/run.sh":     "#!/bin/sh\n",
		"preserved.txt":     "preserved\n",
		"fixed.txt":         "fixed\n",
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("a.txt", filepath.Join(dir, "tree/link")))
	must(os.Link(filepath.Join(dir, "tree/hard1"), filepath.Join(dir, "tree/hard2")))
	must(os.Chmod(filepath.Join(dir, "assets/run.sh"), 0o700))
	must(os.Chtimes(filepath.Join(dir, "preserved.txt"), e2ePreserved, e2ePreserved))
	e2eTarGz(t, filepath.Join(dir, "vendor.tar.gz"), time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), []e2eTarEntry{
		{name: "vendor/", typ: tar.TypeDir, mode: 0o755},
		{name: "vendor/lib.txt", typ: tar.TypeReg, mode: 0o640, body: "vendored lib\n"},
		{name: "vendor/run.sh", typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\n"},
		{name: "vendor/current", typ: tar.TypeSymlink, mode: 0o777, link: "lib.txt"},
		{name: "vendor/again.txt", typ: tar.TypeLink, link: "vendor/lib.txt"},
	})
	return filepath.Join(dir, "build.yaml")
}

// TestE2EFullSpec builds a spec using every kind of entry, unpacks it with
// umoci and checks the root filesystem, then runs it with runc.
func TestE2EFullSpec(t *testing.T) {
	specPath := e2eFullDir(t)
	out := filepath.Join(t.TempDir(), "layout")
	res := e2eResults(t, e2eBuild(t, "-f", specPath, "--platform", "linux/amd64", "-o", "oci:"+out+":full"))
	if _, ok := res["oci:"+out+":full"]; !ok || len(res) != 1 {
		t.Fatalf("stdout results %v, want one for oci:%s:full", res, out)
	}
	bundle := e2eUnpack(t, out, "full")
	root := filepath.Join(bundle, "rootfs")

	t.Run("entries", func(t *testing.T) { e2eCheckEntries(t, root) })
	t.Run("base", func(t *testing.T) { e2eCheckBase(t, root) })
	t.Run("runc", func(t *testing.T) {
		if got := e2eRunc(t, bundle); got != e2eFullOutput {
			t.Errorf("runc printed:\n%s\nwant:\n%s", got, e2eFullOutput)
		}
	})
}

// e2eCheckEntries checks the files the spec added.
func e2eCheckEntries(t *testing.T, root string) {
	c := e2eCreated
	e2eCheckFile(t, root, "opt/app/secret.sh", 0o750, 1000, 1000, c)
	// Directory copy: symlink kept, hardlink pair shares an inode, subdirectory emitted.
	e2eCheckFile(t, root, "opt/tree/a.txt", 0o644, 0, 0, c)
	e2eCheckFile(t, root, "opt/tree/sub", fs.ModeDir|0o755, 0, 0, time.Time{})
	e2eCheckFile(t, root, "opt/tree/sub/b.txt", 0o644, 0, 0, c)
	e2eCheckFile(t, root, "opt/tree/link", fs.ModeSymlink|0o777, 0, 0, time.Time{})
	e2eCheckLink(t, root, "opt/tree/link", "a.txt")
	e2eCheckHardlinks(t, root, "opt/tree/hard1", "opt/tree/hard2")
	// Glob with exclude; an executable source gets x where r is set.
	e2eCheckFile(t, root, "srv/assets/app.js", 0o644, 0, 0, c)
	e2eCheckFile(t, root, "srv/assets/style.css", 0o644, 0, 0, c)
	e2eCheckFile(t, root, "srv/assets/run.sh", 0o755, 0, 0, c)
	e2eCheckAbsent(t, root, "srv/assets/app.js.map")
	// Inline content, symlink entry, dir: true.
	e2eCheckFile(t, root, "etc/inline.txt", 0o644, 0, 0, c)
	if got := e2eReadFile(t, root, "etc/inline.txt"); got != "hello inline\n" {
		t.Errorf("etc/inline.txt = %q", got)
	}
	e2eCheckLink(t, root, "usr/local/bin/inline-link", "/etc/inline.txt")
	e2eCheckFile(t, root, "data", fs.ModeDir|0o750, 1000, 1000, c)
	// Extracted archive: archive modes and link types, owner from the spec, created mtime.
	e2eCheckFile(t, root, "opt/vendor/vendor/lib.txt", 0o640, 2000, 2001, c)
	e2eCheckFile(t, root, "opt/vendor/vendor/run.sh", 0o755, 2000, 2001, c)
	e2eCheckLink(t, root, "opt/vendor/vendor/current", "lib.txt")
	e2eCheckHardlinks(t, root, "opt/vendor/vendor/lib.txt", "opt/vendor/vendor/again.txt")
	if got := e2eReadFile(t, root, "opt/vendor/vendor/lib.txt"); got != "vendored lib\n" {
		t.Errorf("opt/vendor/vendor/lib.txt = %q", got)
	}
	// mtime: preserve (whole seconds) and an RFC 3339 mtime.
	e2eCheckFile(t, root, "srv/preserved.txt", 0o644, 0, 0, e2ePreserved.Truncate(time.Second))
	e2eCheckFile(t, root, "srv/fixed.txt", 0o644, 0, 0, time.Date(2021, 6, 1, 12, 0, 0, 0, time.UTC))
}

// e2eCheckBase checks delete, replace and the base directories the spec
// must not have touched.
func e2eCheckBase(t *testing.T, root string) {
	e2eCheckNoWhiteouts(t, root)
	e2eCheckAbsent(t, root, "etc/motd")
	e2eCheckAbsent(t, root, "usr/share/doc/base")
	if got := e2eReadFile(t, root, "usr/share/doc/NEW"); got != "new docs\n" {
		t.Errorf("usr/share/doc/NEW = %q", got)
	}
	if got := e2eReadFile(t, root, "etc/passwd"); got != testbase.Passwd {
		t.Errorf("etc/passwd = %q, want the base's", got)
	}
	e2eCheckFile(t, root, "tmp", fs.ModeDir|fs.ModeSticky|0o777, 0, 0, testbase.Mtime)
	e2eCheckFile(t, root, "var/www", fs.ModeDir|0o755, 33, 33, testbase.Mtime)
	e2eCheckFile(t, root, "bin/busybox", 0o755, 0, 0, testbase.Mtime)
}

// e2eCheckLink checks that root/name is a symlink to target.
func e2eCheckLink(t *testing.T, root, name, target string) {
	t.Helper()
	got, err := os.Readlink(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Errorf("image %s: %v", name, err)
		return
	}
	if got != target {
		t.Errorf("image %s -> %q, want %q", name, got, target)
	}
}

// e2eCheckHardlinks checks that root/a and root/b are the same inode.
func e2eCheckHardlinks(t *testing.T, root, a, b string) {
	t.Helper()
	fa, _, _ := e2eStat(t, root, a)
	fb, _, _ := e2eStat(t, root, b)
	if !os.SameFile(fa, fb) {
		t.Errorf("image %s and %s are not hardlinks of each other", a, b)
	}
}

// e2eCheckAbsent checks that root/name does not exist.
func e2eCheckAbsent(t *testing.T, root, name string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(name))); err == nil {
		t.Errorf("image %s exists, want it absent", name)
	} else if !os.IsNotExist(err) {
		t.Errorf("image %s: %v", name, err)
	}
}

// e2eCheckNoWhiteouts checks that no whiteout file was left in root.
func e2eCheckNoWhiteouts(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".wh.") {
			t.Errorf("whiteout left in the root filesystem: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
