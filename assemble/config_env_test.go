package assemble

import (
	"errors"
	"runtime"
	"slices"
	"strings"
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
			got, err := mergeEnv(base, tc.set)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("got %q, %v, want %q", got, err, tc.want)
			}
		})
	}
	if base[1] != "BASE=1" {
		t.Error("mergeEnv changed its input")
	}
}

// TestMergeEnvBounded: each value may refer to the ones before it, so a
// few lines grew a value a hundredfold per line; the values may expand
// to MaxEnvExpanded bytes in all, and a spec asking for more is refused
// (ErrEnvTooLong) without building the value (it ran out of memory).
func TestMergeEnvBounded(t *testing.T) {
	x := strings.Repeat("x", 1024)
	set := nm("A0", x, "A1", strings.Repeat("$A0", 100), "A2", strings.Repeat("${A1}", 100),
		"A3", strings.Repeat("$A2", 100), "A4", strings.Repeat("${A3:-}", 100), "A5", strings.Repeat("${A0:+$A4}", 100))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := mergeEnv(nil, set)
	runtime.ReadMemStats(&after)
	var ee *envError
	if !errors.Is(err, ErrEnvTooLong) || !errors.As(err, &ee) || ee.key != "A2" {
		t.Errorf("mergeEnv: %v, want ErrEnvTooLong at A2", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("mergeEnv allocated %d MiB", alloc>>20)
	}
	if env, err := mergeEnv(nil, set[:2]); err != nil || len(env) != 2 || len(env[1]) != len("A1=")+1024*100 {
		t.Errorf("100 KiB of values: %v, want them expanded", err)
	}
}
