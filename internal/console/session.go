package console

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/licet/licet"
)

// SessionTTL is how long a console session lasts after sign-in.
const SessionTTL = 8 * time.Hour

// sessionCookie is the name of the session cookie; flashCookie carries a one-time notice across
// a redirect.
const (
	sessionCookie = "licet_session"
	flashCookie   = "licet_flash"
)

// maxCookieLen bounds what decodeSession reads, long before any JSON decoding.
const maxCookieLen = 1024

// session is what the signed cookie holds: which token signed in, as which role and tenant, and
// until when. It never holds the token's secret.
type session struct {
	ID       string     `json:"sid"` // random, names this sign-in; the CSRF token derives from it
	TokenID  int64      `json:"tok"`
	Role     licet.Role `json:"role"`
	TenantID int64      `json:"tid,omitempty"`
	Expires  int64      `json:"exp"` // unix seconds
}

var (
	errNoSession      = errors.New("no session")
	errSessionInvalid = errors.New("the session cookie is malformed or its signature does not match")
	errSessionExpired = errors.New("the session has expired")
)

// keys are the HMAC keys of the console, derived from the operator's signing key so that replicas
// sharing the key file accept each other's sessions.
type keys struct {
	session []byte
}

// deriveKeys derives the session key from the operator's Ed25519 signing key with HKDF-SHA256.
func deriveKeys(signingKey ed25519.PrivateKey) (keys, error) {
	if len(signingKey) != ed25519.PrivateKeySize {
		return keys{}, errors.New("console: the operator's signing key is missing")
	}
	k, err := hkdf.Key(sha256.New, signingKey.Seed(), nil, "licet console sessions", 32)
	if err != nil {
		return keys{}, err
	}
	return keys{session: k}, nil
}

// newSessionID returns a fresh random session id.
func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (k keys) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, k.session)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// encodeSession returns the cookie value: "v1.<base64url JSON>.<base64url HMAC-SHA256>".
func (k keys) encodeSession(s session) string {
	js, _ := json.Marshal(s) // a struct of strings and integers always marshals
	payload := base64.RawURLEncoding.EncodeToString(js)
	return "v1." + payload + "." + base64.RawURLEncoding.EncodeToString(k.mac("session", payload))
}

// decodeSession checks the signature and expiry of a cookie value and returns its session. It
// returns errSessionInvalid for anything malformed or forged and errSessionExpired for a genuine
// session past its expiry; it never panics on any input.
func (k keys) decodeSession(v string, now time.Time) (session, error) {
	if len(v) > maxCookieLen {
		return session{}, errSessionInvalid
	}
	version, rest, ok := strings.Cut(v, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || version != "v1" {
		return session{}, errSessionInvalid
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.mac("session", payload)) {
		return session{}, errSessionInvalid
	}
	js, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return session{}, errSessionInvalid
	}
	var s session
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || dec.More() {
		return session{}, errSessionInvalid
	}
	if s.ID == "" || s.TokenID <= 0 || (s.Role != licet.RoleOperator && s.Role != licet.RoleTenant) {
		return session{}, errSessionInvalid
	}
	if now.Unix() >= s.Expires {
		return s, errSessionExpired
	}
	return s, nil
}

// csrfToken is the session's CSRF token: an HMAC of its id, so it needs no storage and differs
// for every sign-in.
func (k keys) csrfToken(s session) string {
	return base64.RawURLEncoding.EncodeToString(k.mac("csrf", s.ID))
}

// checkCSRF reports whether token is the CSRF token of the session.
func (k keys) checkCSRF(s session, token string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && hmac.Equal(got, k.mac("csrf", s.ID))
}

// encodeFlash signs a one-time notice shown after a redirect.
func (k keys) encodeFlash(msg string) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(msg))
	return payload + "." + base64.RawURLEncoding.EncodeToString(k.mac("flash", payload))
}

// decodeFlash returns the notice of a flash cookie, or "" when it is absent or forged.
func (k keys) decodeFlash(v string) string {
	payload, sig, ok := strings.Cut(v, ".")
	if !ok || len(v) > maxCookieLen {
		return ""
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.mac("flash", payload)) {
		return ""
	}
	msg, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	return string(msg)
}
