package assemble

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ybuild/ybuild/spec"
)

// configHistory is the part of a config history tests look at.
type configHistory struct {
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []json.RawMessage `json:"history"`
}

// countNonEmpty returns the number of history entries that are not empty_layer.
func countNonEmpty(hist []json.RawMessage) int {
	n := 0
	for _, raw := range hist {
		var f struct {
			EmptyLayer bool `json:"empty_layer"`
		}
		if json.Unmarshal(raw, &f) != nil || !f.EmptyLayer {
			n++
		}
	}
	return n
}

func TestHistory(t *testing.T) {
	const diff = `"sha256:1111111111111111111111111111111111111111111111111111111111111111"`
	for _, tc := range []struct {
		name    string
		base    string
		cfg     spec.Config
		entries int // total history entries
		surplus int // non-empty entries minus diff_ids
	}{
		{"consistent base", baseConfig, spec.Config{Cmd: list("x")}, 4, 0},
		{"no config change", baseConfig, spec.Config{}, 3, 0},
		{"scratch", `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`, spec.Config{}, 1, 0},
		{"base without history", `{"rootfs":{"type":"layers","diff_ids":[` + diff + `,` + diff + `]}}`, spec.Config{}, 3, 0},
		{"base with too many entries", `{"rootfs":{"type":"layers","diff_ids":[` + diff + `]},"history":[{},{}]}`, spec.Config{}, 3, 1},
		{"base with too few entries", `{"rootfs":{"type":"layers","diff_ids":[` + diff + `,` + diff + `]},"history":[{}]}`, spec.Config{}, 2, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got configHistory
			if err := json.Unmarshal(mustBuildConfig(t, []byte(tc.base), tc.cfg), &got); err != nil {
				t.Fatal(err)
			}
			if len(got.History) != tc.entries {
				t.Errorf("%d history entries, want %d", len(got.History), tc.entries)
			}
			if s := countNonEmpty(got.History) - len(got.RootFS.DiffIDs); s != tc.surplus {
				t.Errorf("non-empty entries - diff_ids = %d, want %d", s, tc.surplus)
			}
		})
	}
}

func TestHistoryKeepsBaseEntries(t *testing.T) {
	var in, out configHistory
	json.Unmarshal([]byte(baseConfig), &in)
	if err := json.Unmarshal(mustBuildConfig(t, []byte(baseConfig), spec.Config{Env: nm("A", "1")}), &out); err != nil {
		t.Fatal(err)
	}
	for i, h := range in.History {
		if !bytes.Equal(h, out.History[i]) {
			t.Errorf("entry %d: %s, want %s", i, out.History[i], h)
		}
	}
	want := []string{
		`{"created":"2024-05-06T07:08:09Z","created_by":"ybuild layer app"}`,
		`{"created":"2024-05-06T07:08:09Z","created_by":"ybuild config env","empty_layer":true}`,
	}
	for i, w := range want {
		if got := string(out.History[len(in.History)+i]); got != w {
			t.Errorf("new entry %d: %s, want %s", i, got, w)
		}
	}
}
