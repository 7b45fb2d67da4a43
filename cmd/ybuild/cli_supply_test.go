package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/ybuild/ybuild/attest"
)

// cliArtifactTypes counts a layout's index.json entries by artifact type
// ("" for images).
func cliArtifactTypes(t *testing.T, layout string) map[string]int {
	t.Helper()
	var idx ocispec.Index
	e2eJSON(t, "index.json", e2eReadFileAbs(t, filepath.Join(layout, "index.json")), &idx)
	out := map[string]int{}
	for _, e := range idx.Manifests {
		out[e.ArtifactType]++
	}
	return out
}

// TestCLISupplySwitches: by default a layout gets an SBOM and a provenance
// referrer; --sbom=false, --provenance=false and the spec's fields turn
// them off, the flags overriding the spec. The image digest never changes.
func TestCLISupplySwitches(t *testing.T) {
	noSBOM := strings.Replace(cliSpec, "base: scratch", "base: scratch\nsbom: false", 1)
	for _, tc := range []struct {
		name       string
		spec       string
		flags      []string
		sbom, prov int
	}{
		{"default", cliSpec, nil, 1, 1},
		{"flags off", cliSpec, []string{"--sbom=false", "--provenance=false"}, 0, 0},
		{"spec sbom false", noSBOM, nil, 0, 1},
		{"flag overrides spec", noSBOM, []string{"--sbom"}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			layout := filepath.Join(t.TempDir(), "layout")
			args := append([]string{"-f", cliSpecDir(t, map[string]string{"build.yaml": tc.spec}), "-o", "oci:" + layout}, tc.flags...)
			top := cliOneResult(t, cliBuild(t, args...), "oci:"+layout)
			got := cliArtifactTypes(t, layout)
			if got[""] != 1 || got[attest.MediaTypeSPDX] != tc.sbom || got[attest.MediaTypeInToto] != tc.prov {
				t.Errorf("index.json entries by artifact type %v, want 1 image, %d SBOM, %d provenance", got, tc.sbom, tc.prov)
			}
			if tc.name != "default" {
				return
			}
			off := filepath.Join(t.TempDir(), "off")
			args = []string{"-f", cliSpecDir(t, map[string]string{"build.yaml": tc.spec}), "-o", "oci:" + off, "--sbom=false", "--provenance=false"}
			if d := cliOneResult(t, cliBuild(t, args...), "oci:"+off); d != top {
				t.Errorf("image digest %s with attachments, %s without", top, d)
			}
		})
	}
}

// TestCLISupplyArchives: by default an OCI archive keeps one index.json
// entry (podman load, skopeo without a ref) and says so; asked for
// explicitly it holds the referrers. A docker archive says it cannot hold
// them, and with --sbom writes the SBOM and provenance beside it, the same
// documents the layout gets.
func TestCLISupplyArchives(t *testing.T) {
	spec := cliSpecDir(t, map[string]string{"build.yaml": cliSpec})
	out := t.TempDir()
	oci, docker, layout := filepath.Join(out, "oci.tar"), filepath.Join(out, "docker.tar"), filepath.Join(out, "layout")
	res := cliRun("build", "--progress", "quiet", "--no-cache", "-f", spec, "-o", "oci-archive:"+oci, "-o", "docker-archive:"+docker)
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{"oci-archive:" + oci + ": the SBOM", "docker-archive:" + docker + ": a docker archive cannot hold"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr %q, want %q", res.stderr, want)
		}
	}
	var idx ocispec.Index
	e2eJSON(t, "index.json", cliTarFile(t, oci, "index.json"), &idx)
	if len(idx.Manifests) != 1 {
		t.Errorf("default oci-archive index.json has %d entries, want 1", len(idx.Manifests))
	}
	if _, err := os.Stat(docker + ".sbom.spdx.json"); err == nil {
		t.Error("the SBOM was written beside the docker archive without being asked for")
	}

	cliBuild(t, "-f", spec, "--sbom", "-o", "oci-archive:"+oci, "-o", "docker-archive:"+docker, "-o", "oci:"+layout)
	e2eJSON(t, "index.json", cliTarFile(t, oci, "index.json"), &idx)
	if len(idx.Manifests) != 3 {
		t.Errorf("oci-archive with --sbom: index.json has %d entries, want the image, SBOM and provenance", len(idx.Manifests))
	}
	top := cliLayoutIndex(t, layout).Manifests[0].Digest
	sbom, _ := e2eReferrer(t, layout, top, attest.MediaTypeSPDX)
	prov, _ := e2eReferrer(t, layout, top, attest.MediaTypeInToto)
	if got := e2eReadFileAbs(t, docker+".sbom.spdx.json"); !bytes.Equal(got, sbom) {
		t.Errorf("%s.sbom.spdx.json differs from the layout's SBOM", docker)
	}
	if got := e2eReadFileAbs(t, docker+".provenance.json"); !bytes.Equal(got, prov) {
		t.Errorf("%s.provenance.json differs from the layout's provenance", docker)
	}
}

// TestCLISignKeyErrors: a missing key file, a file that is not a cosign key
// and a wrong COSIGN_PASSWORD are usage errors (exit 2, one line) before
// anything is built.
func TestCLISignKeyErrors(t *testing.T) {
	dir := t.TempDir()
	notKey := filepath.Join(dir, "not.key")
	if err := os.WriteFile(notKey, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	spec := cliSpecDir(t, map[string]string{"build.yaml": cliSpec})
	for _, key := range []string{filepath.Join(dir, "missing.key"), notKey} {
		out := filepath.Join(t.TempDir(), "layout")
		res := cliRun("build", "--progress", "quiet", "-f", spec, "--sign-key", key, "-o", "oci:"+out)
		if res.code != exitUsage || !strings.Contains(res.stderr, "--sign-key") || strings.Count(strings.TrimSpace(res.stderr), "\n") > 0 {
			t.Errorf("--sign-key %s: exit %d, stderr %q; want exit %d and one line", key, res.code, res.stderr, exitUsage)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("--sign-key %s: the output was written", key)
		}
	}
}

// TestCLISupplyIndex: a multi-platform build gets one SBOM per platform
// manifest and one provenance statement on the index naming every
// manifest; `ybuild sbom` needs --platform and then prints that
// platform's SBOM.
func TestCLISupplyIndex(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	top := cliOneResult(t, cliBuild(t, "-f", cliSpecDir(t, map[string]string{"build.yaml": cliMultiSpec}), "-o", "oci:"+layout), "oci:"+layout)
	var idx ocispec.Index
	e2eJSON(t, "index", e2eBlob(t, layout, top), &idx)
	if len(idx.Manifests) != 2 {
		t.Fatalf("index has %d manifests", len(idx.Manifests))
	}
	prov, _ := e2eReferrer(t, layout, top, attest.MediaTypeInToto)
	var st attest.Statement
	e2eJSON(t, "provenance", prov, &st)
	subjects := map[string]bool{}
	for _, s := range st.Subject {
		subjects[s.Digest["sha256"]] = true
	}
	if len(st.Subject) != 3 || !subjects[top.Encoded()] || st.PredicateType != attest.PredicateSLSA {
		t.Errorf("provenance subjects %+v, want the index and both manifests", st.Subject)
	}
	for _, m := range idx.Manifests {
		if !subjects[m.Digest.Encoded()] {
			t.Errorf("provenance does not name %s", m.Digest)
		}
		sbom, _ := e2eReferrer(t, layout, m.Digest, attest.MediaTypeSPDX)
		if !bytes.Contains(sbom, []byte(m.Digest.String())) {
			t.Errorf("the SBOM of %s does not name it", m.Digest)
		}
		if m.Platform.Architecture != "arm64" {
			continue
		}
		res := cliRun("sbom", "--platform", "linux/arm64", "oci:"+layout)
		if res.code != exitOK || res.stdout != string(sbom) {
			t.Errorf("ybuild sbom --platform linux/arm64: exit %d, %d bytes; want the arm64 SBOM (%d bytes)\n%s", res.code, len(res.stdout), len(sbom), res.stderr)
		}
	}
	// The messages name the image's platforms as os/arch, never as Go
	// structs; --platform takes what the spec's platforms take.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sbom", "oci:" + layout}, "the image has 2 platforms (linux/amd64, linux/arm64): pass --platform"},
		{[]string{"sbom", "--platform", "linux/s390x", "oci:" + layout}, "no linux/s390x image (it has linux/amd64, linux/arm64)"},
		{[]string{"sbom", "--platform", "arm64", "oci:" + layout}, `--platform: must be os/arch[/variant] (such as linux/arm64), got "arm64"`},
	} {
		res := cliRun(tc.args...)
		if res.code != exitUsage {
			t.Errorf("ybuild %s: exit %d, want 2", strings.Join(tc.args, " "), res.code)
		}
		cliCheckStderr(t, res.stderr, tc.want)
	}
}

// TestCLISupplyBaseSBOM: an image built on a base that carries an SBOM
// references the base's SBOM as an external document (its namespace and
// SHA-1); the SPDX library still validates it.
func TestCLISupplyBaseSBOM(t *testing.T) {
	dir := t.TempDir()
	baseLayout := filepath.Join(dir, "base")
	baseTop := cliOneResult(t, cliBuild(t, "-f", cliSpecDir(t, map[string]string{"build.yaml": cliSpec}), "-o", "oci:"+baseLayout+":v1"), "oci:"+baseLayout+":v1")
	baseSBOM, baseRef := e2eReferrer(t, baseLayout, baseTop, attest.MediaTypeSPDX)

	spec := strings.Replace(cliSpec, "base: scratch", "base: oci:"+baseLayout+":v1", 1)
	layout := filepath.Join(dir, "app")
	top := cliOneResult(t, cliBuild(t, "-f", cliSpecDir(t, map[string]string{"build.yaml": spec}), "-o", "oci:"+layout), "oci:"+layout)
	sbom, _ := e2eReferrer(t, layout, top, attest.MediaTypeSPDX)
	doc, err := spdxjson.Read(bytes.NewReader(sbom))
	if err != nil {
		t.Fatal(err)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		t.Errorf("tools-golang validate: %v", err)
	}
	var base struct {
		Namespace string `json:"documentNamespace"`
	}
	e2eJSON(t, "base SBOM", baseSBOM, &base)
	sum := sha1.Sum(baseSBOM)
	refs := doc.ExternalDocumentReferences
	if len(refs) != 1 || refs[0].URI != base.Namespace || refs[0].Checksum.Value != hex.EncodeToString(sum[:]) {
		t.Errorf("external document refs %+v, want the base SBOM %s (sha1 %x)", refs, base.Namespace, sum)
	}
	if !bytes.Contains(sbom, []byte(baseRef.String())) {
		t.Errorf("the SBOM does not name the base's SBOM referrer %s", baseRef)
	}
}

// TestCLISupplySwitchesRoot: `ybuild --sbom=false` (no `build`) turns the
// documents off as `ybuild build --sbom=false` does. The root and build
// commands share one options struct with a flag set each, and the switch
// once looked only at the build command's flag set.
func TestCLISupplySwitchesRoot(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	spec := cliSpecDir(t, map[string]string{"build.yaml": cliSpec})
	res := cliRun("--progress", "quiet", "--no-cache", "-f", spec, "-o", "oci:"+layout, "--sbom=false", "--provenance=false")
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	got := cliArtifactTypes(t, layout)
	if got[""] != 1 || got[attest.MediaTypeSPDX] != 0 || got[attest.MediaTypeInToto] != 0 {
		t.Errorf("index.json entries by artifact type %v, want 1 image and no documents", got)
	}
}
