package attest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/opencontainers/go-digest"
)

// TestSBOMStatementSplice: the statement that copies the SBOM in is the
// one json.Marshal gives for the SBOM parsed as the predicate (what
// ybuild wrote before), for an SBOM with characters JSON escapes.
func TestSBOMStatementSplice(t *testing.T) {
	manifest := digest.FromString("manifest")
	sbom, _, _ := testSBOM(t, manifest)
	var doc map[string]any
	if err := json.Unmarshal(sbom, &doc); err != nil {
		t.Fatal(err)
	}
	doc["comment"] = "<a & b> \u2028 \"quoted\""
	escaped, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range [][]byte{sbom, escaped} {
		got, err := SBOMStatement("example.com/app", manifest, data)
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		want, err := statement("example.com/app", []digest.Digest{manifest}, PredicateSPDX, raw)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("spliced statement differs:\n got %.300s\nwant %.300s", got, want)
		}
		var st Statement
		if err := json.Unmarshal(got, &st); err != nil || !bytes.Equal(st.Predicate, data) {
			t.Errorf("statement does not parse back to the SBOM: %v", err)
		}
	}
}
