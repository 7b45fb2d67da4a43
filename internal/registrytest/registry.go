package registrytest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	// Registered by import: auth controllers and the filesystem storage
	// driver (the in-memory one grows a blob by copying it whole on every
	// write: quadratic, seconds for a 12 MiB upload under -race).
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// Auth selects how the registry authenticates clients.
type Auth int

const (
	// Anonymous allows everything without credentials.
	Anonymous Auth = iota
	// Basic requires HTTP Basic auth checked against an htpasswd file.
	Basic
	// Token requires bearer tokens from the built-in token issuer.
	Token
)

// Options configures a test registry.
type Options struct {
	// Auth is the authentication scheme.
	Auth Auth
	// TLS serves HTTPS with a certificate from a generated CA (CAFile).
	TLS bool
	// Users maps user names to passwords for Basic and Token auth.
	Users map[string]string
	// AnonymousPull lets anonymous token requests pull (Token auth only).
	AnonymousPull bool
	// RedirectBlobs answers blob GETs with a 307 to a second loopback
	// server (StorageHost) that serves the content, like a registry backed
	// by object storage.
	RedirectBlobs bool
}

// Registry is a running in-process distribution registry.
type Registry struct {
	// Host is "127.0.0.1:PORT".
	Host string
	// CAFile is the PEM file of the CA that signed the server certificate
	// (TLS only).
	CAFile string
	// Counter records every request (registry and token issuer).
	Counter *Counter
	// StorageHost is the blob storage server's "127.0.0.1:PORT"
	// (RedirectBlobs only).
	StorageHost string
	// Storage records the blob storage server's requests (RedirectBlobs only).
	Storage *Counter

	users   map[string]string
	corrupt *corrupter
	faults  *faulter
	store   *blobStore
	dir     string // the test's directory: storage/ holds the registry's files
}

// New starts a registry on a 127.0.0.1 listener; it stops when the test ends.
func New(t testing.TB, opts Options) *Registry {
	t.Helper()
	logrus.SetOutput(io.Discard) // the registry logs every 404 at error level
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reg := &Registry{Host: ln.Addr().String(), users: opts.Users, dir: dir}
	scheme := "http"
	var tlsCfg *tls.Config
	if opts.TLS {
		ca := newCA(t)
		reg.CAFile = writeFile(t, dir, "ca.pem", ca.pem)
		tlsCfg, scheme = ca.serverTLS(t), "https"
	}
	mux := http.NewServeMux()
	if opts.Auth == Token {
		mux.Handle("/token", newTokenServer(t, dir, opts))
	}
	cfg := config(t, dir, opts, scheme+"://"+reg.Host)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	mux.Handle("/", handlers.NewApp(ctx, cfg))
	reg.corrupt = &corrupter{next: mux, bad: map[string]bool{}}
	var h http.Handler = reg.corrupt
	if opts.RedirectBlobs {
		h = reg.startStorage(t, h)
	}
	reg.faults = &faulter{next: h}
	reg.Counter = NewCounter(reg.faults)
	serve(t, ln, reg.Counter, tlsCfg)
	return reg
}

// startStorage starts the blob storage server and returns the handler that
// redirects next's blob downloads to it.
func (r *Registry) startStorage(t testing.TB, next http.Handler) http.Handler {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.StorageHost = ln.Addr().String()
	r.store = &blobStore{next: next, base: "http://" + r.StorageHost, blobs: map[string][]byte{}}
	r.Storage = NewCounter(http.HandlerFunc(r.store.serveStorage))
	serve(t, ln, r.Storage, nil)
	return r.store
}

// serve serves h on ln (with TLS when tlsCfg is set) until the test ends.
// The end closes every connection and then waits (at most handlerDrain)
// for the handlers still running: one still writing an upload's state
// into the storage directory made the test's TempDir cleanup fail with
// "directory not empty".
func serve(t testing.TB, ln net.Listener, h http.Handler, tlsCfg *tls.Config) {
	var running atomic.Int64 // not a WaitGroup: a request may start while the cleanup waits
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		running.Add(1)
		defer running.Add(-1)
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: counted, TLSConfig: tlsCfg, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		if tlsCfg != nil {
			_ = srv.ServeTLS(ln, "", "")
			return
		}
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		for end := time.Now().Add(handlerDrain); running.Load() > 0 && time.Now().Before(end); {
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// handlerDrain bounds the wait for a stopped server's running handlers.
const handlerDrain = 10 * time.Second

// config returns the registry configuration for opts.
func config(t testing.TB, dir string, opts Options, base string) *configuration.Configuration {
	t.Helper()
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{
		"filesystem":  configuration.Parameters{"rootdirectory": filepath.Join(dir, "storage")},
		"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
	}
	cfg.Log.AccessLog.Disabled = true
	cfg.Log.Level = "error"
	cfg.HTTP.Secret = "ybuild-test-secret"
	switch opts.Auth {
	case Basic:
		cfg.Auth = configuration.Auth{"htpasswd": {"realm": "ybuild-test", "path": htpasswd(t, dir, opts.Users)}}
	case Token:
		cfg.Auth = configuration.Auth{"token": {
			"realm": base + "/token", "service": tokenService, "issuer": tokenIssuer,
			"rootcertbundle": filepath.Join(dir, "token.pem"),
		}}
	}
	return cfg
}

// newTokenServer creates the issuer's key and writes dir/token.pem, the
// certificate the registry trusts for token signatures.
func newTokenServer(t testing.TB, dir string, opts Options) http.Handler {
	t.Helper()
	ts := &tokenServer{key: newKey(t), users: opts.Users, anonymousPull: opts.AnonymousPull}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: tokenIssuer},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ts.key.PublicKey, ts.key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "token.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return ts
}

// htpasswd writes an htpasswd file (bcrypt) for users.
func htpasswd(t testing.TB, dir string, users map[string]string) string {
	t.Helper()
	var data []byte
	for u, p := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, u+":"+string(h)+"\n"...)
	}
	return writeFile(t, dir, "htpasswd", data)
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
