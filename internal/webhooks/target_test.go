package webhooks

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/licet/licet"
)

// fixedResolver answers every name with the same addresses.
type fixedResolver []netip.Addr

func (r fixedResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r, nil
}

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		url, resolves string
		allow         bool
		code          string
	}{
		{"https://hooks.example.com/x", "203.0.113.9", false, ""},
		{"https://hooks.example.com/x", "10.0.0.8", false, licet.CodeWebhookTargetRefused},
		{"https://hooks.example.com/x", "10.0.0.8", true, ""},
		{"http://127.0.0.1:8080/x", "", false, licet.CodeWebhookTargetRefused},
		{"http://127.0.0.1:8080/x", "", true, ""},
		{"http://[::ffff:127.0.0.1]/x", "", false, licet.CodeWebhookTargetRefused},
		{"http://100.64.1.1/x", "", false, licet.CodeWebhookTargetRefused},
		{"http://[fd00::1]/x", "", false, licet.CodeWebhookTargetRefused},
		{"file:///etc/passwd", "", true, licet.CodeWebhookTargetRefused},
		{"https://user:pw@example.com/", "", true, licet.EInvalid},
		{"https:///nohost", "", true, licet.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			var res fixedResolver
			if tt.resolves != "" {
				res = fixedResolver{netip.MustParseAddr(tt.resolves)}
			}
			u, err := CheckURL(tt.url)
			if err == nil {
				err = checkTarget(context.Background(), res, u, tt.allow)
			}
			if licet.ErrorCode(err) != tt.code {
				t.Fatalf("got %v; want %q", err, tt.code)
			}
		})
	}
}

// TestDialControlRefusesPrivate: the address is checked again when connecting, whatever the
// name resolved to at creation.
func TestDialControlRefusesPrivate(t *testing.T) {
	if err := dialControl(false)("tcp", "127.0.0.1:80", nil); licet.ErrorCode(err) != licet.CodeWebhookTargetRefused {
		t.Errorf("loopback: %v", err)
	}
	if err := dialControl(false)("tcp", "203.0.113.9:443", nil); err != nil {
		t.Errorf("public: %v", err)
	}
	if err := dialControl(true)("tcp", "127.0.0.1:80", nil); err != nil {
		t.Errorf("allowed loopback: %v", err)
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://example.com/hook", "http://[::1]:80/", "ftp://x", "http://%zz", "https://a@b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := CheckURL(s)
		if err != nil {
			if c := licet.ErrorCode(err); c != licet.EInvalid && c != licet.CodeWebhookTargetRefused {
				t.Fatalf("CheckURL(%q): %v", s, err)
			}
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			t.Fatalf("CheckURL(%q) accepted %v", s, u)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1,v1=00", []byte("{}"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = Verify("whsec_x", header, body, timeZero, 1<<62) // never panics
	})
}

var timeZero = time.Unix(0, 0)

func TestBounded(t *testing.T) {
	long := strings.Repeat("é", 400) // 800 bytes: the cut falls inside a character
	for _, in := range []string{"ok", long, "a\x00b\xff\nc"} {
		got := bounded(in)
		if !utf8.ValidString(got) || strings.ContainsAny(got, "\x00\n") || len(got) > 304 {
			t.Errorf("bounded(%q) = %q: want valid UTF-8 without control characters, at most 300 bytes and an ellipsis", in, got)
		}
	}
}
