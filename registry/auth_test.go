package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCredentialHelperHonoursContext checks that a credential helper runs
// under the session's context: cancelling it ends a helper that hangs
// (waiting for a keyring prompt, say) instead of waiting for it.
func TestCredentialHelperHonoursContext(t *testing.T) {
	dir := t.TempDir()
	// Without the context the helper answers, late.
	helper := "#!/bin/sh\nsleep 2\necho '{\"ServerURL\":\"registry.example\",\"Username\":\"u\",\"Secret\":\"s\"}'\n"
	if err := os.WriteFile(filepath.Join(dir, "docker-credential-hang"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"credsStore":"hang"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := (&Options{AuthFiles: []string{cfg}}).credentials(ctx)
	_, _, err := c.lookup("registry.example")
	if !errors.Is(err, ErrCredentials) {
		t.Fatalf("lookup with a cancelled context: err = %v, want ErrCredentials", err)
	}
}
