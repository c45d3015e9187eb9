package agent_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client/agent"
	"github.com/licet/licet/client/kmsclient"
	"github.com/licet/licet/internal/dnstest"
	"github.com/licet/licet/internal/kms"
	"github.com/licet/licet/internal/server/servertest"
	"github.com/licet/licet/ticket"
)

const (
	desktop = "contoso-desktop-11"  // a client product: threshold 25
	server  = "contoso-server-2026" // a server product: threshold 5
	day     = 24 * time.Hour
)

// kmsSite is the demo's central service and contoso's KMS hosts, certified by it through the
// real host activation with the demo's kms-host key, all on one injected clock.
type kmsSite struct {
	clock   *servertest.Clock
	central *servertest.Server
	hostKey string
	gvlk    map[string]string
}

func newKMSSite(t *testing.T) *kmsSite {
	t.Helper()
	c := servertest.NewClock(start)
	srv := servertest.Start(t, servertest.Options{Now: c.Now})
	ctx := context.Background()
	site := &kmsSite{clock: c, central: srv, gvlk: map[string]string{}}
	ks, err := srv.Operator.Keys(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		if k.Type == "kms-host" {
			site.hostKey = k.Key
		}
	}
	gs, err := srv.Operator.GVLKs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		site.gvlk[g.Product] = g.Key
	}
	if site.hostKey == "" || site.gvlk[desktop] == "" {
		t.Fatalf("the demo has no kms-host key or no GVLK for %s", desktop)
	}
	return site
}

// kmsHost is a running host.
type kmsHost struct {
	host *kms.Host
	ts   *httptest.Server
	down atomic.Bool // answer 503 while set, as a host that cannot serve
}

func (h *kmsHost) addr() string { return strings.TrimPrefix(h.ts.URL, "http://") }

func (h *kmsHost) port() uint16 {
	_, p, _ := net.SplitHostPort(h.addr())
	n, _ := strconv.Atoi(p)
	return uint16(n)
}

// startHost activates a new host against the central service (as `licet kms activate` does) and
// serves it on 127.0.0.1.
func (s *kmsSite) startHost(t *testing.T, cfg kms.Config) *kmsHost {
	t.Helper()
	ctx := context.Background()
	cfg.StateDir, cfg.Now = t.TempDir(), s.clock.Now
	id, err := kms.LoadIdentity(ctx, cfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	req, err := kms.NewRequest(id, s.hostKey, "kms.corp.example", true)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := s.central.Operator.ActivateHost(ctx, req)
	if err != nil {
		t.Fatalf("host activation: %v", err)
	}
	if _, err := kms.Install(ctx, cfg.StateDir, *cert, nil, s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h, err := kms.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	kh := &kmsHost{host: h}
	handler := h.Handler()
	kh.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if kh.down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(kh.ts.Close)
	return kh
}

// agent returns the agent of a machine with the product's GVLK installed and the host set.
func (s *kmsSite) agent(t *testing.T, id, product string, h *kmsHost) *agent.Agent {
	t.Helper()
	a := &agent.Agent{Dir: t.TempDir(), Now: s.clock.Now, Machine: licet.Machine{ID: id, Hardware: hw(0), Hostname: id + ".corp.example"},
		KMS: agent.KMSOptions{Timeout: 5 * time.Second}}
	if _, err := a.InstallKey(s.gvlk[product], product); err != nil {
		t.Fatal(err)
	}
	if h != nil {
		if _, err := a.SetKMSHost(h.addr()); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func activateKMS(t *testing.T, a *agent.Agent) *agent.Status {
	t.Helper()
	st, err := a.ActivateKMS(context.Background(), nil)
	if err != nil {
		t.Fatalf("%s: activate: %v", a.Machine.ID, err)
	}
	return st
}

func tick(t *testing.T, a *agent.Agent, c *servertest.Clock) agent.TickResult {
	t.Helper()
	res, err := a.Tick(context.Background(), c.Now())
	if err != nil {
		t.Fatalf("%s: tick: %v", a.Machine.ID, err)
	}
	return res
}

// wantKMS checks the state and what the host reported.
func wantKMS(t *testing.T, who string, st *agent.Status, state agent.LicenseState, count, threshold int) {
	t.Helper()
	if st.State != state || st.KMS == nil || st.KMS.Count != count || st.KMS.Threshold != threshold {
		k := agent.KMSStatus{}
		if st.KMS != nil {
			k = *st.KMS
		}
		t.Fatalf("%s: %s, count %d of %d (%s; error %q); want %s, %d of %d", who, st.StateText, k.Count, k.Threshold, k.Message, k.LastError, state, count, threshold)
	}
}

// TestKMSThresholdRetryRenewalDropout walks the threshold with 25 agents against a real host:
// below it they stay in grace and retry after the host's retry interval; the 25th activates; the
// first 24 activate at their retry; renewals slide the expiry; two clients silent for 30 days
// drop out of the count, a renewal answered below the threshold keeps its ticket, and a returning
// client brings the count back.
func TestKMSThresholdRetryRenewalDropout(t *testing.T) {
	site := newKMSSite(t)
	c := site.clock
	h := site.startHost(t, kms.Config{})
	t0 := c.Now()
	agents := make([]*agent.Agent, 26)
	for i := 1; i <= 25; i++ {
		agents[i] = site.agent(t, fmt.Sprintf("pc-%02d", i), desktop, h)
	}

	for i := 1; i <= 24; i++ {
		st := activateKMS(t, agents[i])
		wantKMS(t, agents[i].Machine.ID, st, agent.InitialGrace, i, 25)
		if st.Ticket != nil || st.KMS.NextRetry == nil || !st.KMS.NextRetry.Equal(t0.Add(2*time.Hour)) || st.KMS.NextRenewal != nil {
			t.Fatalf("pc-%02d below the threshold: ticket %v, next retry %v, next renewal %v; want no ticket, retry at %v", i, st.Ticket, st.KMS.NextRetry, st.KMS.NextRenewal, t0.Add(2*time.Hour))
		}
		if st.KMS.Host != h.addr() || st.KMS.HostID != h.host.ID() {
			t.Fatalf("pc-%02d: host %s (%s), want %s (%s)", i, st.KMS.Host, st.KMS.HostID, h.addr(), h.host.ID())
		}
	}
	c.Add(time.Hour)
	if res := tick(t, agents[1], c); res.Action != agent.TickWaiting || !res.Next.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("pc-01 an hour later: %s, next %v; want waiting until %v", res.Action, res.Next, t0.Add(2*time.Hour))
	}

	st := activateKMS(t, agents[25])
	wantKMS(t, "pc-25", st, agent.Licensed, 25, 25)
	now := c.Now()
	if st.Ticket == nil || st.Ticket.Kind != ticket.KindKMSActivation || st.Ticket.Issuer != h.host.ID() || !st.Ticket.ExpiresAt.Equal(now.Add(180*day)) {
		t.Fatalf("pc-25 ticket %+v: want a kms-activation by %s expiring %v", st.Ticket, h.host.ID(), now.Add(180*day))
	}
	if st.KMS.NextRenewal == nil || !st.KMS.NextRenewal.Equal(now.Add(7*day)) || st.OperatorKey == "" {
		t.Fatalf("pc-25: next renewal %v, operator key %q; want %v and a pinned key", st.KMS.NextRenewal, st.OperatorKey, now.Add(7*day))
	}

	c.Add(time.Hour) // t0 + 2h: the first 24 retry
	for i := 1; i <= 24; i++ {
		res := tick(t, agents[i], c)
		if res.Action != agent.TickRetry {
			t.Fatalf("pc-%02d at its retry: %s, want %s", i, res.Action, agent.TickRetry)
		}
		wantKMS(t, agents[i].Machine.ID, res.Status, agent.Licensed, 25, 25)
	}

	// Four weeks of renewals by pc-01..pc-23; pc-24 and pc-25 stay silent (still counted: 28 days).
	firstExpiry := *status(t, agents[1]).Ticket.ExpiresAt
	for range 4 {
		c.Add(7 * day)
		for i := 1; i <= 23; i++ {
			res := tick(t, agents[i], c)
			if res.Action != agent.TickRenew {
				t.Fatalf("pc-%02d after a week: %s, want %s", i, res.Action, agent.TickRenew)
			}
			wantKMS(t, agents[i].Machine.ID, res.Status, agent.Licensed, 25, 25)
		}
	}
	renewed := status(t, agents[1]).Ticket.ExpiresAt
	if want := c.Now().Add(180 * day); !renewed.Equal(want) || !renewed.After(firstExpiry) {
		t.Fatalf("expiry after renewals %v, want %v (slid from %v)", renewed, want, firstExpiry)
	}

	// pc-24 and pc-25 were last seen 35 days ago: out of the count. A new machine makes 24.
	c.Add(7 * day)
	st = activateKMS(t, site.agent(t, "pc-26", desktop, h))
	wantKMS(t, "pc-26", st, agent.InitialGrace, 24, 25)
	if got := h.host.Counts()[kmsclient.PoolSystems]; got != 24 {
		t.Fatalf("host count %d, want 24", got)
	}
	// pc-01's renewal is answered below the threshold: it keeps its ticket and retries in 2h.
	res := tick(t, agents[1], c)
	wantKMS(t, "pc-01", res.Status, agent.Licensed, 24, 25)
	if res.Action != agent.TickRenew || !res.Next.Equal(c.Now().Add(2*time.Hour)) || res.Status.KMS.NextRetry == nil {
		t.Fatalf("pc-01 renewal below the threshold: %s, next %v; want renew, retry at %v", res.Action, res.Next, c.Now().Add(2*time.Hour))
	}
	// pc-24 comes back: 25 again.
	res = tick(t, agents[24], c)
	wantKMS(t, "pc-24", res.Status, agent.Licensed, 25, 25)

	// pc-25 never renews: 180 days after its activation its ticket has expired.
	c.Add(t0.Add(181 * day).Sub(c.Now()))
	st = status(t, agents[25])
	if st.State != agent.AdditionalGrace || st.Reason != "the activation expired" {
		t.Fatalf("pc-25 after 181 days without renewal: %s (%s), want additional grace", st.StateText, st.Reason)
	}
}

// TestKMSServerProductAtFive: a server product activates once the count is 5.
func TestKMSServerProductAtFive(t *testing.T) {
	site := newKMSSite(t)
	h := site.startHost(t, kms.Config{})
	for i := 1; i <= 5; i++ {
		st := activateKMS(t, site.agent(t, fmt.Sprintf("srv-%d", i), server, h))
		want := agent.InitialGrace
		if i == 5 {
			want = agent.Licensed
		}
		wantKMS(t, fmt.Sprintf("srv-%d", i), st, want, i, 5)
	}
}

// TestDaemonRenewsAndRetries runs the daemon with a fake sleeper that moves the clock: it
// activates, renews every 7 days (the host's interval), retries after the host's 2 hours when the
// host is down, and returns when its context ends.
func TestDaemonRenewsAndRetries(t *testing.T) {
	site := newKMSSite(t)
	c := site.clock
	h := site.startHost(t, kms.Config{Thresholds: kms.Thresholds{Client: 1}, RetryInterval: 2 * time.Hour, RenewInterval: 7 * day})
	a := site.agent(t, "pc-1", desktop, h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	var actions, errs []string
	d := &agent.Daemon{Agent: a,
		Sleep: func(ctx context.Context, dur time.Duration) error {
			waits = append(waits, dur)
			c.Add(dur)
			switch len(waits) {
			case 2:
				h.down.Store(true)
			case 3:
				h.down.Store(false)
			case 4:
				cancel()
			}
			return ctx.Err()
		},
		Report: func(r agent.TickResult, err error) {
			actions = append(actions, r.Action)
			errs = append(errs, r.Error)
		},
	}
	if err := d.Run(ctx); err != nil {
		t.Fatalf("run: %v", err)
	}
	wantWaits := []time.Duration{7 * day, 7 * day, 2 * time.Hour, 7 * day}
	wantActions := []string{agent.TickActivate, agent.TickRenew, agent.TickRenew, agent.TickRenew}
	if fmt.Sprint(waits) != fmt.Sprint(wantWaits) || fmt.Sprint(actions) != fmt.Sprint(wantActions) {
		t.Fatalf("waits %v, actions %v; want %v, %v", waits, actions, wantWaits, wantActions)
	}
	if errs[2] == "" || !strings.Contains(errs[2], "no KMS host answered") || errs[0]+errs[1]+errs[3] != "" {
		t.Fatalf("errors %q: want only the third tick to fail with no host answering", errs)
	}
	st := status(t, a)
	lastRenewal := start.Add(14*day + 2*time.Hour)
	if st.State != agent.Licensed || !st.Ticket.ExpiresAt.Equal(lastRenewal.Add(180*day)) || !st.KMS.NextRenewal.Equal(lastRenewal.Add(7*day)) {
		t.Fatalf("after the daemon: %s, expires %v, next renewal %v; want licensed, %v, %v", st.StateText, st.Ticket.ExpiresAt, st.KMS.NextRenewal, lastRenewal.Add(180*day), lastRenewal.Add(7*day))
	}
}

// TestDaemonIdleWithoutKMSKey: with no kms-client key the daemon has nothing scheduled and waits
// its idle time.
func TestDaemonIdleWithoutKMSKey(t *testing.T) {
	c := &clock{start}
	a := newAgent(t.TempDir(), "pc-1", c)
	ctx, cancel := context.WithCancel(context.Background())
	var waits []time.Duration
	d := &agent.Daemon{Agent: a, Idle: 3 * time.Hour, Sleep: func(ctx context.Context, dur time.Duration) error {
		waits = append(waits, dur)
		if len(waits) == 2 {
			cancel()
		}
		return ctx.Err()
	}}
	if err := d.Run(ctx); err != nil || fmt.Sprint(waits) != fmt.Sprint([]time.Duration{3 * time.Hour, 3 * time.Hour}) {
		t.Fatalf("run: %v, waits %v; want nil, two idle waits", err, waits)
	}
}

// TestKMSDiscoveryAndFailover: two hosts publish their SRV records by dynamic update to an
// in-process DNS server; the agent uses the preferred one, caches it, and fails over to the other
// when it stops. A fixed host turns discovery off; caching can be turned off.
func TestKMSDiscoveryAndFailover(t *testing.T) {
	site := newKMSSite(t)
	ctx := context.Background()
	dnsSrv := dnstest.Start(t, nil)
	dnsSrv.Add(t, "kms1.corp.example. 60 IN A 127.0.0.1", "kms2.corp.example. 60 IN A 127.0.0.1")
	var hosts []*kmsHost
	var addrs []string
	for i, target := range []string{"kms1.corp.example", "kms2.corp.example"} {
		h := site.startHost(t, kms.Config{Thresholds: kms.Thresholds{Client: 1}})
		p := &kms.DNSPublishing{Server: dnsSrv.Addr, Target: target, Port: h.port(), Entries: []kms.SRVEntry{{Domain: "corp.example", Priority: uint16(10 * i)}}}
		if errs := p.PublishAll(ctx); len(errs) > 0 {
			t.Fatalf("publish %s: %v", target, errs)
		}
		hosts, addrs = append(hosts, h), append(addrs, net.JoinHostPort(target, strconv.Itoa(int(h.port()))))
	}
	if n := len(dnsSrv.Records("_licet-kms._tcp.corp.example", 33)); n != 2 {
		t.Fatalf("%d SRV records, want 2", n)
	}
	a := site.agent(t, "pc-1", desktop, nil)
	domain, server := "corp.example", dnsSrv.Addr
	if _, err := a.ConfigureKMS(agent.KMSSettings{Domain: &domain, DNSServer: &server}); err != nil {
		t.Fatal(err)
	}
	st := activateKMS(t, a)
	if st.State != agent.Licensed || st.KMS.Host != addrs[0] || st.KMS.CachedHost != addrs[0] || st.KMS.HostID != hosts[0].host.ID() {
		t.Fatalf("first activation: %s via %s (cached %q); want licensed via the preferred %s, cached", st.StateText, st.KMS.Host, st.KMS.CachedHost, addrs[0])
	}

	// The preferred host stops: the renewal tries the cached host, then fails over to kms2.
	hosts[0].ts.Close()
	site.clock.Add(7 * day)
	res := tick(t, a, site.clock)
	if res.Action != agent.TickRenew || res.Status.State != agent.Licensed || res.Status.KMS.Host != addrs[1] || res.Status.KMS.CachedHost != addrs[1] {
		t.Fatalf("after kms1 stopped: %s %s via %s (cached %q); want a renewal via %s", res.Action, res.Status.StateText, res.Status.KMS.Host, res.Status.KMS.CachedHost, addrs[1])
	}

	// A fixed host turns discovery off: the stopped one is the only one asked.
	if _, err := a.SetKMSHost(addrs[0]); err != nil {
		t.Fatal(err)
	}
	site.clock.Add(7 * day)
	res, err := a.Tick(ctx, site.clock.Now())
	if licet.ErrorCode(err) != licet.EUnavailable || !strings.Contains(err.Error(), addrs[0]) || strings.Contains(err.Error(), addrs[1]) {
		t.Fatalf("fixed stopped host: %v; want unavailable naming only %s", err, addrs[0])
	}
	if !res.Next.Equal(site.clock.Now().Add(2*time.Hour)) || res.Status.State != agent.Licensed || res.Status.KMS.LastError == "" {
		t.Fatalf("after the failure: next %v, %s, last error %q; want a retry in 2h, still licensed, the error kept", res.Next, res.Status.StateText, res.Status.KMS.LastError)
	}
	// Back to discovery with caching off: kms2 answers and is not cached.
	off := true
	if _, err := a.ClearKMSHost(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ConfigureKMS(agent.KMSSettings{NoHostCache: &off}); err != nil {
		t.Fatal(err)
	}
	st = activateKMS(t, a)
	if st.KMS.Host != addrs[1] || st.KMS.CachedHost != "" || st.KMS.HostCaching || st.KMS.LastError != "" {
		t.Fatalf("discovery without cache: via %s, cached %q, caching %v, error %q; want %s, none, false, none", st.KMS.Host, st.KMS.CachedHost, st.KMS.HostCaching, st.KMS.LastError, addrs[1])
	}
}

// TestKMSRefusals: a host that refuses the request, a ticket from another operator, and keys that
// do not activate against a KMS host each give a clear error and leave the machine in grace.
func TestKMSRefusals(t *testing.T) {
	site := newKMSSite(t)
	h := site.startHost(t, kms.Config{Thresholds: kms.Thresholds{Client: 1, Application: 1}})

	// The studio product's group is not covered by the demo's host key (server-2026).
	a := site.agent(t, "pc-1", "contoso-studio-2026", h)
	_, err := a.ActivateKMS(context.Background(), nil)
	if licet.ErrorCode(err) != licet.CodeUnknownProduct || !strings.Contains(err.Error(), h.addr()) {
		t.Fatalf("uncovered product: %v, want %s naming the host", err, licet.CodeUnknownProduct)
	}
	st := status(t, a)
	if st.State != agent.InitialGrace || st.KMS.LastError == "" || st.KMS.NextRetry == nil || st.KMS.Host != h.addr() {
		t.Fatalf("after the refusal: %s, error %q, retry %v, host %q", st.StateText, st.KMS.LastError, st.KMS.NextRetry, st.KMS.Host)
	}

	// Pinned to another operator's key: the host's ticket does not verify; nothing is stored.
	other, _, _ := ed25519.GenerateKey(nil)
	b := site.agent(t, "pc-2", desktop, h)
	_, err = b.ActivateKMS(context.Background(), other)
	if licet.ErrorCode(err) != licet.EUnavailable || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("foreign operator key: %v, want the host skipped because its ticket does not verify", err)
	}
	if st := status(t, b); st.State != agent.InitialGrace || st.Ticket != nil || st.OperatorKey != "" {
		t.Fatalf("after a foreign ticket: %s, ticket %v, pinned %q; want grace, nothing stored", st.StateText, st.Ticket, st.OperatorKey)
	}

	// A MAK activates online, not against a KMS host; no key at all is invalid.
	mak := &agent.Agent{Dir: t.TempDir(), Now: site.clock.Now, Machine: licet.Machine{ID: "pc-3"}}
	if _, err := mak.ActivateKMS(context.Background(), nil); licet.ErrorCode(err) != licet.EInvalid {
		t.Fatalf("no key: %v, want invalid", err)
	}
	ks, _ := site.central.Operator.Keys(context.Background(), "contoso")
	for _, k := range ks {
		if k.Type == "mak" {
			if _, err := mak.InstallKey(k.Key, desktop); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := mak.ActivateKMS(context.Background(), nil); licet.ErrorCode(err) != licet.CodeKeyTypeNotActivatable {
		t.Fatalf("MAK against a KMS host: %v, want %s", err, licet.CodeKeyTypeNotActivatable)
	}
	if res, err := mak.Tick(context.Background(), site.clock.Now()); err != nil || res.Action != agent.TickIdle || !res.Next.IsZero() {
		t.Fatalf("tick with a MAK: %+v, %v; want idle, nothing scheduled", res, err)
	}
}

func TestCheckKMSHost(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"name", "kms.corp.example", "kms.corp.example:8471"},
		{"name and port", "kms.corp.example:9000", "kms.corp.example:9000"},
		{"address", "127.0.0.1:8471", "127.0.0.1:8471"},
		{"ipv6", "[::1]:8471", "[::1]:8471"},
		{"ipv6 without port", "::1", "[::1]:8471"},
		{"empty", "", ""},
		{"port zero", "kms:0", ""},
		{"port too big", "kms:70000", ""},
		{"url", "http://kms:8471", ""},
		{"space", "kms host", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := agent.CheckKMSHost(tt.in)
			if got != tt.want || (err != nil) != (tt.want == "") {
				t.Fatalf("CheckKMSHost(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzCheckKMSHost(f *testing.F) {
	for _, s := range []string{"kms", "kms:8471", "[::1]:1", "a:b:c", ":", "[", "kms:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := agent.CheckKMSHost(s)
		if err != nil {
			if licet.ErrorCode(err) != licet.EInvalid {
				t.Fatalf("CheckKMSHost(%q): %v, want invalid", s, err)
			}
			return
		}
		if again, err := agent.CheckKMSHost(got); err != nil || again != got {
			t.Fatalf("CheckKMSHost(%q) = %q, which checks as %q, %v", s, got, again, err)
		}
	})
}
