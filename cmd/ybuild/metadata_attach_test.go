package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// metaSignKey writes a cosign-format encrypted private key (what `cosign
// generate-key-pair` writes) with password COSIGN_PASSWORD and returns its
// path.
func metaSignKey(t *testing.T) string {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cliMust(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	cliMust(t, err)
	enc, err := encrypted.Encrypt(der, []byte("ybuild-test"))
	cliMust(t, err)
	p := filepath.Join(t.TempDir(), "cosign.key")
	cliMust(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: enc}), 0o600))
	t.Setenv("COSIGN_PASSWORD", "ybuild-test")
	return p
}

// kinds lists the attachments' kinds, sorted.
func kinds(atts []attachmentMetadata) string {
	var out []string
	for _, a := range atts {
		out = append(out, a.Kind)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// TestMetadataAttachments: --metadata-file lists, per output, the SBOM,
// provenance, signature and attestation stored with the image (digest,
// media type, artifactType, subject), and they are what the outputs
// hold: the layout's index.json lists each and holds its manifest blob,
// the registry serves each manifest, and the documents written beside a
// docker archive are the files named, with their digests.
func TestMetadataAttachments(t *testing.T) {
	key := metaSignKey(t)
	reg := registrytest.New(t, registrytest.Options{})
	dir := t.TempDir()
	layout, archive, meta := filepath.Join(dir, "layout"), filepath.Join(dir, "app.tar"), filepath.Join(dir, "meta.json")
	push := "docker://" + reg.Host + "/app/hello:1"
	stdout := cliBuild(t, "-f", e2eHelloDir(t), "--platform", "linux/amd64", "--sbom", "--provenance", "--sign-key", key, "--cache-dir", t.TempDir(),
		"-o", "oci:"+layout, "-o", push, "-o", "docker-archive:"+archive, "--metadata-file", meta)
	top := e2eResults(t, stdout)["oci:"+layout]
	m := flowMetadata(t, meta)
	if len(m.Builds) != 1 || len(m.Builds[0].Outputs) != 3 {
		t.Fatalf("metadata: %+v", m)
	}
	outs := map[string][]attachmentMetadata{}
	for _, o := range m.Builds[0].Outputs {
		outs[o.Dest] = o.Attachments
	}

	const want = "attestation,provenance,sbom,signature"
	inIndex := map[digest.Digest]bool{}
	for _, d := range testbase.ReadIndex(t, layout).Manifests {
		inIndex[d.Digest] = true
	}
	for _, dest := range []string{"oci:" + layout, push} {
		atts := outs[dest]
		if got := kinds(atts); got != want {
			t.Fatalf("%s: attachments %s, want %s", dest, got, want)
		}
		for _, a := range atts {
			if a.Subject != top || a.MediaType != ocispec.MediaTypeImageManifest || a.Digest == "" || a.Size == 0 {
				t.Errorf("%s: attachment %+v: want a manifest about %s", dest, a, top)
			}
			wantType := map[string]string{"sbom": attest.MediaTypeSPDX, "provenance": attest.MediaTypeInToto}[a.Kind]
			if a.ArtifactType != wantType || (wantType == "") != (a.Tag != "") {
				t.Errorf("%s: %s attachment: artifactType %q, tag %q; want artifactType %q and a tag only for cosign images", dest, a.Kind, a.ArtifactType, a.Tag, wantType)
			}
			if dest == push {
				checkRegistryManifest(t, reg.Host, "app/hello", a)
				continue
			}
			if blob := e2eBlob(t, layout, a.Digest); int64(len(blob)) != a.Size || !inIndex[a.Digest] {
				t.Errorf("layout: attachment %s: %d bytes (want %d), in index.json: %v", a.Digest, len(blob), a.Size, inIndex[a.Digest])
			}
		}
	}

	files := outs["docker-archive:"+archive]
	if got := kinds(files); got != "provenance,sbom" {
		t.Fatalf("docker archive: attachments %s, want the SBOM and provenance files", got)
	}
	for _, f := range files {
		data, err := os.ReadFile(f.File)
		if err != nil || digest.FromBytes(data) != f.Digest || int64(len(data)) != f.Size || !strings.HasPrefix(f.File, archive+".") {
			t.Errorf("docker archive: %+v: the file reads %d bytes, digest %s: %v", f, len(data), digest.FromBytes(data), err)
		}
	}
}

// checkRegistryManifest fetches the attachment's manifest by digest from
// the registry and checks its size.
func checkRegistryManifest(t *testing.T, host, repo string, a attachmentMetadata) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+host+"/v2/"+repo+"/manifests/"+a.Digest.String(), nil)
	cliMust(t, err)
	req.Header.Set("Accept", a.MediaType)
	resp, err := http.DefaultClient.Do(req)
	cliMust(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != a.Size {
		t.Errorf("registry: %s %s: status %d, %d bytes; want 200 and %d", a.Kind, a.Digest, resp.StatusCode, resp.ContentLength, a.Size)
	}
}
