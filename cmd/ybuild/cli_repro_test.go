package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// cliReproSpec copies a tree, a file and a glob from its directory.
const cliReproSpec = `apiVersion: ybuild/v1
name: repro
base: scratch
created: 2024-01-01T00:00:00Z
files:
  - {src: tree, dst: /app/}
  - {src: top.txt, dst: /etc/top.txt}
  - {src: "glob/*.txt", dst: /glob/}
`

// cliReproFiles are the sources of cliReproSpec; true marks executables.
var cliReproFiles = []struct {
	name string
	exec bool
}{
	{"top.txt", false}, {"tree/a.txt", false}, {"tree/bin/run.sh", true},
	{"tree/sub/deep/c.txt", false}, {"glob/x.txt", false}, {"glob/y.txt", false},
}

// cliReproModes are the documented modes in the image, whatever the checkout.
var cliReproModes = map[string]int64{
	"app/": 0o755, "app/a.txt": 0o644, "app/bin/": 0o755, "app/bin/run.sh": 0o755, "app/sub/": 0o755,
	"app/sub/deep/": 0o755, "app/sub/deep/c.txt": 0o644, "etc/": 0o755, "etc/top.txt": 0o644,
	"glob/": 0o755, "glob/x.txt": 0o644, "glob/y.txt": 0o644,
}

// cliCheckout describes how a source tree was made.
type cliCheckout struct {
	file, exec, dir fs.FileMode // permissions given after creation
	mtime           time.Time
	reverse         bool // create the files in reverse order
}

// cliWriteCheckout writes cliReproSpec and its sources as c says and
// returns the spec path.
func cliWriteCheckout(t *testing.T, c cliCheckout) string {
	t.Helper()
	dir := t.TempDir()
	files := slices.Clone(cliReproFiles)
	if c.reverse {
		slices.Reverse(files)
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		perm := map[bool]fs.FileMode{false: c.file, true: c.exec}[f.exec]
		cliMust(t, os.MkdirAll(filepath.Dir(p), 0o700))
		cliMust(t, os.WriteFile(p, []byte("content of "+f.name+"\n"), perm))
		cliMust(t, os.Chmod(p, perm)) // whatever the umask
	}
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": cliReproSpec})
	cliMust(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		if d.IsDir() {
			cliMust(t, os.Chmod(p, c.dir))
		}
		return os.Chtimes(p, c.mtime, c.mtime)
	}))
	return filepath.Join(dir, "build.yaml")
}

// cliMust fails the test on err.
func cliMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCLIReproducibleCheckouts builds the same sources from checkouts that
// differ in permissions beyond the exec bit (as a umask makes them), in
// mtimes and in creation order: the digests are equal and the layer holds
// the documented modes, owners and times.
func TestCLIReproducibleCheckouts(t *testing.T) {
	t.Parallel()
	t1, t2 := time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC), time.Date(2020, 9, 8, 7, 6, 5, 4, time.UTC)
	base := cliCheckout{file: 0o644, exec: 0o755, dir: 0o755, mtime: t1}
	want, layout := cliReproBuild(t, base)
	cliCheckReproLayer(t, layout, want)
	for _, tc := range []struct {
		name string
		c    cliCheckout
	}{
		{"umask 077", cliCheckout{file: 0o600, exec: 0o700, dir: 0o700, mtime: t1}},
		{"umask 002", cliCheckout{file: 0o664, exec: 0o775, dir: 0o775, mtime: t1}},
		{"exec by group only", cliCheckout{file: 0o644, exec: 0o654, dir: 0o755, mtime: t1}},
		{"mtimes", cliCheckout{file: 0o644, exec: 0o755, dir: 0o755, mtime: t2}},
		{"reverse order", cliCheckout{file: 0o644, exec: 0o755, dir: 0o755, mtime: t1, reverse: true}},
		{"all at once", cliCheckout{file: 0o600, exec: 0o700, dir: 0o700, mtime: t2, reverse: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, _ := cliReproBuild(t, tc.c); got != want {
				t.Errorf("digest %s, want %s as from a 0644/0755 checkout", got, want)
			}
		})
	}
}

// cliReproBuild builds a checkout into a new layout; it returns the
// manifest digest and the layout.
func cliReproBuild(t *testing.T, c cliCheckout) (digest.Digest, string) {
	t.Helper()
	layout := filepath.Join(t.TempDir(), "layout")
	dest := "oci:" + layout
	return cliOneResult(t, cliBuild(t, "-f", cliWriteCheckout(t, c), "-o", dest), dest), layout
}

// cliCheckReproLayer checks the one layer of cliReproSpec's image: sorted
// entries with the documented modes, root owner, no names, created mtime.
func cliCheckReproLayer(t *testing.T, layout string, manifest digest.Digest) {
	t.Helper()
	m := e2eManifest(t, layout, manifest)
	if len(m.Layers) != 1 {
		t.Fatalf("%d layers, want 1", len(m.Layers))
	}
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var names []string
	for _, h := range cliLayerHeaders(t, layout, m.Layers[0].Digest) {
		names = append(names, h.Name)
		mode, ok := cliReproModes[h.Name]
		if !ok {
			t.Errorf("unexpected entry %s", h.Name)
			continue
		}
		if h.Mode&0o7777 != mode || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(created) {
			t.Errorf("%s: mode %o owner %d:%d (%q:%q) mtime %s, want %o 0:0 (\"\":\"\") %s",
				h.Name, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime.UTC(), mode, created)
		}
	}
	if len(names) != len(cliReproModes) || !slices.IsSorted(names) {
		t.Errorf("layer entries %v, want the %d entries sorted by path", names, len(cliReproModes))
	}
}
