package assemble

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/tartest"
	"github.com/ybuild/ybuild/spec"
)

// testCreated is the created time used by layer tests.
var testCreated = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// tarEntry is one entry read back from a layer.
type tarEntry struct {
	h    *tar.Header
	body string
}

// writeTree creates files below dir: a name ending in "/" is a directory,
// "->target" a symlink, anything else a file with that content.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(name, "/"):
			err = os.MkdirAll(p, 0o755)
		case strings.HasPrefix(content, "->"):
			err = os.Symlink(strings.TrimPrefix(content, "->"), p)
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// testEnv returns a layerEnv on dir with a fresh blob directory: gzip, OCI,
// not scratch.
func testEnv(t testing.TB, dir string) layerEnv {
	return newTestEnv(t, dir, Options{Created: testCreated, BlobDir: t.TempDir()})
}

// newTestEnv returns the layerEnv of a gzip OCI build of dir with opts.
func newTestEnv(t testing.TB, dir string, opts Options) layerEnv {
	t.Helper()
	b := &spec.Build{Dir: dir, Format: spec.FormatOCI, Compression: spec.CompressionGzip}
	env, err := newLayerEnv(b, opts.fill(), false)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// mustWrite writes l and reads the layer back.
func mustWrite(t *testing.T, l spec.Layer, env layerEnv) (layerBlob, []tarEntry) {
	t.Helper()
	out, err := writeLayer(context.Background(), l, env)
	if err != nil {
		t.Fatalf("writeLayer: %v", err)
	}
	return out, readLayer(t, out)
}

// readLayer reads every entry of a layer blob.
func readLayer(t *testing.T, l layerBlob) []tarEntry {
	t.Helper()
	f, err := os.Open(l.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []tarEntry
	for _, e := range tartest.Read(t, r, l.Path) {
		out = append(out, tarEntry{h: e.Header, body: string(e.Data)})
	}
	return out
}

// names lists the entry names in order.
func names(es []tarEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.h.Name
	}
	return out
}

// find returns the entry named name.
func find(t *testing.T, es []tarEntry, name string) tarEntry {
	t.Helper()
	for _, e := range es {
		if e.h.Name == name {
			return e
		}
	}
	t.Fatalf("no entry %q in %q", name, names(es))
	return tarEntry{}
}

// equalNames fails unless the layer holds exactly want, in order.
func equalNames(t *testing.T, es []tarEntry, want ...string) {
	t.Helper()
	got := names(es)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("entries:\n got  %q\n want %q", got, want)
	}
}

// str returns a pointer to s.
func str(s string) *string { return &s }
