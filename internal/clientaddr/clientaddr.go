// Package clientaddr tells a request's client address and whether the client used HTTPS,
// believing the Forwarded, X-Forwarded-For and X-Forwarded-Proto headers only when the TCP peer
// is a trusted proxy: anyone else could write them.
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the trusted proxy ranges. The zero value and nil trust nobody: the client is the
// TCP peer.
type Proxies struct {
	ranges []netip.Prefix
}

// Parse reads CIDR ranges such as 10.0.0.0/8 or 127.0.0.1/32 (a bare address is one host).
func Parse(cidrs []string) (*Proxies, error) {
	p := &Proxies{}
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		pr, err := netip.ParsePrefix(c)
		if err != nil {
			a, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return nil, fmt.Errorf("trusted proxy %q is not an address range: write it in CIDR notation, e.g. 10.0.0.0/8 or 127.0.0.1/32", c)
			}
			pr = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		p.ranges = append(p.ranges, pr.Masked())
	}
	return p, nil
}

// Trusts reports whether addr is in a trusted range.
func (p *Proxies) Trusts(addr netip.Addr) bool {
	if p == nil || !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	for _, r := range p.ranges {
		if r.Contains(addr) {
			return true
		}
	}
	return false
}

// Addr returns the client's address, without a port. It is the TCP peer, unless the peer is a
// trusted proxy: then the forwarding chain (Forwarded's for= values, or else X-Forwarded-For)
// is read from the right, past the trusted proxies, and the first address not trusted is the
// client. An entry that is not an address (unknown, an obfuscated name, garbage) stops the walk:
// the hop that wrote it is taken as the client, so a forged value never wins.
func (p *Proxies) Addr(r *http.Request) string {
	peer := PeerAddr(r)
	client, ok := parseHost(peer)
	if !ok || !p.Trusts(client) {
		return peer
	}
	chain := Chain(r.Header)
	for i := len(chain) - 1; i >= 0; i-- {
		a, ok := parseHost(chain[i])
		if !ok {
			break
		}
		client = a
		if !p.Trusts(a) {
			break
		}
	}
	return client.String()
}

// HTTPS reports whether the client reached the service over TLS: directly, or through a trusted
// proxy that says so (X-Forwarded-Proto, or Forwarded's proto=, of the nearest hop).
func (p *Proxies) HTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer, ok := parseHost(PeerAddr(r))
	if !ok || !p.Trusts(peer) {
		return false
	}
	proto := ""
	if v := lastValue(r.Header.Values("X-Forwarded-Proto")); v != "" {
		proto = v
	} else {
		for _, el := range elements(r.Header.Values("Forwarded")) {
			if v, ok := el["proto"]; ok {
				proto = v
			}
		}
	}
	return strings.EqualFold(proto, "https")
}

// PeerAddr is the TCP peer's address without the port.
func PeerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Chain lists the forwarding chain a request carries, client first: the for= values of the
// Forwarded headers when there are any, else the X-Forwarded-For entries.
func Chain(h http.Header) []string {
	if fwd := h.Values("Forwarded"); len(fwd) > 0 {
		var out []string
		for _, el := range elements(fwd) {
			out = append(out, el["for"]) // "" when an element has no for=: not an address
		}
		return out
	}
	var out []string
	for _, v := range h.Values("X-Forwarded-For") {
		for _, e := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(e))
		}
	}
	return out
}

// elements parses Forwarded header values (RFC 7239): comma-separated elements of
// semicolon-separated name=value pairs, values maybe quoted. Names are lower-cased.
func elements(values []string) []map[string]string {
	var out []map[string]string
	for _, v := range values {
		for _, el := range splitOutsideQuotes(v, ',') {
			m := map[string]string{}
			for _, pair := range splitOutsideQuotes(el, ';') {
				name, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok {
					continue
				}
				val = strings.TrimSpace(val)
				if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
					val = strings.ReplaceAll(val[1:len(val)-1], `\"`, `"`)
				}
				m[strings.ToLower(strings.TrimSpace(name))] = val
			}
			out = append(out, m)
		}
	}
	return out
}

// splitOutsideQuotes splits s at sep where sep is not inside a quoted string.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// lastValue returns the last comma-separated entry of the last header value, trimmed.
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	parts := strings.Split(values[len(values)-1], ",")
	return strings.TrimSpace(parts[len(parts)-1])
}

// parseHost reads an address as forwarding headers write it: 192.0.2.1, 192.0.2.1:4711,
// 2001:db8::1, [2001:db8::1] or [2001:db8::1]:4711.
func parseHost(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Zone() == "" {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}
