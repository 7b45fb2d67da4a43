package registrytest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// DockerConfig writes DIR/config.json with an "auth" entry (base64
// user:password) for host and returns the file's path.
func DockerConfig(t testing.TB, dir, host, user, password string) string {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	return writeJSON(t, dir, "config.json", map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
}

// AuthJSON writes DIR/auth.json in the containers format (the same "auths"
// map) and returns its path.
func AuthJSON(t testing.TB, dir, host, user, password string) string {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	return writeJSON(t, dir, "auth.json", map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
}

// CredHelper installs docker-credential-NAME, a shell script answering
// "get" for host with user and password, in a new directory prepended to
// PATH for the rest of the test, and writes DIR/config.json naming it in
// credHelpers. It returns the config path.
func CredHelper(t testing.TB, dir, name, host, user, password string) string {
	t.Helper()
	bin := t.TempDir()
	out, err := json.Marshal(map[string]string{"ServerURL": host, "Username": user, "Secret": password})
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\nif [ \"$server\" = %q ]; then\n  printf '%%s\\n' '%s'\nelse\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n", host, out)
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-"+name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return writeJSON(t, dir, "config.json", map[string]any{"credHelpers": map[string]string{host: name}})
}

// writeJSON writes v as DIR/name.
func writeJSON(t testing.TB, dir, name string, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, data)
}
