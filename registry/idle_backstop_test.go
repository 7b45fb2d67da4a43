package registry

import (
	"net/http"
	"testing"
	"time"
)

// TestIdleHeaderBackstop: the transport's own wait for an answer's headers
// follows the idle timeout (twice it, so that the watch fires first),
// instead of containerd's fixed 30 s, which both cut off a slow registry
// under a longer idle timeout and outlasted a shorter one.
func TestIdleHeaderBackstop(t *testing.T) {
	for _, tc := range []struct {
		idle time.Duration
		want time.Duration
	}{{2 * time.Second, 4 * time.Second}, {0, 2 * DefaultIdleTimeout}, {5 * time.Minute, 10 * time.Minute}} {
		o := &Options{IdleTimeout: tc.idle}
		w, ok := o.watchIdle(&http.Transport{ResponseHeaderTimeout: 30 * time.Second}).(*idleTransport)
		if !ok {
			t.Fatalf("idle %s: no idle watch", tc.idle)
		}
		if got := w.next.(*http.Transport).ResponseHeaderTimeout; got != tc.want {
			t.Errorf("idle %s: response header timeout %s, want %s", tc.idle, got, tc.want)
		}
	}
	orig := &http.Transport{ResponseHeaderTimeout: 30 * time.Second}
	if (&Options{IdleTimeout: -1}).watchIdle(orig) != orig || orig.ResponseHeaderTimeout != 30*time.Second {
		t.Error("with the idle watch off the transport changed")
	}
}
