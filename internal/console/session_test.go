package console

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
)

func testKeys(t testing.TB, seed byte) keys {
	t.Helper()
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	k, err := deriveKeys(ed25519.NewKeyFromSeed(s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestSessionRoundTrip(t *testing.T) {
	k := testKeys(t, 1)
	in := session{ID: "abc", TokenID: 7, Role: licet.RoleTenant, TenantID: 3, Expires: t0.Add(SessionTTL).Unix()}
	v := k.encodeSession(in)
	got, err := k.decodeSession(v, t0)
	if err != nil || got != in {
		t.Fatalf("decode(encode(s)) = %+v, %v; want %+v", got, err, in)
	}
	if _, err := k.decodeSession(v, t0.Add(SessionTTL)); err != errSessionExpired {
		t.Fatalf("at expiry: %v, want errSessionExpired", err)
	}
}

func TestSessionRejects(t *testing.T) {
	k := testKeys(t, 1)
	good := k.encodeSession(session{ID: "abc", TokenID: 7, Role: licet.RoleOperator, Expires: t0.Add(time.Hour).Unix()})
	payload := strings.Split(good, ".")[1]
	sign := func(p string) string { return "v1." + p + "." + b64(k.mac("session", p)) }
	tests := []struct {
		name, value string
	}{
		{"empty", ""},
		{"other key", testKeys(t, 2).encodeSession(session{ID: "abc", TokenID: 7, Role: licet.RoleOperator, Expires: t0.Add(time.Hour).Unix()})},
		{"changed payload", "v1." + b64([]byte(`{"sid":"abc","tok":1,"role":"operator","exp":9999999999}`)) + "." + strings.Split(good, ".")[2]},
		{"no signature", "v1." + payload},
		{"wrong version", "v2" + strings.TrimPrefix(good, "v1")},
		{"signed garbage", sign("!!!")},
		{"signed non-JSON", sign(b64([]byte("hello")))},
		{"signed unknown field", sign(b64([]byte(`{"sid":"a","tok":1,"role":"operator","exp":9999999999,"admin":true}`)))},
		{"signed partner role", sign(b64([]byte(`{"sid":"a","tok":1,"role":"partner","exp":9999999999}`)))},
		{"signed without token", sign(b64([]byte(`{"sid":"a","role":"operator","exp":9999999999}`)))},
		{"signed trailing data", sign(b64([]byte(`{"sid":"a","tok":1,"role":"operator","exp":9999999999}{}`)))},
		{"too long", good + strings.Repeat("A", maxCookieLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := k.decodeSession(tt.value, t0); err != errSessionInvalid {
				t.Fatalf("decodeSession = %+v, %v; want errSessionInvalid", s, err)
			}
		})
	}
}

func TestCSRFToken(t *testing.T) {
	k := testKeys(t, 1)
	a, b := session{ID: "a"}, session{ID: "b"}
	if !k.checkCSRF(a, k.csrfToken(a)) {
		t.Fatal("a session's own CSRF token is refused")
	}
	for name, tok := range map[string]string{"other session": k.csrfToken(b), "other key": testKeys(t, 2).csrfToken(a), "empty": "", "garbage": "%%"} {
		if k.checkCSRF(a, tok) {
			t.Errorf("%s: CSRF token accepted", name)
		}
	}
}

func TestFlash(t *testing.T) {
	k := testKeys(t, 1)
	if got := k.decodeFlash(k.encodeFlash("Tenant created.")); got != "Tenant created." {
		t.Fatalf("flash round trip = %q", got)
	}
	if got := k.decodeFlash(b64([]byte("forged")) + ".AAAA"); got != "" {
		t.Fatalf("forged flash = %q, want empty", got)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/audit?action=x": "/audit?action=x", "": "/", "//evil.example": "/", "/\\evil.example": "/",
		"https://evil.example": "/", "javascript:alert(1)": "/", "/a\r\nSet-Cookie: x": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecodeSession: no cookie value panics the decoder, and only a value this key signed is
// accepted.
func FuzzDecodeSession(f *testing.F) {
	k := testKeys(f, 1)
	f.Add(k.encodeSession(session{ID: "abc", TokenID: 7, Role: licet.RoleOperator, Expires: t0.Add(time.Hour).Unix()}))
	f.Add("v1..")
	f.Add("v1.e30.")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := k.decodeSession(v, t0)
		if err != nil {
			return
		}
		// The only values this key signed are its own encodings (the first seed): any other
		// accepted value would be a forgery.
		if k.encodeSession(s) != v {
			t.Fatalf("accepted %q, which this key did not sign", v)
		}
		if s.TokenID <= 0 || s.ID == "" {
			t.Fatalf("accepted an incomplete session %+v", s)
		}
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
