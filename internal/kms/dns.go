package kms

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"regexp"
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
	Keep    bool          // keep the records on shutdown (--keep-dns-record)
}

// Name returns the SRV owner name in a domain: _licet-kms._tcp.<domain>.
func (p *DNSPublishing) Name(domain string) string {
	service := p.Service
	if service == "" {
		service = kmsclient.DefaultService
	}
	return "_" + service + "._tcp." + dns.Fqdn(domain)
}

// owns reports whether rr is this host's record: the same target and port. Two hosts of one
// machine (one target, two ports) each own their own record and never touch the other's.
func (p *DNSPublishing) owns(rr dns.RR) (*dns.SRV, bool) {
	old, ok := rr.(*dns.SRV)
	return old, ok && strings.EqualFold(old.Target, dns.Fqdn(p.Target)) && old.Port == p.Port
}

// record is the SRV record the host publishes in the entry's domain.
func (p *DNSPublishing) record(e SRVEntry) *dns.SRV {
	ttl := p.TTL
	if ttl == 0 {
		ttl = 3600
	}
	return &dns.SRV{Hdr: dns.RR_Header{Name: p.Name(e.Domain), Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
		Priority: e.Priority, Weight: e.Weight, Port: p.Port, Target: dns.Fqdn(p.Target)}
}

// owned returns this host's records in the entry's domain as the server lists them.
func (p *DNSPublishing) owned(ctx context.Context, c *dns.Client, e SRVEntry) []*dns.SRV {
	q := new(dns.Msg)
	q.SetQuestion(p.Name(e.Domain), dns.TypeSRV)
	var out []*dns.SRV
	if in, _, err := c.ExchangeContext(ctx, q, p.server()); err == nil {
		for _, a := range in.Answer {
			if old, ok := p.owns(a); ok {
				out = append(out, old)
			}
		}
	}
	return out
}

// Publish adds the host's SRV record to the entry's domain (the domain is the zone updated). A
// record of this host (same target and port) with another priority or weight, such as one left
// by a crash, is replaced in the same update; records of other targets or ports are left alone.
// It returns whether an older record of this host was replaced.
func (p *DNSPublishing) Publish(ctx context.Context, e SRVEntry) (replaced bool, err error) {
	rr := p.record(e)
	c := p.client()
	var stale []dns.RR
	for _, old := range p.owned(ctx, c, e) {
		if old.Priority != rr.Priority || old.Weight != rr.Weight {
			stale = append(stale, old)
		}
	}
	m := p.update(e)
	if len(stale) > 0 {
		m.Remove(stale)
	}
	m.Insert([]dns.RR{rr})
	return len(stale) > 0, p.exchange(ctx, c, m, "update", rr.Hdr.Name, e.Domain, "; the host keeps serving without the record")
}

// Unpublish removes the host's records (same target and port) from the entry's domain, and
// returns how many the server listed; removing a record that is not there is no error.
func (p *DNSPublishing) Unpublish(ctx context.Context, e SRVEntry) (int, error) {
	c := p.client()
	rrs := []dns.RR{p.record(e)}
	for _, old := range p.owned(ctx, c, e) {
		rrs = append(rrs, old)
	}
	m := p.update(e)
	m.Remove(rrs)
	return len(rrs) - 1, p.exchange(ctx, c, m, "removal", p.Name(e.Domain), e.Domain, "")
}

// update starts a dynamic update of the entry's zone, TSIG-signed when a key is given.
func (p *DNSPublishing) update(e SRVEntry) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(e.Domain))
	if p.TSIG != nil {
		m.SetTsig(dns.Fqdn(p.TSIG.Name), p.tsigAlgorithm(), 300, time.Now().Unix())
	}
	return m
}

// exchange sends an update and turns a failure into an error naming the server asked, the DNS
// response code (and the TSIG error, if any) and the likely fix.
func (p *DNSPublishing) exchange(ctx context.Context, c *dns.Client, m *dns.Msg, what, name, domain, tail string) error {
	server := p.server()
	in, _, err := c.ExchangeContext(ctx, m, server)
	if in == nil {
		return licet.Errorf(licet.EUnavailable, "cannot send the %s of %s to DNS server %s: %v. Way out: check --dns-server and that the server is reachable%s", what, name, server, err, tail)
	}
	if err == nil && in.Rcode == dns.RcodeSuccess {
		return nil
	}
	code := dns.RcodeToString[in.Rcode]
	if code == "" {
		code = fmt.Sprintf("RCODE %d", in.Rcode)
	}
	var tsigErr uint16
	if t := in.IsTsig(); t != nil {
		tsigErr = t.Error
	}
	if tsigErr != 0 {
		code += ", TSIG " + dns.RcodeToString[int(tsigErr)]
	} else if err != nil && in.Rcode == dns.RcodeSuccess {
		code = "the answer's TSIG does not verify: " + err.Error()
	}
	return licet.Errorf(licet.EUnavailable, "DNS server %s refused the %s of %s (%s): %s%s",
		server, what, name, code, p.fix(in.Rcode, tsigErr, domain), tail).With("rcode", dns.RcodeToString[in.Rcode]).With("server", server)
}

// fix says the likely way out of a refused update.
func (p *DNSPublishing) fix(rcode int, tsigErr uint16, domain string) string {
	zone := dns.Fqdn(domain)
	key := ""
	if p.TSIG != nil {
		key = dns.Fqdn(p.TSIG.Name)
	}
	switch {
	case tsigErr == dns.RcodeBadSig:
		return "the server does not accept the signature of TSIG key " + key + ": its secret differs from the server's. Way out: copy the secret from the server's key statement into --dns-tsig-file (or --dns-tsig)"
	case tsigErr == dns.RcodeBadKey:
		return "the server knows no TSIG key " + key + " with algorithm " + p.tsigAlgorithm() + ". Way out: check the key name and algorithm against the server's key statement (--dns-tsig-file NAME:SECRET[:ALGORITHM])"
	case tsigErr == dns.RcodeBadTime:
		return "this machine's clock and the server's differ by more than 5 minutes. Way out: synchronise the clocks (NTP)"
	case rcode == dns.RcodeNotZone:
		return domain + " is not a zone the server serves. Way out: give the zone itself with --dns-domain"
	case rcode == dns.RcodeNotAuth && key != "":
		return "the server is not authoritative for zone " + zone + ", or does not let key " + key + " update it. Way out: check that --dns-domain names a zone of this server and its update-policy (or allow-update) names the key"
	case rcode == dns.RcodeNotAuth:
		return "the server is not authoritative for zone " + zone + " or wants signed updates. Way out: check --dns-domain and --dns-server, or give a TSIG key with --dns-tsig-file"
	case rcode == dns.RcodeRefused && key != "":
		return "the server refuses updates of zone " + zone + " with key " + key + ". Way out: let the key update the zone (update-policy or allow-update)"
	case rcode == dns.RcodeRefused:
		return "the server refuses unsigned updates of zone " + zone + " from this host. Way out: allow them (allow-update), or sign them with a TSIG key (--dns-tsig-file)"
	case rcode == dns.RcodeServerFailure:
		return "the server failed. Way out: see its log"
	}
	return "see the server's log"
}

func (p *DNSPublishing) server() string {
	if _, _, err := net.SplitHostPort(p.Server); err != nil {
		return net.JoinHostPort(p.Server, "53")
	}
	return p.Server
}

func (p *DNSPublishing) timeout() time.Duration {
	if p.Timeout == 0 {
		return 10 * time.Second
	}
	return p.Timeout
}

func (p *DNSPublishing) client() *dns.Client {
	c := &dns.Client{Timeout: p.timeout()}
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
		if _, err := p.Publish(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Run publishes now and then every p.Every until ctx ends, logging failures (the host keeps
// serving when DNS refuses). When ctx ends it removes the host's records unless Keep is set, and
// returns once that is done (at most Timeout).
func (p *DNSPublishing) Run(ctx context.Context, log *slog.Logger) {
	every := p.Every
	if every == 0 {
		every = 24 * time.Hour
	}
	for {
		for _, e := range p.Entries {
			replaced, err := p.Publish(ctx, e)
			switch {
			case err != nil:
				log.Error("DNS publishing failed", "domain", e.Domain, "err", licet.ErrorMessage(err))
			case replaced:
				log.Info("published the SRV record, replacing this host's older one (same target and port, left by an earlier run)", "name", p.Name(e.Domain), "target", p.Target, "port", p.Port, "priority", e.Priority, "weight", e.Weight)
			default:
				log.Info("published the SRV record", "name", p.Name(e.Domain), "target", p.Target, "port", p.Port, "priority", e.Priority, "weight", e.Weight)
			}
		}
		select {
		case <-ctx.Done():
			p.shutdown(log)
			return
		case <-time.After(every):
		}
	}
}

// shutdown removes the host's records on a clean shutdown, unless Keep.
func (p *DNSPublishing) shutdown(log *slog.Logger) {
	if p.Keep {
		log.Info("kept the SRV record (--keep-dns-record); remove it with licet kms unpublish", "target", p.Target, "port", p.Port)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout())
	defer cancel()
	for _, e := range p.Entries {
		if _, err := p.Unpublish(ctx, e); err != nil {
			log.Error("could not remove the SRV record on shutdown; remove it with licet kms unpublish", "domain", e.Domain, "err", licet.ErrorMessage(err))
		} else {
			log.Info("removed the SRV record", "name", p.Name(e.Domain), "target", p.Target, "port", p.Port)
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

// maxTSIGFile bounds a TSIG key file.
const maxTSIGFile = 4 << 10

var bindKeyRE = regexp.MustCompile(`(?s)^\s*key\s+"?([^"\s{]+)"?\s*\{(.*)\}\s*;?\s*$`)

// ParseTSIGFile reads a TSIG key file: either the line NAME:BASE64-SECRET[:ALGORITHM], or a BIND
// key statement as tsig-keygen and ddns-confgen write it:
//
//	key "kms-update" { algorithm hmac-sha256; secret "BASE64"; };
func ParseTSIGFile(content []byte) (*TSIG, error) {
	if len(content) > maxTSIGFile {
		return nil, fmt.Errorf("TSIG key file is larger than %d bytes", maxTSIGFile)
	}
	text := strings.TrimSpace(string(content))
	m := bindKeyRE.FindStringSubmatch(text)
	if m == nil {
		if strings.ContainsAny(text, "\n{}") {
			return nil, fmt.Errorf("TSIG key file: write NAME:BASE64-SECRET[:ALGORITHM] or a BIND key statement (key \"NAME\" { algorithm hmac-sha256; secret \"BASE64\"; };)")
		}
		return ParseTSIG(text)
	}
	fields := map[string]string{}
	for _, stmt := range strings.Split(m[2], ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(stmt), " ")
		if ok {
			fields[strings.ToLower(k)] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	if fields["secret"] == "" {
		return nil, fmt.Errorf("TSIG key file: the key statement of %s has no secret", m[1])
	}
	spec := m[1] + ":" + fields["secret"]
	if a := fields["algorithm"]; a != "" {
		spec += ":" + a
	}
	return ParseTSIG(spec)
}
