package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/registrytest"
)

// e2eCosignKey makes a cosign key pair in a new directory with `cosign
// generate-key-pair`, sets COSIGN_PASSWORD for ybuild and returns the
// paths of the private and public keys.
func e2eCosignKey(t *testing.T) (key, pub string) {
	t.Helper()
	cosign := e2e.Require(t, "cosign")
	dir := t.TempDir()
	t.Setenv("COSIGN_PASSWORD", "ybuild-test")
	cmd := exec.CommandContext(t.Context(), cosign, "generate-key-pair")
	cmd.Dir = dir
	cmd.Env = append(e2eCosignEnv(t), "COSIGN_PASSWORD=ybuild-test")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	return filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
}

// e2eCosignEnv keeps cosign's caches in the test's temp dir, offline.
func e2eCosignEnv(t *testing.T) []string {
	home := t.TempDir()
	return append(os.Environ(), "HOME="+home, "TUF_ROOT="+filepath.Join(home, "tuf"), "SIGSTORE_NO_CACHE=true")
}

// e2eCosign runs cosign with args and its offline environment; it returns
// the combined output and the error.
func e2eCosign(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), e2e.Require(t, "cosign"), args...)
	cmd.Env = e2eCosignEnv(t)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// e2eCosignVerify checks that `cosign verify --key` and `cosign
// verify-attestation --key` (SPDX and SLSA provenance) accept target, and
// that another key is refused. flags select the layout or the registry.
func e2eCosignVerify(t *testing.T, pub, otherPub, target string, flags ...string) {
	t.Helper()
	base := []string{"--key", pub, "--insecure-ignore-tlog"}
	runs := [][]string{
		append(append([]string{"verify"}, base...), flags...),
		append(append([]string{"verify-attestation", "--type", "slsaprovenance1"}, base...), flags...),
		append(append([]string{"verify-attestation", "--type", "spdxjson"}, base...), flags...),
	}
	for _, args := range runs {
		if out, err := e2eCosign(t, append(args, target)...); err != nil {
			t.Errorf("cosign %s %s: %v\n%s", strings.Join(args, " "), target, err, out)
		}
	}
	wrong := append(append([]string{"verify", "--key", otherPub, "--insecure-ignore-tlog"}, flags...), target)
	if out, err := e2eCosign(t, wrong...); err == nil {
		t.Errorf("cosign verify with another key accepted %s:\n%s", target, out)
	}
}

// e2eOrasDiscover returns the artifact types `oras discover` lists for
// target, with flags (--oci-layout or --plain-http).
func e2eOrasDiscover(t *testing.T, target string, flags ...string) map[string]digest.Digest {
	t.Helper()
	oras := e2e.Require(t, "oras")
	args := append(append([]string{"discover", "--format", "json"}, flags...), target)
	var tree struct {
		Referrers []struct {
			ArtifactType string        `json:"artifactType"`
			Digest       digest.Digest `json:"digest"`
		} `json:"referrers"`
	}
	e2eJSON(t, "oras discover", []byte(e2e.Run(t, oras, args...)), &tree)
	out := map[string]digest.Digest{}
	for _, r := range tree.Referrers {
		out[r.ArtifactType] = r.Digest
	}
	return out
}

// TestE2ESupplyLayout: a default build into an OCI layout carries an SBOM
// and a provenance statement that oras discover finds offline; signed with
// --sign-key, cosign verify and verify-attestation accept it offline.
func TestE2ESupplyLayout(t *testing.T) {
	key, pub := e2eCosignKey(t)
	_, otherPub := e2eCosignKey(t)
	t.Setenv("COSIGN_PASSWORD", "ybuild-test")
	layout := filepath.Join(t.TempDir(), "layout")
	stdout := e2eBuild(t, "-f", e2eHelloDir(t), "--platform", "linux/amd64", "--sign-key", key, "-o", "oci:"+layout+":v1")
	top := e2eResults(t, stdout)["oci:"+layout+":v1"]
	found := e2eOrasDiscover(t, layout+"@"+top.String(), "--oci-layout")
	if found[attest.MediaTypeSPDX] == "" || found[attest.MediaTypeInToto] == "" {
		t.Fatalf("oras discover %s@%s: %v, want an SBOM and a provenance referrer", layout, top, found)
	}
	e2eCosignVerify(t, pub, otherPub, layout, "--local-image")
	sbom := e2eCheckInspect(t, "oci:"+layout+":v1", top)
	if want, _ := e2eReferrer(t, layout, top, attest.MediaTypeSPDX); string(sbom) != string(want) {
		t.Error("ybuild sbom printed another document than the layout's SBOM")
	}
}

// TestE2ESupplyRegistry: the same against the real distribution registry,
// which has no referrers API, so the referrers go under the sha256-<hex>
// tag; a second push of the same image does not list them twice.
func TestE2ESupplyRegistry(t *testing.T) {
	key, pub := e2eCosignKey(t)
	_, otherPub := e2eCosignKey(t)
	t.Setenv("COSIGN_PASSWORD", "ybuild-test")
	reg := registrytest.New(t, registrytest.Options{})
	ref := reg.Host + "/app:1"
	specPath := e2eHelloDir(t)
	var top digest.Digest
	for i, extra := range [][]string{nil, {"--referrers-tag"}} {
		args := append([]string{"-f", specPath, "--platform", "linux/amd64", "--cache-dir", t.TempDir(),
			"--sign-key", key, "-o", "docker://" + ref}, extra...)
		top = e2eResults(t, e2eBuild(t, args...))["docker://"+ref]
		found := e2eOrasDiscover(t, reg.Host+"/app@"+top.String(), "--plain-http")
		if len(found) != 2 || found[attest.MediaTypeSPDX] == "" || found[attest.MediaTypeInToto] == "" {
			t.Fatalf("push %d: oras discover: %v, want one SBOM and one provenance referrer", i, found)
		}
		var idx struct {
			Manifests []json.RawMessage `json:"manifests"`
		}
		raw := e2e.Run(t, e2e.Require(t, "oras"), "manifest", "fetch", "--plain-http", reg.Host+"/app:"+strings.Replace(top.String(), ":", "-", 1))
		e2eJSON(t, "referrers tag", []byte(raw), &idx)
		if len(idx.Manifests) != 2 {
			t.Errorf("push %d: referrers tag index has %d entries, want 2:\n%s", i, len(idx.Manifests), raw)
		}
	}
	e2eCosignVerify(t, pub, otherPub, ref, "--allow-insecure-registry", "--allow-http-registry")
	e2eCheckInspect(t, "docker://"+ref, top)
}

// e2eCheckInspect checks that `ybuild inspect --json loc` lists an SBOM,
// a provenance statement, a signature and an attestation of top, and that
// `ybuild sbom loc` prints the SBOM; it returns the SBOM.
func e2eCheckInspect(t *testing.T, loc string, top digest.Digest, flags ...string) []byte {
	t.Helper()
	res := cliRun(append(append([]string{"inspect", "--json"}, flags...), loc)...)
	if res.code != exitOK {
		t.Fatalf("ybuild inspect %s: exit %d: %s", loc, res.code, res.stderr)
	}
	var in inspection
	e2eJSON(t, "ybuild inspect --json", []byte(res.stdout), &in)
	kinds := map[string]int{}
	for _, a := range in.Attached {
		if a.Subject == top {
			kinds[a.Kind]++
		}
	}
	for _, k := range []string{"sbom", "provenance", "signature", "attestation"} {
		if kinds[k] != 1 {
			t.Errorf("ybuild inspect %s: attached to %s %v, want one %s", loc, top, kinds, k)
		}
	}
	res = cliRun(append(append([]string{"sbom"}, flags...), loc)...)
	if res.code != exitOK || !strings.Contains(res.stdout, `"spdxVersion":"SPDX-2.3"`) {
		t.Fatalf("ybuild sbom %s: exit %d, stdout %.200q, stderr %s", loc, res.code, res.stdout, res.stderr)
	}
	return []byte(res.stdout)
}
