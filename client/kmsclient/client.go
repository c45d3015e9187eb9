package kmsclient

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/ticket"
)

// Config says how a client finds and talks to KMS hosts. The zero value discovers hosts in the
// search domain through the system resolver and caches nothing (the caller keeps CachedHost).
type Config struct {
	// Host, when set (host or host:port), is the only host tried: discovery is off (`set-host`).
	Host string
	// Domain is where _licet-kms._tcp is looked up; the search domain of /etc/resolv.conf when empty.
	Domain string
	// DNSServer (host[:port]) answers the lookups, and resolves the hosts' names; the system
	// resolver when empty.
	DNSServer string
	// Service is the SRV service name; DefaultService when empty.
	Service string
	// CachedHost is the host:port that answered last time; it is tried first unless NoHostCache.
	CachedHost string
	// NoHostCache turns host caching off: every activation starts with discovery.
	NoHostCache bool
	// Unanswered are hosts (host:port) that did not answer last time: discovered hosts among
	// them are tried after the others, so a stale record does not cost every attempt a timeout.
	Unanswered []string
	// NoAnswer, when set, is told each host that could not be reached or timed out.
	NoAnswer func(host string)
	// OperatorKey, when set, verifies the ticket of an activated answer (its chain to the
	// operator, the machine, the product); a host whose ticket fails is skipped like a dead one.
	OperatorKey ed25519.PublicKey
	// Keys, when it holds keys, verifies instead of OperatorKey: the operator keys the client
	// trusts. Either way a key set in the answer that chains to them adds the keys it lists.
	Keys ticket.KeySet
	// Timeout bounds each host attempt and each DNS lookup; 10 s when zero.
	Timeout time.Duration
	// Rand returns a number in [0, n), for the weighted choice; math/rand/v2 when nil.
	Rand func(n int) int
	// Now is the clock for ticket verification; time.Now when nil.
	Now func() time.Time
	// HTTP is the client; one with Timeout whose dialer resolves through DNSServer when nil.
	HTTP *http.Client
}

// HostError is the answer of a host that refused the request (the host answered: no failover).
type HostError struct {
	Host string
	Err  *licet.Error
}

func (e *HostError) Error() string { return fmt.Sprintf("KMS host %s: %s", e.Host, e.Err.Message) }

// Unwrap returns the host's licet error.
func (e *HostError) Unwrap() error { return e.Err }

// WithPort adds the default port to a host without one.
func WithPort(host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(DefaultPort))
}

// Candidates returns the hosts to try, in order: the fixed host alone; otherwise the cached host
// (unless caching is off), then the discovered hosts in RFC 2782 order.
func Candidates(ctx context.Context, cfg Config) ([]string, error) {
	if cfg.Host != "" {
		return []string{WithPort(cfg.Host)}, nil
	}
	var out []string
	if !cfg.NoHostCache && cfg.CachedHost != "" {
		out = append(out, WithPort(cfg.CachedHost))
	}
	hosts, err := Discover(ctx, cfg)
	if err != nil && len(out) == 0 {
		return nil, err
	}
	var later []string
	for _, h := range hosts {
		switch a := h.Addr(); {
		case contains(out, a) || contains(later, a):
		case contains(cfg.Unanswered, a):
			later = append(later, a)
		default:
			out = append(out, a)
		}
	}
	if len(out) > 0 && !cfg.NoHostCache && cfg.CachedHost != "" && contains(cfg.Unanswered, out[0]) && len(out) > 1 {
		out = append(out[1:], out[0]) // the cached host did not answer last time: it goes after the others
	}
	out = append(out, later...)
	if len(out) == 0 {
		domain := cfg.Domain
		if domain == "" {
			domain = SearchDomain()
		}
		return nil, licet.Errorf(licet.ENotFound, "no KMS host found: no _%s._tcp SRV record in %s. Way out: check that a host publishes its record (licet kms serve, licet discover), or set a host", serviceName(cfg), domain)
	}
	return out, nil
}

func serviceName(cfg Config) string {
	if cfg.Service != "" {
		return cfg.Service
	}
	return DefaultService
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Activate sends req to the first host that answers and returns its answer and the host
// (host:port) that gave it, for the caller to cache. A host that cannot be reached, times out,
// answers 5xx or (with OperatorKey) returns a ticket that does not verify is skipped for the
// next one. A host that refuses the request returns a *HostError at once.
func Activate(ctx context.Context, cfg Config, req Request) (*Response, string, error) {
	if err := req.Check(); err != nil {
		return nil, "", err
	}
	hosts, err := Candidates(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, "", err
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = httpClient(cfg)
	}
	var failures []string
	for _, host := range hosts {
		resp, err := try(ctx, hc, cfg, host, body, req)
		if err == nil {
			return resp, host, nil
		}
		var he *HostError
		if errors.As(err, &he) || ctx.Err() != nil {
			return nil, host, err
		}
		if cfg.NoAnswer != nil {
			cfg.NoAnswer(host)
		}
		failures = append(failures, fmt.Sprintf("%s (%v)", host, err))
	}
	return nil, "", licet.Errorf(licet.EUnavailable, "no KMS host answered: tried %s. Way out: check that the hosts run (licet kms serve) and are reachable, and their SRV records (licet discover)", strings.Join(failures, ", ")).
		With("tried", len(hosts))
}

// httpClient returns a client whose dialer resolves host names through cfg.DNSServer.
func httpClient(cfg Config) *http.Client {
	d := &net.Dialer{Timeout: cfg.timeout(), Resolver: Resolver(cfg.DNSServer)}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second}
	return &http.Client{Timeout: cfg.timeout(), Transport: tr}
}

// try sends the request to one host.
func try(ctx context.Context, hc *http.Client, cfg Config, host string, body []byte, req Request) (*Response, error) {
	hr, err := http.NewRequestWithContext(ctx, "POST", "http://"+host+ActivatePath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", ContentType)
	resp, err := hc.Do(hr)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && cfg.HTTP == nil {
		// Its Server is the system resolver's even when cfg.DNSServer was asked.
		return nil, fmt.Errorf("cannot resolve %s %s: %s", dnsErr.Name, AskedOf(cfg.DNSServer), dnsErr.Err)
	}
	if err != nil {
		return nil, rootCause(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 500 {
		// Failover to the next host; the host's own reason (e.g. its certificate expired) is kept.
		var eb struct {
			Error *licet.Error `json:"error"`
		}
		if json.Unmarshal(data, &eb) == nil && eb.Error != nil && eb.Error.Message != "" {
			return nil, fmt.Errorf("answered %s: %s", resp.Status, eb.Error.Message)
		}
		return nil, fmt.Errorf("answered %s", resp.Status)
	}
	if resp.StatusCode >= 400 {
		var eb struct {
			Error *licet.Error `json:"error"`
		}
		if json.Unmarshal(data, &eb) != nil || eb.Error == nil {
			return nil, fmt.Errorf("answered %s without a licet error", resp.Status)
		}
		return nil, &HostError{Host: host, Err: eb.Error}
	}
	var out Response
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("answer is not a KMS response: %v", err)
	}
	keys := cfg.Keys
	if len(keys.Keys) == 0 && cfg.OperatorKey != nil {
		keys = ticket.Pinned(cfg.OperatorKey)
	}
	if out.Activated && len(keys.Keys) > 0 {
		now := time.Now()
		if cfg.Now != nil {
			now = cfg.Now()
		}
		if out.KeySet != "" {
			if learned, _, err := ticket.VerifyKeySet(keys, out.KeySet); err == nil {
				keys = learned
			}
		}
		t, err := ticket.CheckWith(keys, out.Ticket, req.MachineID, now)
		if err != nil {
			return nil, fmt.Errorf("its ticket does not verify: %v", err)
		}
		if t.Kind != ticket.KindKMSActivation || t.Product != req.Product {
			return nil, fmt.Errorf("its ticket is a %s ticket for %q, not a kms-activation for %q", t.Kind, t.Product, req.Product)
		}
	}
	return &out, nil
}

func rootCause(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
