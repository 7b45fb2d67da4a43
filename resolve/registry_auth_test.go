package resolve_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
)

const (
	testUser     = "alice"
	testPassword = "s3cret-Pa55"
)

var testUsers = map[string]string{testUser: testPassword}

func TestRegistryBasicTLS(t *testing.T) {
	reg, _, top := seeded(t, registrytest.Options{Auth: registrytest.Basic, TLS: true, Users: testUsers})
	ctx := context.Background()
	ref := reg.Host + "/lib/busybox:1"
	good := registrytest.DockerConfig(t, t.TempDir(), reg.Host, testUser, testPassword)

	b, err := resolve.Open(ctx, ref, resolve.Options{Registry: &registry.Options{AuthFiles: []string{good}, CAFiles: []string{reg.CAFile}}})
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest != top.Digest {
		t.Fatalf("digest %s, want %s", b.Digest, top.Digest)
	}

	t.Run("wrong password", func(t *testing.T) {
		bad := registrytest.DockerConfig(t, t.TempDir(), reg.Host, testUser, "wrong-Pa55")
		_, err := resolve.Open(ctx, ref, resolve.Options{Registry: &registry.Options{AuthFiles: []string{bad}, CAFiles: []string{reg.CAFile}}})
		wantAuthErr(t, err, reg.Host, bad)
	})
	t.Run("no credentials", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "config.json")
		_, err := resolve.Open(ctx, ref, resolve.Options{Registry: &registry.Options{AuthFiles: []string{missing}, CAFiles: []string{reg.CAFile}}})
		wantAuthErr(t, err, reg.Host, "no credentials found")
	})
	t.Run("unknown CA", func(t *testing.T) {
		_, err := resolve.Open(ctx, ref, resolve.Options{Registry: &registry.Options{AuthFiles: []string{good}}})
		if !errors.Is(err, registry.ErrRegistryUnreachable) || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err = %v, want registry.ErrRegistryUnreachable about the certificate", err)
		}
	})
	t.Run("insecure", func(t *testing.T) {
		_, err := resolve.Open(ctx, ref, resolve.Options{Registry: &registry.Options{AuthFiles: []string{good}, Insecure: []string{reg.Host}}})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestRegistryTokenAuth(t *testing.T) {
	reg, _, top := seeded(t, registrytest.Options{Auth: registrytest.Token, Users: testUsers})
	ctx := context.Background()
	ref := reg.Host + "/lib/busybox:1"
	sources := map[string]func(t *testing.T) string{
		"docker config": func(t *testing.T) string {
			return registrytest.DockerConfig(t, t.TempDir(), reg.Host, testUser, testPassword)
		},
		"credential helper": func(t *testing.T) string {
			return registrytest.CredHelper(t, t.TempDir(), "ybtest", reg.Host, testUser, testPassword)
		},
		"auth.json": func(t *testing.T) string {
			return registrytest.AuthJSON(t, t.TempDir(), reg.Host, testUser, testPassword)
		},
	}
	for name, write := range sources {
		t.Run(name, func(t *testing.T) {
			file := write(t)
			missing := filepath.Join(t.TempDir(), "none.json")
			opts := &registry.Options{AuthFiles: []string{missing, file}}
			b, err := resolve.Open(ctx, ref, resolve.Options{Registry: opts})
			if err != nil {
				t.Fatal(err)
			}
			if b.Digest != top.Digest {
				t.Fatalf("digest %s, want %s", b.Digest, top.Digest)
			}
		})
	}
	t.Run("wrong password via helper", func(t *testing.T) {
		file := registrytest.CredHelper(t, t.TempDir(), "ybbad", reg.Host, testUser, "wrong-Pa55")
		_, err := resolve.Open(ctx, ref, resolve.Options{Registry: &registry.Options{AuthFiles: []string{file}}})
		wantAuthErr(t, err, reg.Host, "docker-credential-ybbad")
	})
	t.Run("anonymous refused", func(t *testing.T) {
		_, err := resolve.Open(ctx, ref, resolve.Options{})
		wantAuthErr(t, err, reg.Host, "docker login "+reg.Host)
	})
}

func TestRegistryTokenAnonymousPull(t *testing.T) {
	reg, _, top := seeded(t, registrytest.Options{Auth: registrytest.Token, Users: testUsers, AnonymousPull: true})
	b, err := resolve.Open(context.Background(), reg.Host+"/lib/busybox:1", resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest != top.Digest {
		t.Fatalf("digest %s, want %s", b.Digest, top.Digest)
	}
	if reg.Counter.Count("GET", "/token") == 0 {
		t.Fatal("no token was requested")
	}
}

// wantAuthErr checks an authentication failure: registry.ErrUnauthorized, naming the
// registry and the credential source (want), never the password.
func wantAuthErr(t *testing.T, err error, host, want string) {
	t.Helper()
	if !errors.Is(err, registry.ErrUnauthorized) {
		t.Fatalf("err = %v, want registry.ErrUnauthorized", err)
	}
	msg := err.Error()
	for _, s := range []string{host, want} {
		if !strings.Contains(msg, s) {
			t.Errorf("error does not mention %q: %s", s, msg)
		}
	}
	for _, secret := range []string{testPassword, "wrong-Pa55"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error leaks a password: %s", msg)
		}
	}
}
