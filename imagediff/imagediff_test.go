package imagediff

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// tarOf writes entries (name → content; a trailing / makes a directory).
func tarOf(t *testing.T, entries [][2]string, mode int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e[0], Mode: mode, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Size: int64(len(e[1]))}
		if strings.HasSuffix(e[0], "/") {
			h.Typeflag, h.Size, h.Mode = tar.TypeDir, 0, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// blobs is an in-memory blob store.
type blobs map[digest.Digest][]byte

func (b blobs) add(data []byte) ocispec.Descriptor {
	d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(data), Size: int64(len(data))}
	b[d.Digest] = data
	return d
}

func (b blobs) open(_ context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b[d.Digest])), nil
}

func gz(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	w := pgzip.NewWriter(&buf)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zst(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	w, _ := zstd.NewWriter(&buf)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCompareLayers: a gzip layer against a zstd layer with the same
// files but one changed byte, one changed mode, one added and one removed
// file; the first difference names the first path in order.
func TestCompareLayers(t *testing.T) {
	st := blobs{}
	common := st.add(gz(t, tarOf(t, [][2]string{{"etc/", ""}, {"etc/os", "linux"}}, 0o644)))
	la := st.add(gz(t, tarOf(t, [][2]string{{"app/", ""}, {"app/a", "aaaa"}, {"app/gone", "x"}}, 0o644)))
	lb := st.add(zst(t, tarOf(t, [][2]string{{"./app/", ""}, {"./app/a", "aaab"}, {"./app/new", "y"}}, 0o644)))
	plain := st.add(tarOf(t, [][2]string{{"x", "1"}}, 0o600))
	a := Image{Name: "A", Digest: digest.FromString("a"), Open: st.open, Manifests: []Manifest{{
		Platform: "linux/amd64", Digest: digest.FromString("ma"), Config: []byte(`{"config":{"Env":["A=1"]}}`),
		Layers: []ocispec.Descriptor{common, la, plain},
	}}}
	b := Image{Name: "B", Digest: digest.FromString("b"), Open: st.open, Manifests: []Manifest{{
		Platform: "linux/amd64", Digest: digest.FromString("mb"), Config: []byte(`{"config":{"Env":["A=2"]}}`),
		Layers: []ocispec.Descriptor{common, lb},
	}, {Platform: "linux/arm64", Digest: digest.FromString("arm")}}}
	r, err := Compare(context.Background(), a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Platforms) != 2 || r.Platforms[1].Status != Added {
		t.Fatalf("platforms %+v", r.Platforms)
	}
	ls := r.Platforms[0].Layers
	if len(ls) != 3 || ls[0].Status != Same || ls[1].Status != Changed || ls[2].Status != Removed {
		t.Fatalf("layers %+v", ls)
	}
	fs := ls[1].Files
	if len(fs) != 3 || fs[0].Path != "/app/a" || fs[0].Attrs[0].Attr != "content" || fs[1].Status != Removed || fs[2].Status != Added {
		t.Fatalf("files %+v", fs)
	}
	if got := r.First(); !strings.Contains(got, "platform linux/amd64: layer 2") || !strings.Contains(got, "/app/a: content sha256:") {
		t.Errorf("First() = %q", got)
	}
	if c := r.Platforms[0].Config; len(c) != 1 || c[0].Field != "config.Env[0]" || string(c[0].New) != `"A=2"` {
		t.Errorf("config changes %+v", c)
	}
}

func TestAlignLayers(t *testing.T) {
	d := func(s string) ocispec.Descriptor { return ocispec.Descriptor{Digest: digest.FromString(s)} }
	got, _ := alignLayers([]ocispec.Descriptor{d("1"), d("2"), d("3")}, []ocispec.Descriptor{d("1"), d("x"), d("3"), d("4")})
	var s []string
	for _, l := range got {
		s = append(s, string(l.Status))
	}
	if strings.Join(s, ",") != "same,changed,same,added" {
		t.Errorf("alignment %v", s)
	}
}

func TestFlattenKeys(t *testing.T) {
	fs, err := flatten([]byte(`{"config":{"Labels":{"org.x":"1"},"ExposedPorts":{"80/tcp":{}}}}`))
	if err != nil || len(fs) != 2 || fs[0].path != `config.ExposedPorts["80/tcp"]` || fs[1].path != `config.Labels["org.x"]` {
		t.Errorf("flatten = %+v, %v", fs, err)
	}
}

// TestPrintable: paths and values from an image cannot reach the terminal
// as control sequences.
func TestPrintable(t *testing.T) {
	f := FileChange{Path: "/x\x1b[2J", Status: Changed, Attrs: []AttrChange{{Attr: "link target", Old: "a", New: "b\x07"}}}
	got := f.describe(&Report{})
	if strings.ContainsAny(got, "\x1b\x07") || !strings.Contains(got, `"/x\x1b[2J"`) {
		t.Errorf("describe = %q", got)
	}
	// A hostile image's platform, annotation key and value (a C1 CSI, which
	// JSON does not escape) are quoted too.
	r := &Report{A: "a", B: "b", DigestA: "sha256:a", DigestB: "sha256:b", Platforms: []PlatformDiff{{
		Platform: "linux/\x1b[2J", Status: Changed,
		Annotations: []FieldChange{{Field: "k\x1b]0;x\x07", Old: []byte(`"a"`), New: []byte("\"\u009b31m\"")}},
	}}}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"WriteText": text.String(), "First": r.First()} {
		if strings.ContainsAny(s, "\x1b\x07\u009b") {
			t.Errorf("%s = %q: control characters from the image", what, s)
		}
	}
}
