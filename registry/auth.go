package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"oras.land/oras-go/v2/registry/remote/auth"
	orascreds "oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/ybuild/ybuild/internal/inputerr"
)

// credentials looks up registry credentials in docker config.json and
// containers auth.json files (in order; the first with an entry for the host
// wins), including their credsStore and credHelpers. It remembers, per host,
// where the credentials came from, so errors can say so without the secret.
type credentials struct {
	ctx   context.Context // the session's: containerd's callback has none
	files []string

	mu      sync.Mutex
	found   map[string]string // endpoint host → source ("" when none)
	secrets []string          // every user:secret handed out, to redact
}

// credentials returns the lookup for the options' auth files; credential
// helpers run under ctx.
func (o *Options) credentials(ctx context.Context) *credentials {
	return &credentials{ctx: ctx, files: o.AuthFiles, found: map[string]string{}}
}

// lookup is containerd's credentials callback. host is the endpoint host
// (registry-1.docker.io for Docker Hub); it is mapped to the credentials key
// (https://index.docker.io/v1/). An identity token is returned as the
// secret with an empty user, which containerd uses as a refresh token.
func (c *credentials) lookup(host string) (string, string, error) {
	key := orascreds.ServerAddressFromHostname(host)
	for _, f := range c.files {
		user, secret, src, err := lookupFile(c.ctx, f, key)
		if err != nil {
			return "", "", err
		}
		if user != "" || secret != "" {
			c.remember(host, src)
			c.keep(user, secret)
			return user, secret, nil
		}
	}
	c.remember(host, "")
	return "", "", nil
}

// remember records where the credentials for host came from.
func (c *credentials) remember(host, src string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.found[host] = src
}

// keep records a secret handed out, so that errors can be scrubbed of it.
func (c *credentials) keep(user, secret string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.secrets = append(c.secrets, user+":"+secret)
}

// source returns where credentials for host were found, and whether a
// lookup happened at all.
func (c *credentials) source(host string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	src, ok := c.found[host]
	return src, ok
}

// lookupFile reads credentials for key from one config file, through its
// credential helper when it names one. It returns the source: the file, or
// "docker-credential-NAME (from FILE)". Its errors never quote what the
// file or the helper said: that may be the secret itself.
func lookupFile(ctx context.Context, file, key string) (user, secret, src string, err error) {
	helper, err := helperFor(file, key)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", "", nil
	}
	if err != nil {
		return "", "", "", err
	}
	src = describeSource(file, helper)
	if helper != "" {
		user, secret, err = runHelper(ctx, helper, key)
	} else {
		user, secret, err = fromFile(ctx, file, key)
	}
	if err != nil {
		return "", "", "", fmt.Errorf("credentials for %s from %s: %w", key, src, err)
	}
	return user, secret, src, nil
}

// fromFile reads the auths entry for key of a config file: auth (base64
// user:password), username and password, or identitytoken.
func fromFile(ctx context.Context, file, key string) (user, secret string, err error) {
	store, err := orascreds.NewFileStore(file)
	if err == nil {
		var cred auth.Credential
		if cred, err = store.Get(ctx, key); err == nil {
			if cred.RefreshToken != "" {
				return "", cred.RefreshToken, nil
			}
			return cred.Username, cred.Password, nil
		}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return "", "", fmt.Errorf("%w: %w", ErrCredentials, ctxErr)
	}
	// oras quotes the decoded auth field in some errors: say what is
	// wrong without it.
	return "", "", fmt.Errorf("%w: malformed entry (auth must be the base64 of user:password; username, password and identitytoken strings)", ErrCredentials)
}

// describeSource names a credential source for messages.
func describeSource(file, helper string) string {
	if helper == "" {
		return file
	}
	return "docker-credential-" + helper + " (from " + file + ")"
}

// maxAuthFile bounds a credentials file.
const maxAuthFile = 4 << 20

// helperFor returns the credential helper file names for key ("" for none).
// Only the helper names are read here; oras reads the credentials.
func helperFor(file, key string) (string, error) {
	data, err := inputerr.ReadFile(file, maxAuthFile) // oras opens it again: a FIFO would block there
	if err != nil {
		return "", err
	}
	var cfg struct {
		CredsStore  string            `json:"credsStore"`
		CredHelpers map[string]string `json:"credHelpers"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("credentials %s: invalid JSON: %w", file, ErrCredentials)
	}
	if h := cfg.CredHelpers[key]; h != "" {
		return h, nil
	}
	return cfg.CredsStore, nil
}
