package assemble

import (
	"slices"
	"testing"

	"github.com/ybuild/ybuild/spec"
)

// nm builds a NullableMap from key, value pairs; the value "<nil>" is null.
func nm(kv ...string) spec.NullableMap {
	var m spec.NullableMap
	for i := 0; i+1 < len(kv); i += 2 {
		e := spec.KeyValue{Key: kv[i]}
		if kv[i+1] != "<nil>" {
			v := kv[i+1]
			e.Value = &v
		}
		m = append(m, e)
	}
	return m
}

func TestMergeEnv(t *testing.T) {
	base := []string{"PATH=/usr/bin:/bin", "BASE=1", "HOME=/root"}
	for _, tc := range []struct {
		name string
		set  spec.NullableMap
		want []string
	}{
		{"replace in place", nm("BASE", "2"), []string{"PATH=/usr/bin:/bin", "BASE=2", "HOME=/root"}},
		{"append in order", nm("B", "1", "A", "2"), append(slices.Clone(base), "B=1", "A=2")},
		{"null removes", nm("BASE", "<nil>", "NOPE", "<nil>"), []string{"PATH=/usr/bin:/bin", "HOME=/root"}},
		{"expand base", nm("PATH", "/app/bin:$PATH"), []string{"PATH=/app/bin:/usr/bin:/bin", "BASE=1", "HOME=/root"}},
		{"expand earlier entry", nm("A", "x", "B", "${A}y"), append(slices.Clone(base), "A=x", "B=xy")},
		{"expand before own update", nm("BASE", "$BASE$BASE"), []string{"PATH=/usr/bin:/bin", "BASE=11", "HOME=/root"}},
		{"unknown is empty", nm("A", "[$NOPE][${NOPE}]"), append(slices.Clone(base), "A=[][]")},
		{"escaped dollar", nm("A", `\$HOME`), append(slices.Clone(base), "A=$HOME")},
		{"lone dollar", nm("A", "5$ $"), append(slices.Clone(base), "A=5$ $")},
		{"default", nm("A", "${NOPE:-d}${HOME:-d}"), append(slices.Clone(base), "A=d/root")},
		{"alternative", nm("A", "${NOPE:+x}${HOME:+x}"), append(slices.Clone(base), "A=x")},
		{"removed is unknown", nm("HOME", "<nil>", "A", "h=$HOME"), []string{"PATH=/usr/bin:/bin", "BASE=1", "A=h="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mergeEnv(base, tc.set)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if base[1] != "BASE=1" {
		t.Error("mergeEnv changed its input")
	}
}
