package kmsclient_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
	"github.com/licet/licet/internal/dnstest"
	"github.com/licet/licet/internal/kms"
)

var now = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func TestDiscoveryAndFailover(t *testing.T) {
	ctx := context.Background()
	dnsSrv := dnstest.Start(t, nil)
	dnsSrv.Add(t, "kms1.corp.example. 60 IN A 127.0.0.1", "kms2.corp.example. 60 IN A 127.0.0.1")
	products := kms.SelfProducts(7)

	// Two hosts certified by one operator; kms1 is preferred (priority 0), kms2 the backup (10).
	dirs := []string{t.TempDir(), t.TempDir()}
	op, opPriv, err := kms.SelfCertify(ctx, dirs[0], kms.SelfSpec{Group: 7, Products: products, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := kms.SelfCertificate(ctx, dirs[1], opPriv, kms.SelfSpec{Group: 7, Products: products, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kms.Install(ctx, dirs[1], c2, op, now); err != nil {
		t.Fatal(err)
	}
	var servers []*httptest.Server
	for i, target := range []string{"kms1.corp.example", "kms2.corp.example"} {
		h, err := kms.Open(ctx, kms.Config{StateDir: dirs[i], Now: func() time.Time { return now }, Thresholds: kms.Thresholds{Client: 1}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		ts := httptest.NewServer(h.Handler())
		t.Cleanup(ts.Close)
		servers = append(servers, ts)
		_, portText, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))
		port, _ := strconv.Atoi(portText)
		p := &kms.DNSPublishing{Server: dnsSrv.Addr, Target: target, Port: uint16(port), Entries: []kms.SRVEntry{{Domain: "corp.example", Priority: uint16(10 * i)}}}
		if _, err := p.Publish(ctx, p.Entries[0]); err != nil {
			t.Fatalf("publish %s: %v", target, err)
		}
	}
	port := func(i int) string { return servers[i].URL[strings.LastIndex(servers[i].URL, ":")+1:] }
	kms1, kms2 := "kms1.corp.example:"+port(0), "kms2.corp.example:"+port(1)

	cfg := kmsclient.Config{Domain: "corp.example", DNSServer: dnsSrv.Addr, OperatorKey: op, Now: func() time.Time { return now }, Timeout: 2 * time.Second}
	hosts, err := kmsclient.Discover(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 2 || hosts[0].Addr() != kms1 || hosts[1].Addr() != kms2 {
		t.Fatalf("discovered %v, want [%s %s]", hosts, kms1, kms2)
	}
	req := kmsclient.Request{MachineID: "pc-1", Product: "desktop", Key: products[0].GVLK}
	resp, host, err := kmsclient.Activate(ctx, cfg, req)
	if err != nil {
		t.Fatal(err)
	}
	if host != kms1 || !resp.Activated {
		t.Fatalf("answered by %s (activated %v), want the preferred %s, activated", host, resp.Activated, kms1)
	}

	// The preferred host stops: the client fails over, even with kms1 cached.
	servers[0].Close()
	cfg.CachedHost = host
	resp, host, err = kmsclient.Activate(ctx, cfg, req)
	if err != nil {
		t.Fatalf("failover: %v", err)
	}
	if host != kms2 || !resp.Activated {
		t.Fatalf("after kms1 stopped: answered by %s, want %s", host, kms2)
	}

	// A fixed host disables discovery: the stopped one is the only one tried.
	cfg.Host, cfg.CachedHost = kms1, ""
	_, _, err = kmsclient.Activate(ctx, cfg, req)
	if licet.ErrorCode(err) != licet.EUnavailable || !strings.Contains(err.Error(), kms1) || strings.Contains(err.Error(), kms2) {
		t.Fatalf("fixed stopped host: %v, want unavailable naming only %s", err, kms1)
	}

	// A refusal from a host is returned at once, not failed over.
	cfg.Host = kms2
	_, _, err = kmsclient.Activate(ctx, cfg, kmsclient.Request{MachineID: "pc-1", Product: "nope", Key: products[0].GVLK})
	var he *kmsclient.HostError
	if !errors.As(err, &he) || he.Err.Code != licet.CodeUnknownProduct {
		t.Fatalf("unknown product: %v, want a HostError %s", err, licet.CodeUnknownProduct)
	}

	// No record for Microsoft's service in this zone.
	if got, err := kmsclient.Lookup(ctx, dnsSrv.Addr, kmsclient.MicrosoftService, "corp.example"); err != nil || len(got) != 0 {
		t.Fatalf("_vlmcs lookup = %v, %v; want none", got, err)
	}
}

func TestCachedHostFirstUnlessOff(t *testing.T) {
	dnsSrv := dnstest.Start(t, nil)
	dnsSrv.Add(t, "_licet-kms._tcp.corp.example. 60 IN SRV 0 0 8471 a.corp.example.")
	ctx := context.Background()
	cfg := kmsclient.Config{Domain: "corp.example", DNSServer: dnsSrv.Addr, CachedHost: "b.corp.example:9000"}
	got, err := kmsclient.Candidates(ctx, cfg)
	if err != nil || strings.Join(got, " ") != "b.corp.example:9000 a.corp.example:8471" {
		t.Fatalf("with cache: %v, %v", got, err)
	}
	cfg.NoHostCache = true
	got, err = kmsclient.Candidates(ctx, cfg)
	if err != nil || strings.Join(got, " ") != "a.corp.example:8471" {
		t.Fatalf("cache off: %v, %v", got, err)
	}
	cfg.Domain = "empty.example"
	if _, err := kmsclient.Candidates(ctx, cfg); licet.ErrorCode(err) != licet.ENotFound {
		t.Fatalf("no records: %v, want not found", err)
	}
}

func TestOrderRFC2782(t *testing.T) {
	hosts := []kmsclient.Host{
		{Target: "backup", Priority: 10, Weight: 100},
		{Target: "heavy", Priority: 0, Weight: 3},
		{Target: "light", Priority: 0, Weight: 1},
		{Target: "zero", Priority: 0, Weight: 0},
	}
	r := rand.New(rand.NewPCG(1, 2))
	first := map[string]int{}
	const n = 4000
	for range n {
		o := kmsclient.Order(hosts, r.IntN)
		if len(o) != 4 || o[3].Target != "backup" {
			t.Fatalf("order %v: the priority-10 host must come last", o)
		}
		first[o[0].Target]++
	}
	// RFC 2782 draws n in [0, sum] = [0, 4]: zero first when n = 0, light when 1, heavy when 2-4.
	if h := float64(first["heavy"]) / n; h < 0.55 || h > 0.65 {
		t.Errorf("heavy first %.3f of the time, want about 0.6 (counts %v)", h, first)
	}
	if l := float64(first["light"]) / n; l < 0.17 || l > 0.27 {
		t.Errorf("light first %.3f of the time, want about 0.2 (counts %v)", l, first)
	}
	if z := float64(first["zero"]) / n; z < 0.17 || z > 0.23 {
		t.Errorf("zero first %.3f of the time, want about 0.2 (counts %v)", z, first)
	}
	// A deterministic source: n = 0 picks the zero-weight host first.
	o := kmsclient.Order(hosts, func(int) int { return 0 })
	if o[0].Target != "zero" {
		t.Errorf("rnd 0: first %s, want zero", o[0].Target)
	}
}

// TestUnansweredHostAskedLast: a stale record whose address accepts connections but never
// answers costs one --connect-timeout, is reported through NoAnswer, and, remembered in
// Unanswered, is asked after the other hosts next time.
func TestUnansweredHostAskedLast(t *testing.T) {
	stale, err := net.Listen("tcp", "127.0.0.1:0") // accepts (the kernel's backlog), never answers
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Close()
	stalePort := strconv.Itoa(stale.Addr().(*net.TCPAddr).Port)
	dnsSrv := dnstest.Start(t, nil)
	dnsSrv.Add(t, "_licet-kms._tcp.corp.example. 60 IN SRV 0 0 "+stalePort+" stale.corp.example.",
		"_licet-kms._tcp.corp.example. 60 IN SRV 10 0 8471 backup.corp.example.",
		"stale.corp.example. 60 IN A 127.0.0.1")
	var unanswered []string
	cfg := kmsclient.Config{Domain: "corp.example", DNSServer: dnsSrv.Addr, Timeout: 200 * time.Millisecond,
		NoAnswer: func(h string) { unanswered = append(unanswered, h) }}
	staleAddr := "stale.corp.example:" + stalePort
	_, _, err = kmsclient.Activate(context.Background(), cfg, kmsclient.Request{MachineID: "pc-1", Product: "desktop", Key: "BBBBB-BBBBB-BBBBB-BBBBB-BBBBB"})
	if licet.ErrorCode(err) != licet.EUnavailable || len(unanswered) != 2 || unanswered[0] != staleAddr {
		t.Fatalf("activate: %v, unanswered %v; want both hosts reported, %s first", err, unanswered, staleAddr)
	}
	cfg.Unanswered = []string{staleAddr}
	got, err := kmsclient.Candidates(context.Background(), cfg)
	if err != nil || strings.Join(got, " ") != "backup.corp.example:8471 "+staleAddr {
		t.Fatalf("candidates after %s did not answer: %v, %v; want it last", staleAddr, got, err)
	}
}

// TestResolveErrorNamesTheServerAsked: a host name the DNS server cannot resolve is reported
// with that server, not the system resolver.
func TestResolveErrorNamesTheServerAsked(t *testing.T) {
	dnsSrv := dnstest.Start(t, nil)
	cfg := kmsclient.Config{Host: "gone.corp.example:8471", DNSServer: dnsSrv.Addr, Timeout: time.Second}
	_, _, err := kmsclient.Activate(context.Background(), cfg, kmsclient.Request{MachineID: "pc-1", Product: "desktop", Key: "BBBBB-BBBBB-BBBBB-BBBBB-BBBBB"})
	if err == nil || !strings.Contains(err.Error(), "cannot resolve gone.corp.example at DNS server "+dnsSrv.Addr) {
		t.Fatalf("unresolvable host: %v; want the DNS server asked named", err)
	}
}
