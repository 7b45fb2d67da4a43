package assemble

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/spec"
)

// newHistory returns the history entries of a build: one per new layer
// ("ybuild layer NAME", NAME defaulting to the layer's index in the spec),
// then one empty_layer entry naming the config fields the spec changes.
func newHistory(layers []spec.Layer, c spec.Config, created time.Time) []ocispec.History {
	t := created
	var out []ocispec.History
	for i, l := range layers {
		name := l.Name
		if name == "" {
			name = fmt.Sprint(i)
		}
		out = append(out, ocispec.History{Created: &t, CreatedBy: "ybuild layer " + name})
	}
	if fields := changedFields(c); len(fields) > 0 {
		out = append(out, ocispec.History{Created: &t, CreatedBy: "ybuild config " + strings.Join(fields, " "), EmptyLayer: true})
	}
	return out
}

// changedFields names the config fields the spec sets, in spec order.
func changedFields(c spec.Config) []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"entrypoint", c.Entrypoint != nil}, {"cmd", c.Cmd != nil}, {"env", len(c.Env) > 0},
		{"workdir", c.Workdir != ""}, {"user", c.User != ""}, {"ports", len(c.Ports) > 0},
		{"volumes", len(c.Volumes) > 0}, {"labels", len(c.Labels) > 0}, {"stopSignal", c.StopSignal != ""},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// appendHistory appends add to the base's history, keeping the base's
// entries byte for byte. A base with layers but no history at all gets one
// placeholder entry per base layer, so that the non-empty entries match
// rootfs.diff_ids; any other mismatch in the base is kept as it is, and the
// appended entries never widen it.
func appendHistory(top object, baseDiffIDs []digest.Digest, add []ocispec.History) error {
	var hist []json.RawMessage
	if err := top.get("history", &hist); err != nil {
		return err
	}
	if len(hist) == 0 {
		for range baseDiffIDs {
			hist = append(hist, json.RawMessage(`{"created_by":"base layer (no history)"}`))
		}
	}
	for _, h := range add {
		raw, err := marshal(h)
		if err != nil {
			return err
		}
		hist = append(hist, raw)
	}
	if len(hist) == 0 {
		return nil
	}
	return top.set("history", hist)
}
