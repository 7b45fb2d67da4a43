package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// cliNoCreatedSpec is cliSpec without a created time.
var cliNoCreatedSpec = strings.Replace(cliSpec, "created: 2024-01-01T00:00:00Z\n", "", 1)

// cliEpochBuild builds spec with SOURCE_DATE_EPOCH set to epoch and returns
// the manifest digest and the layout. Not for parallel tests (t.Setenv).
func cliEpochBuild(t *testing.T, spec, epoch string) (digest.Digest, string) {
	t.Helper()
	t.Setenv("SOURCE_DATE_EPOCH", epoch)
	layout := filepath.Join(t.TempDir(), "layout")
	dest := "oci:" + layout
	return cliOneResult(t, cliBuild(t, "-f", spec, "-o", dest), dest), layout
}

// TestCLISourceDateEpoch checks that SOURCE_DATE_EPOCH is the created time
// when the spec sets none (and the epoch when it is empty), that it changes
// the digest, and that a spec's created wins over it.
func TestCLISourceDateEpoch(t *testing.T) {
	spec := cliSpecDir(t, map[string]string{"build.yaml": cliNoCreatedSpec})
	fixed := cliSpecDir(t, map[string]string{"build.yaml": cliSpec})
	unset, layout := cliEpochBuild(t, spec, "")
	cliCheckCreated(t, layout, unset, time.Unix(0, 0))
	set, layout := cliEpochBuild(t, spec, "1700000000")
	cliCheckCreated(t, layout, set, time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC))
	if set == unset {
		t.Errorf("SOURCE_DATE_EPOCH=1700000000 and unset give the same digest %s", set)
	}
	if again, _ := cliEpochBuild(t, spec, "1700000000"); again != set {
		t.Errorf("SOURCE_DATE_EPOCH=1700000000 twice: %s then %s", set, again)
	}
	a, _ := cliEpochBuild(t, fixed, "")
	b, _ := cliEpochBuild(t, fixed, "1700000000")
	if a != b {
		t.Errorf("spec with created: SOURCE_DATE_EPOCH changed the digest from %s to %s", a, b)
	}
}

// TestCLISourceDateEpochInvalid checks that a malformed SOURCE_DATE_EPOCH
// is a usage error that writes nothing.
func TestCLISourceDateEpochInvalid(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	spec := cliSpecDir(t, map[string]string{"build.yaml": cliNoCreatedSpec})
	out := filepath.Join(t.TempDir(), "layout")
	r := cliRun("-f", spec, "--progress", "quiet", "--no-cache", "-o", "oci:"+out)
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitUsage, r.stderr)
	}
	cliCheckStderr(t, r.stderr, "SOURCE_DATE_EPOCH", `"yesterday"`)
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "*")); len(m) != 0 {
		t.Errorf("written despite the error: %v", m)
	}
}

// TestCLICreatedNow checks that created: now gives a current time, in
// whole seconds, in the config, the history and the manifest annotation.
func TestCLICreatedNow(t *testing.T) {
	t.Parallel()
	spec := cliSpecDir(t, map[string]string{"build.yaml": strings.Replace(cliSpec, "2024-01-01T00:00:00Z", "now", 1)})
	layout := filepath.Join(t.TempDir(), "layout")
	dest := "oci:" + layout
	m := cliOneResult(t, cliBuild(t, "-f", spec, "-o", dest), dest)
	cfg := cliConfig(t, layout, m)
	if cfg.Created == nil || cfg.Created.Equal(time.Unix(0, 0)) {
		t.Fatalf("created: now gave config.created %v, want a time after the epoch", cfg.Created)
	}
	cliCheckCreated(t, layout, m, *cfg.Created)
}

// cliCheckCreated checks the created time of manifest m: the config, its
// history, the manifest annotation and every new layer entry's mtime.
func cliCheckCreated(t *testing.T, layout string, m digest.Digest, want time.Time) {
	t.Helper()
	want = want.UTC()
	if !want.Equal(want.Truncate(time.Second)) {
		t.Errorf("created %s is not whole seconds", want)
	}
	cfg := cliConfig(t, layout, m)
	if cfg.Created == nil || !cfg.Created.Equal(want) {
		t.Errorf("config.created %v, want %s", cfg.Created, want)
	}
	for i, h := range cfg.History {
		if h.Created == nil || !h.Created.Equal(want) {
			t.Errorf("history[%d].created %v, want %s", i, h.Created, want)
		}
	}
	man := e2eManifest(t, layout, m)
	if got := man.Annotations[ocispec.AnnotationCreated]; got != want.Format(time.RFC3339) {
		t.Errorf("manifest annotation %s = %q, want %s", ocispec.AnnotationCreated, got, want.Format(time.RFC3339))
	}
	for _, h := range cliLayerHeaders(t, layout, man.Layers[0].Digest) {
		if !h.ModTime.Equal(want) {
			t.Errorf("layer entry %s: mtime %s, want %s", h.Name, h.ModTime.UTC(), want)
		}
	}
}
