package kms

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
)

// SRVEntry is one domain the host publishes itself in, with its priority and weight there.
type SRVEntry struct {
	Domain   string
	Priority uint16
	Weight   uint16
}

// TSIG is a shared key that signs dynamic updates (RFC 8945).
type TSIG struct {
	Name      string // key name, e.g. kms-update.
	Algorithm string // dns.HmacSHA256 by default
	Secret    string // base64
}

// DNSPublishing publishes the host's SRV record by RFC 2136 dynamic update.
type DNSPublishing struct {
	Server  string // the DNS server accepting updates, host:port (port 53 when absent)
	Service string // kmsclient.DefaultService when empty
	Target  string // this host's DNS name
	Port    uint16
	TTL     uint32 // 3600 when zero
	Entries []SRVEntry
	TSIG    *TSIG
	Every   time.Duration // re-registration period; 24 h when zero
	Timeout time.Duration // per update; 10 s when zero
}

// Name returns the SRV owner name in a domain: _licet-kms._tcp.<domain>.
func (p *DNSPublishing) Name(domain string) string {
	service := p.Service
	if service == "" {
		service = kmsclient.DefaultService
	}
	return "_" + service + "._tcp." + dns.Fqdn(domain)
}

// Publish adds the host's SRV record to the entry's domain (the domain is the zone updated). An
// older record of this host with another port, priority or weight is replaced in the same update.
func (p *DNSPublishing) Publish(ctx context.Context, e SRVEntry) error {
	zone := dns.Fqdn(e.Domain)
	name := p.Name(e.Domain)
	ttl := p.TTL
	if ttl == 0 {
		ttl = 3600
	}
	rr := &dns.SRV{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
		Priority: e.Priority, Weight: e.Weight, Port: p.Port, Target: dns.Fqdn(p.Target)}
	c := p.client()
	server := p.server()

	// Remove this host's stale records (same target, other data).
	var stale []dns.RR
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeSRV)
	if in, _, err := c.ExchangeContext(ctx, q, server); err == nil {
		for _, a := range in.Answer {
			if old, ok := a.(*dns.SRV); ok && strings.EqualFold(old.Target, rr.Target) &&
				(old.Port != rr.Port || old.Priority != rr.Priority || old.Weight != rr.Weight) {
				stale = append(stale, old)
			}
		}
	}
	m := new(dns.Msg)
	m.SetUpdate(zone)
	if len(stale) > 0 {
		m.Remove(stale)
	}
	m.Insert([]dns.RR{rr})
	if p.TSIG != nil {
		m.SetTsig(dns.Fqdn(p.TSIG.Name), p.tsigAlgorithm(), 300, time.Now().Unix())
	}
	in, _, err := c.ExchangeContext(ctx, m, server)
	if err != nil {
		return licet.Errorf(licet.EUnavailable, "cannot update %s at DNS server %s: %v; the host keeps serving without the record", name, server, err)
	}
	if in.Rcode != dns.RcodeSuccess {
		way := "allow dynamic updates of zone " + zone + " from this host, or give a TSIG key with --dns-tsig"
		if p.TSIG != nil {
			way = "check the TSIG key (--dns-tsig) and that the server lets it update zone " + zone
		}
		return licet.Errorf(licet.EUnavailable, "DNS server %s refused the update of %s (%s): %s; the host keeps serving without the record",
			server, name, dns.RcodeToString[in.Rcode], way).With("rcode", dns.RcodeToString[in.Rcode])
	}
	return nil
}

func (p *DNSPublishing) server() string {
	if _, _, err := net.SplitHostPort(p.Server); err != nil {
		return net.JoinHostPort(p.Server, "53")
	}
	return p.Server
}

func (p *DNSPublishing) client() *dns.Client {
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	c := &dns.Client{Timeout: timeout}
	if p.TSIG != nil {
		c.TsigSecret = map[string]string{dns.Fqdn(p.TSIG.Name): p.TSIG.Secret}
	}
	return c
}

func (p *DNSPublishing) tsigAlgorithm() string {
	if p.TSIG.Algorithm == "" {
		return dns.HmacSHA256
	}
	return dns.Fqdn(p.TSIG.Algorithm)
}

// PublishAll publishes in every domain and returns the error of each domain that failed.
func (p *DNSPublishing) PublishAll(ctx context.Context) []error {
	var errs []error
	for _, e := range p.Entries {
		if err := p.Publish(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Run publishes now and then every p.Every until ctx ends, logging failures (the host keeps
// serving when DNS refuses).
func (p *DNSPublishing) Run(ctx context.Context, log *slog.Logger) {
	every := p.Every
	if every == 0 {
		every = 24 * time.Hour
	}
	for {
		for _, e := range p.Entries {
			if err := p.Publish(ctx, e); err != nil {
				log.Error("DNS publishing failed", "domain", e.Domain, "err", licet.ErrorMessage(err))
			} else {
				log.Info("published the SRV record", "name", p.Name(e.Domain), "target", p.Target, "port", p.Port, "priority", e.Priority, "weight", e.Weight)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// ParseSRVEntry reads DOMAIN[:PRIORITY[:WEIGHT]], e.g. "corp.example", "corp.example:10:50".
func ParseSRVEntry(s string) (SRVEntry, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) > 3 {
		return SRVEntry{}, fmt.Errorf("DNS domain %q: write DOMAIN[:PRIORITY[:WEIGHT]]", s)
	}
	e := SRVEntry{Domain: strings.TrimSuffix(parts[0], ".")}
	if _, ok := dns.IsDomainName(e.Domain); !ok || e.Domain == "" || len(e.Domain) > 240 {
		return SRVEntry{}, fmt.Errorf("DNS domain %q is not a domain name", parts[0])
	}
	nums := []*uint16{&e.Priority, &e.Weight}
	for i, v := range parts[1:] {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return SRVEntry{}, fmt.Errorf("DNS domain %q: %s %q must be a number from 0 to 65535", s, []string{"priority", "weight"}[i], v)
		}
		*nums[i] = uint16(n)
	}
	return e, nil
}

// ParseTSIG reads NAME:SECRET[:ALGORITHM] (secret in base64; algorithm hmac-sha256 by default).
func ParseTSIG(s string) (*TSIG, error) {
	parts := strings.SplitN(strings.TrimSpace(s), ":", 3)
	if len(parts) < 2 || parts[0] == "" {
		return nil, fmt.Errorf("TSIG key: write NAME:BASE64-SECRET[:ALGORITHM]")
	}
	if _, ok := dns.IsDomainName(parts[0]); !ok {
		return nil, fmt.Errorf("TSIG key name %q is not a domain name", parts[0])
	}
	if b, err := base64.StdEncoding.DecodeString(parts[1]); err != nil || len(b) == 0 {
		return nil, fmt.Errorf("TSIG secret of %s is not base64", parts[0])
	}
	t := &TSIG{Name: parts[0], Secret: parts[1]}
	if len(parts) == 3 {
		switch dns.Fqdn(strings.ToLower(parts[2])) {
		case dns.HmacSHA1, dns.HmacSHA256, dns.HmacSHA384, dns.HmacSHA512:
			t.Algorithm = strings.ToLower(parts[2])
		default:
			return nil, fmt.Errorf("TSIG algorithm %q: use hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sha1", parts[2])
		}
	}
	return t, nil
}
