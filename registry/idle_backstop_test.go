package registry

import (
	"net/http"
	"testing"
	"time"
)

// TestIdleHeaderBackstop: the transport's own wait for an answer's headers
// follows the idle timeout (twice it, so that the watch fires first), for
// secure and insecure hosts alike, instead of containerd's fixed 30 s,
// which both cut off a slow registry under a longer idle timeout and
// outlasted a shorter one.
func TestIdleHeaderBackstop(t *testing.T) {
	for _, tc := range []struct {
		idle time.Duration
		want time.Duration
	}{{2 * time.Second, 4 * time.Second}, {0, 2 * DefaultIdleTimeout}, {5 * time.Minute, 10 * time.Minute}, {-1, 30 * time.Second}} {
		o := &Options{IdleTimeout: tc.idle}
		secure := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 30 * time.Second}}
		insecure := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 30 * time.Second}}
		if err := o.updateClient(secure); err != nil {
			t.Fatal(err)
		}
		if err := o.updateInsecureClient(insecure, nil); err != nil {
			t.Fatal(err)
		}
		for name, tr := range map[string]http.RoundTripper{"secure": secure.Transport, "insecure": insecure.Transport} {
			if got := innerTransport(t, tr).ResponseHeaderTimeout; got != tc.want {
				t.Errorf("idle %s, %s host: response header timeout %s, want %s", tc.idle, name, got, tc.want)
			}
		}
	}
}

// innerTransport unwraps the retries, the idle watch and the plain-HTTP
// fallback down to the *http.Transport.
func innerTransport(t *testing.T, tr http.RoundTripper) *http.Transport {
	t.Helper()
	for {
		switch v := tr.(type) {
		case *http.Transport:
			return v
		case *retryTransport:
			tr = v.next
		case *idleTransport:
			tr = v.next
		case *insecureFallback:
			tr = v.next
		default:
			t.Fatalf("unexpected transport %T", tr)
		}
	}
}
