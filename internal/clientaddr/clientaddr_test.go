package clientaddr_test

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/licet/licet/internal/clientaddr"
)

func mustParse(t testing.TB, cidrs ...string) *clientaddr.Proxies {
	t.Helper()
	p, err := clientaddr.Parse(cidrs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.0/8x", "::1/200"} {
		if _, err := clientaddr.Parse([]string{bad}); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", bad)
		}
	}
	p := mustParse(t, "127.0.0.1", "10.0.0.0/8", "::1/128")
	for addr, want := range map[string]bool{"127.0.0.1": true, "10.9.8.7": true, "::1": true, "::ffff:10.1.1.1": true, "127.0.0.2": false, "192.0.2.1": false} {
		if got := p.Trusts(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Trusts(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestAddr(t *testing.T) {
	proxy := mustParse(t, "127.0.0.1/32", "10.0.0.0/8")
	tests := []struct {
		name    string
		proxies *clientaddr.Proxies
		peer    string
		headers map[string][]string
		want    string
	}{
		{"no proxies: the header is ignored", nil, "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"192.0.2.9"}}, "127.0.0.1"},
		{"untrusted peer: the header is ignored", proxy, "192.0.2.1:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "192.0.2.1"},
		{"trusted peer, one hop", proxy, "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"192.0.2.9"}}, "192.0.2.9"},
		{"forged leftmost entry loses", proxy, "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"203.0.113.66, 192.0.2.9"}}, "192.0.2.9"},
		{"trusted hops are skipped", proxy, "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"192.0.2.9, 10.1.1.1", "10.2.2.2"}}, "192.0.2.9"},
		{"garbage stops the walk at the hop that wrote it", proxy, "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"192.0.2.9, nonsense, 10.1.1.1"}}, "10.1.1.1"},
		{"port and brackets", proxy, "127.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"[2001:db8::7]:4711"}}, "2001:db8::7"},
		{"Forwarded wins over X-Forwarded-For", proxy, "127.0.0.1:5000", map[string][]string{
			"Forwarded": {`for=192.0.2.60;proto=https, for="[2001:db8:cafe::17]:4711"`}, "X-Forwarded-For": {"198.51.100.1"}}, "2001:db8:cafe::17"},
		{"Forwarded unknown", proxy, "127.0.0.1:5000", map[string][]string{"Forwarded": {"for=unknown"}}, "127.0.0.1"},
		{"no header behind a proxy", proxy, "127.0.0.1:5000", nil, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for k, vs := range tt.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			if got := tt.proxies.Addr(r); got != tt.want {
				t.Fatalf("Addr = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHTTPS(t *testing.T) {
	proxy := mustParse(t, "127.0.0.1/32")
	tests := []struct {
		name    string
		proxies *clientaddr.Proxies
		peer    string
		tls     bool
		header  [2]string
		want    bool
	}{
		{"direct TLS", nil, "192.0.2.1:1", true, [2]string{}, true},
		{"plain", proxy, "127.0.0.1:1", false, [2]string{}, false},
		{"trusted proxy says https", proxy, "127.0.0.1:1", false, [2]string{"X-Forwarded-Proto", "https"}, true},
		{"trusted proxy says http last", proxy, "127.0.0.1:1", false, [2]string{"X-Forwarded-Proto", "https, http"}, false},
		{"Forwarded proto", proxy, "127.0.0.1:1", false, [2]string{"Forwarded", "for=192.0.2.1;proto=https"}, true},
		{"untrusted peer says https", proxy, "192.0.2.1:1", false, [2]string{"X-Forwarded-Proto", "https"}, false},
		{"no proxies configured", nil, "127.0.0.1:1", false, [2]string{"X-Forwarded-Proto", "https"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.header[0] != "" {
				r.Header.Set(tt.header[0], tt.header[1])
			}
			if got := tt.proxies.HTTPS(r); got != tt.want {
				t.Fatalf("HTTPS = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzAddr: whatever the headers say, the answer is the peer or an address in the chain, and
// behind no trusted proxy it is always the peer.
func FuzzAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.9", "a, 10.0.0.1", `for="[::1]:80";proto=https, for=x`, `"`, `for=";,`, "[", "[::1"} {
		f.Add(s, s)
	}
	proxy := mustParse(f, "127.0.0.1/32", "10.0.0.0/8")
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:1"
		r.Header.Set("X-Forwarded-For", xff)
		if fwd != "" {
			r.Header.Set("Forwarded", fwd)
		}
		r.Header.Set("X-Forwarded-Proto", xff)
		got := proxy.Addr(r)
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("Addr = %q, not an address", got)
		}
		_ = proxy.HTTPS(r)
		if got := (*clientaddr.Proxies)(nil).Addr(r); got != "127.0.0.1" {
			t.Fatalf("no proxies: Addr = %q, want the peer", got)
		}
	})
}
