package registrytest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/distribution/distribution/v3/registry/auth/token"
)

// Token auth constants: the issuer and service names the registry trusts.
const (
	tokenIssuer  = "ybuild-test-issuer"
	tokenService = "ybuild-test-registry"
)

// tokenIssuer is a minimal Docker token server: GET /token?service=&scope=
// with optional Basic auth returns a signed JWT granting the requested
// actions (pull to anonymous users when AnonymousPull is set; everything to
// a user with the right password; a wrong password gets 401).
type tokenServer struct {
	key           *ecdsa.PrivateKey
	users         map[string]string
	anonymousPull bool
}

// ServeHTTP issues a token.
func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	user, pass, hasAuth := r.BasicAuth()
	if r.Method == http.MethodPost {
		// OAuth2 password grant: the form carries the credentials.
		user, pass, hasAuth = r.PostForm.Get("username"), r.PostForm.Get("password"), r.PostForm.Get("username") != ""
	}
	if hasAuth && (s.users[user] == "" || s.users[user] != pass) {
		http.Error(w, `{"details":"incorrect username or password"}`, http.StatusUnauthorized)
		return
	}
	var access []*token.ResourceActions
	for _, scopes := range r.Form["scope"] {
		for _, scope := range strings.Fields(scopes) { // OAuth joins scopes with spaces
			if a := s.grant(scope, hasAuth); a != nil {
				access = append(access, a)
			}
		}
	}
	jwt, err := s.sign(user, access)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": jwt, "access_token": jwt, "expires_in": 300})
}

// grant returns the actions of scope ("repository:NAME:pull,push") granted.
func (s *tokenServer) grant(scope string, authed bool) *token.ResourceActions {
	parts := strings.Split(scope, ":")
	if len(parts) < 3 {
		return nil
	}
	typ, name, actions := parts[0], strings.Join(parts[1:len(parts)-1], ":"), strings.Split(parts[len(parts)-1], ",")
	var ok []string
	for _, a := range actions {
		if authed || (s.anonymousPull && a == "pull") {
			ok = append(ok, a)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	return &token.ResourceActions{Type: typ, Name: name, Actions: ok}
}

// sign returns an ES256 JWT with the key's JWK thumbprint as kid.
func (s *tokenServer) sign(subject string, access []*token.ResourceActions) (string, error) {
	now := time.Now()
	header := map[string]string{"typ": "JWT", "alg": "ES256", "kid": token.GetJWKThumbprint(&s.key.PublicKey)}
	claims := token.ClaimSet{
		Issuer: tokenIssuer, Subject: subject, Audience: token.AudienceList{tokenService},
		Expiration: now.Add(5 * time.Minute).Unix(), NotBefore: now.Add(-time.Minute).Unix(),
		IssuedAt: now.Unix(), JWTID: fmt.Sprint(now.UnixNano()), Access: access,
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(signing))
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	return signing + "." + b64(sig), nil
}

// b64 is unpadded base64url.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
