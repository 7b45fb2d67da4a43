package e2e

import (
	"strings"
	"testing"
)

func TestRunAndTry(t *testing.T) {
	sh := Require(t, "sh")
	if got := Run(t, sh, "-c", "echo hi"); got != "hi\n" {
		t.Fatalf("Run stdout = %q, want %q", got, "hi\n")
	}
	_, err := Try(t, sh, "-c", "echo out; echo oops >&2; exit 3")
	if err == nil {
		t.Fatal("Try of a failing command returned no error")
	}
	for _, want := range []string{"exit status 3", "out", "oops", "echo out"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Try error %q does not mention %q", err, want)
		}
	}
}
