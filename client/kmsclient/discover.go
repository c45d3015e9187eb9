package kmsclient

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet"
)

// Host is one KMS host found in DNS.
type Host struct {
	Target   string `json:"target"` // DNS name, without the final dot
	Port     uint16 `json:"port"`
	Priority uint16 `json:"priority"`
	Weight   uint16 `json:"weight"`
}

// Addr returns host:port.
func (h Host) Addr() string { return net.JoinHostPort(h.Target, strconv.Itoa(int(h.Port))) }

// Resolver returns a resolver that asks the DNS server at addr (host:port; port 53 when absent),
// or the system resolver when addr is empty.
func Resolver(addr string) *net.Resolver {
	if addr == "" {
		return net.DefaultResolver
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "53")
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

// SearchDomain returns the first search domain of /etc/resolv.conf, the domain looked in when
// none is given.
func SearchDomain() string {
	data, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "search" || f[0] == "domain") {
			return strings.TrimSuffix(f[1], ".")
		}
	}
	return ""
}

// Lookup returns the SRV records _service._tcp.domain, asked of dnsServer (host[:port]; the
// system resolver when empty), sorted by priority, then by weight (heaviest first), then by
// name: the listing `licet discover` prints. A name with no records gives an empty list and no
// error; other failures name the server actually asked.
func Lookup(ctx context.Context, dnsServer, service, domain string) ([]Host, error) {
	domain = strings.TrimSuffix(strings.TrimSpace(domain), ".")
	if domain == "" {
		return nil, licet.Errorf(licet.EInvalid, "no domain to look in: give --dns-domain (no search domain in /etc/resolv.conf)")
	}
	_, srvs, err := Resolver(dnsServer).LookupSRV(ctx, service, "tcp", domain+".")
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return nil, nil
	}
	if err != nil {
		why := err.Error()
		if dnsErr != nil {
			why = dnsErr.Err // its Server is the system's, not the one asked
		}
		return nil, licet.Errorf(licet.EUnavailable, "cannot look up _%s._tcp.%s %s: %s. Way out: check the DNS server (--dns-server) and the domain (--dns-domain)", service, domain, AskedOf(dnsServer), why)
	}
	hosts := make([]Host, 0, len(srvs))
	for _, s := range srvs {
		hosts = append(hosts, Host{Target: strings.TrimSuffix(s.Target, "."), Port: s.Port, Priority: s.Priority, Weight: s.Weight})
	}
	slices.SortStableFunc(hosts, func(a, b Host) int {
		if a.Priority != b.Priority {
			return int(a.Priority) - int(b.Priority)
		}
		if a.Weight != b.Weight {
			return int(b.Weight) - int(a.Weight)
		}
		return strings.Compare(a.Addr(), b.Addr())
	})
	return hosts, nil
}

// Order returns the hosts in the order a client tries them (RFC 2782): lowest priority first;
// within a priority, a weighted random order where a host's chance of coming next is its weight
// over the sum of the weights left (hosts of weight 0 have a small chance, placed first). rnd(n)
// returns a number in [0, n); math/rand/v2 when nil.
func Order(hosts []Host, rnd func(n int) int) []Host {
	if rnd == nil {
		rnd = rand.IntN
	}
	sorted := slices.Clone(hosts)
	slices.SortStableFunc(sorted, func(a, b Host) int { return int(a.Priority) - int(b.Priority) })
	out := make([]Host, 0, len(sorted))
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].Priority == sorted[i].Priority {
			j++
		}
		group := slices.Clone(sorted[i:j])
		// Zero-weight entries first, as the RFC says, so that they are picked when n is 0.
		slices.SortStableFunc(group, func(a, b Host) int {
			return boolInt(a.Weight != 0) - boolInt(b.Weight != 0)
		})
		for len(group) > 0 {
			sum := 0
			for _, h := range group {
				sum += int(h.Weight)
			}
			n := rnd(sum + 1)
			pick, running := 0, 0
			for k, h := range group {
				running += int(h.Weight)
				if running >= n {
					pick = k
					break
				}
			}
			out = append(out, group[pick])
			group = slices.Delete(group, pick, pick+1)
		}
		i = j
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Discover looks up the hosts of cfg's domain and returns them in the order to try them.
func Discover(ctx context.Context, cfg Config) ([]Host, error) {
	domain := cfg.Domain
	if domain == "" {
		domain = SearchDomain()
	}
	service := cfg.Service
	if service == "" {
		service = DefaultService
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout())
	defer cancel()
	hosts, err := Lookup(ctx, cfg.DNSServer, service, domain)
	if err != nil {
		return nil, err
	}
	return Order(hosts, cfg.Rand), nil
}

func (cfg Config) timeout() time.Duration {
	if cfg.Timeout > 0 {
		return cfg.Timeout
	}
	return 10 * time.Second
}

// AskedOf names the DNS server asked, for messages: "at DNS server HOST:PORT" or "through the
// system resolver".
func AskedOf(dnsServer string) string {
	if dnsServer == "" {
		return "through the system resolver"
	}
	if _, _, err := net.SplitHostPort(dnsServer); err != nil {
		dnsServer = net.JoinHostPort(dnsServer, "53")
	}
	return "at DNS server " + dnsServer
}
