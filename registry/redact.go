package registry

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
)

// minSecret is the shortest secret that is scrubbed from messages (a
// shorter one would blank out ordinary words).
const minSecret = 4

// redacted is an error whose message had a credential scrubbed out. It
// matches what the original matched (errors.Is, errors.As) but does not
// unwrap to it, so the original's text cannot be printed by accident.
type redacted struct {
	msg string
	err error
}

// Error returns the scrubbed message.
func (r *redacted) Error() string { return r.msg }

// Is reports whether the original error matches target.
func (r *redacted) Is(target error) bool { return errors.Is(r.err, target) }

// As finds target in the original error's chain.
func (r *redacted) As(target any) bool { return errors.As(r.err, target) }

// urlQuery is the query of a URL in a message. Registries redirect blob
// downloads to storage URLs signed in their query (X-Amz-Signature,
// X-Goog-Signature, sig=…, token=…): whoever holds one can read the blob
// until it expires, and Go's client errors quote the URL whole.
var urlQuery = regexp.MustCompile(`(?i)(https?://[^\s"'?]*)\?[^\s"']*`)

// scrub returns err, or a redacted copy when its message contains a
// secret the session handed out, or a URL's query: a registry (or a
// proxy, or a token server) that echoes the password or token it was
// sent, or a failed request to a signed storage URL, does not get it
// printed.
func (c *credentials) scrub(err error) error {
	if err == nil {
		return err
	}
	msg := err.Error()
	out := urlQuery.ReplaceAllString(msg, "${1}?[REDACTED]")
	if c != nil {
		for _, s := range c.forms() {
			out = strings.ReplaceAll(out, s, "[REDACTED]")
		}
	}
	if out == msg {
		return err
	}
	return &redacted{msg: out, err: err}
}

// forms returns every form of the secrets handed out that may appear in a
// message: the secret, the user:secret pair and their base64 encodings
// (Basic auth), longest first.
func (c *credentials) forms() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, pair := range c.secrets {
		_, secret, _ := strings.Cut(pair, ":")
		for _, s := range []string{pair, secret} {
			if len(s) < minSecret {
				continue
			}
			out = append(out, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)), s)
		}
	}
	return out
}
