package kms_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
	"github.com/licet/licet/internal/kms"
	"github.com/licet/licet/ticket"
)

var start = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// clock is an injected clock the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time           { return c.t }
func (c *clock) add(d time.Duration)      { c.t = c.t.Add(d) }
func days(n int) time.Duration            { return time.Duration(n) * 24 * time.Hour }
func machine(prefix string, i int) string { return fmt.Sprintf("%s-%03d", prefix, i) }

type fixture struct {
	host     *kms.Host
	clock    *clock
	op       ed25519.PublicKey
	products map[string]licet.KMSProduct
	dir      string
}

const group = 11

// newHost certifies a host for group 11 (covering 10) with products desktop (client), server,
// office (application) in group 11 and legacy (client) in group 10, and opens it.
func newHost(t testing.TB, cfg kms.Config) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{t: start}, dir: t.TempDir(), products: map[string]licet.KMSProduct{}}
	products := append(kms.SelfProducts(group), kms.SelfProducts(10)[0])
	products[3].Slug = "legacy"
	products = append(products, kms.SelfProducts(12)[0])
	products[4].Slug = "future"
	for _, p := range products {
		f.products[p.Slug] = p
	}
	var err error
	f.op, _, err = kms.SelfCertify(context.Background(), f.dir, kms.SelfSpec{Group: group, Covers: []uint16{10}, Products: products, Now: start})
	if err != nil {
		t.Fatal(err)
	}
	f.open(t, cfg)
	return f
}

func (f *fixture) open(t testing.TB, cfg kms.Config) {
	t.Helper()
	cfg.StateDir, cfg.Now = f.dir, f.clock.now
	h, err := kms.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.host = h
	t.Cleanup(func() { h.Close() })
}

func (f *fixture) ask(t *testing.T, id, product string) *kmsclient.Response {
	t.Helper()
	resp, err := f.host.Activate(context.Background(), kmsclient.Request{MachineID: id, Product: product, Key: f.products[product].GVLK, Hostname: id + ".corp.example"})
	if err != nil {
		t.Fatalf("%s asking for %s: %v", id, product, err)
	}
	return resp
}

func TestThresholdWalk(t *testing.T) {
	f := newHost(t, kms.Config{})
	for i := 1; i <= 24; i++ {
		r := f.ask(t, machine("pc", i), "desktop")
		if r.Activated || r.Count != i || r.Threshold != 25 || r.Ticket != "" {
			t.Fatalf("client %d: activated %v, count %d of %d; want not activated, %d of 25", i, r.Activated, r.Count, r.Threshold, i)
		}
		if want := f.clock.t.Add(2 * time.Hour); !r.NextContactAt.Equal(want) || r.RetrySeconds != 7200 {
			t.Fatalf("client %d: next contact %v (retry %ds), want %v (2 h)", i, r.NextContactAt, r.RetrySeconds, want)
		}
	}
	// Each of the 24 asking again before a 25th arrives is told 24 of 25.
	f.clock.add(time.Hour)
	for i := 1; i <= 24; i++ {
		if r := f.ask(t, machine("pc", i), "desktop"); r.Activated || r.Count != 24 {
			t.Fatalf("client %d asking again: activated %v, count %d; want 24 of 25, not activated", i, r.Activated, r.Count)
		}
	}
	r := f.ask(t, machine("pc", 25), "desktop")
	if !r.Activated || r.Count != 25 || r.Ticket == "" {
		t.Fatalf("25th client: activated %v, count %d; want activated at 25", r.Activated, r.Count)
	}
	if want := f.clock.t.Add(180 * 24 * time.Hour); r.ExpiresAt == nil || !r.ExpiresAt.Equal(want) {
		t.Fatalf("25th client: expires %v, want %v (180 days)", r.ExpiresAt, want)
	}
	// The first 24 activate at their next retry.
	f.clock.add(2 * time.Hour)
	for i := 1; i <= 24; i++ {
		r := f.ask(t, machine("pc", i), "desktop")
		if !r.Activated || r.Count != 25 {
			t.Fatalf("client %d at its retry: activated %v, count %d; want activated at 25", i, r.Activated, r.Count)
		}
		if want := f.clock.t.Add(7 * 24 * time.Hour); !r.NextContactAt.Equal(want) {
			t.Fatalf("client %d: renew at %v, want %v (7 days)", i, r.NextContactAt, want)
		}
		tk, err := ticket.Check(f.op, r.Ticket, machine("pc", i), f.clock.t)
		if err != nil {
			t.Fatalf("client %d: ticket does not verify offline against the operator's key: %v", i, err)
		}
		if tk.Kind != ticket.KindKMSActivation || tk.Product != "desktop" || tk.Issuer != f.host.ID() {
			t.Fatalf("client %d: ticket %+v", i, tk)
		}
		if _, err := ticket.Check(f.op, r.Ticket, machine("pc", 99), f.clock.t); err == nil {
			t.Fatal("a ticket verified for another machine")
		}
	}
}

func TestDropOutAfter30Days(t *testing.T) {
	f := newHost(t, kms.Config{})
	for i := 1; i <= 25; i++ {
		f.ask(t, machine("pc", i), "desktop")
	}
	// Clients 2..25 renew every 7 days; client 1 never comes back.
	var r *kmsclient.Response
	for day := 7; day <= 28; day += 7 {
		f.clock.add(days(7))
		for i := 2; i <= 25; i++ {
			r = f.ask(t, machine("pc", i), "desktop")
		}
		if !r.Activated || r.Count != 25 {
			t.Fatalf("day %d: count %d activated %v; want 25, activated (client 1 seen %d days ago)", day, r.Count, r.Activated, day)
		}
	}
	f.clock.t = start.Add(days(30)) // exactly 30 days after client 1's only request
	r = f.ask(t, machine("pc", 2), "desktop")
	if r.Count != 24 || r.Activated {
		t.Fatalf("after 30 days: count %d, activated %v; want 24 (client 1 dropped out), not activated", r.Count, r.Activated)
	}
	if got := f.host.Counts()[kmsclient.PoolSystems]; got != 24 {
		t.Fatalf("Counts = %d, want 24", got)
	}
	// Client 1 coming back counts again.
	if r := f.ask(t, machine("pc", 1), "desktop"); r.Count != 25 || !r.Activated {
		t.Fatalf("client 1 back: count %d activated %v, want 25, activated", r.Count, r.Activated)
	}
}

func TestPools(t *testing.T) {
	tests := []struct {
		name string
		seed map[string]int // product → distinct machines asking first
		ask  string
		want int // count the last request is told
		act  bool
	}{
		{"4 servers: the 5th activates", map[string]int{"server": 4}, "server", 5, true},
		{"3 servers: the 4th does not", map[string]int{"server": 3}, "server", 4, false},
		{"clients count for servers", map[string]int{"desktop": 4}, "server", 5, true},
		{"servers count for clients", map[string]int{"server": 20, "desktop": 4}, "desktop", 25, true},
		{"applications have their own count", map[string]int{"desktop": 30}, "office", 1, false},
		{"the 5th application activates", map[string]int{"office": 4}, "office", 5, true},
		{"a covered older group shares the pool", map[string]int{"legacy": 24}, "desktop", 25, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHost(t, kms.Config{})
			n := 0
			for product, count := range tt.seed {
				for range count {
					n++
					f.ask(t, machine("m", n), product)
				}
			}
			r := f.ask(t, "last", tt.ask)
			if r.Count != tt.want || r.Activated != tt.act {
				t.Fatalf("count %d of %d, activated %v; want %d, %v", r.Count, r.Threshold, r.Activated, tt.want, tt.act)
			}
		})
	}
}

func TestConfiguredThresholdsAndIntervals(t *testing.T) {
	f := newHost(t, kms.Config{
		Thresholds:      kms.Thresholds{Client: 3},
		GroupThresholds: map[uint16]kms.Thresholds{10: {Client: 2}},
		RenewInterval:   time.Hour, RetryInterval: 15 * time.Minute,
	})
	if r := f.ask(t, "a", "legacy"); r.Threshold != 2 || r.Activated || r.RetrySeconds != 900 {
		t.Fatalf("group 10 client: threshold %d activated %v retry %ds; want 2, no, 900", r.Threshold, r.Activated, r.RetrySeconds)
	}
	if r := f.ask(t, "b", "legacy"); !r.Activated || r.RenewSeconds != 3600 {
		t.Fatalf("group 10 client at 2: activated %v renew %ds; want yes, 3600", r.Activated, r.RenewSeconds)
	}
	if r := f.ask(t, "c", "desktop"); r.Threshold != 3 || !r.Activated {
		t.Fatalf("group 11 client at 3: threshold %d activated %v; want 3, yes", r.Threshold, r.Activated)
	}
	if r := f.ask(t, "d", "server"); r.Threshold != 5 {
		t.Fatalf("server threshold %d, want the default 5", r.Threshold)
	}
	for _, c := range []kms.Config{
		{RenewInterval: 14 * time.Minute}, {RetryInterval: 31 * 24 * time.Hour}, {Thresholds: kms.Thresholds{Server: -1}},
		{MaxTracked: 10, Thresholds: kms.Thresholds{Client: 11}},
	} {
		c.StateDir = t.TempDir()
		if _, err := kms.Open(context.Background(), c); licet.ErrorCode(err) != licet.EInvalid {
			t.Errorf("config %+v: %v, want invalid", c, err)
		}
	}
}

func TestBadRequests(t *testing.T) {
	f := newHost(t, kms.Config{})
	mak := "BCDFG-HJKMP-QRTVW-XY234-6789B"
	tests := []struct {
		name string
		req  kmsclient.Request
		code string
		say  string
	}{
		{"unknown product", kmsclient.Request{MachineID: "m", Product: "nope", Key: f.products["desktop"].GVLK}, licet.CodeUnknownProduct, "desktop, future, legacy, office, server"},
		{"uncovered group", kmsclient.Request{MachineID: "m", Product: "future", Key: f.products["future"].GVLK}, licet.CodeProductNotCovered, "group 12"},
		{"malformed key", kmsclient.Request{MachineID: "m", Product: "desktop", Key: mak}, licet.EInvalid, "key is not valid"},
		{"key of another product", kmsclient.Request{MachineID: "m", Product: "desktop", Key: f.products["server"].GVLK}, licet.EInvalid, "not the kms-client key"},
		{"key of another group", kmsclient.Request{MachineID: "m", Product: "desktop", Key: f.products["legacy"].GVLK}, licet.EInvalid, "group 10"},
		{"wrong kind", kmsclient.Request{MachineID: "m", Product: "desktop", Key: f.products["desktop"].GVLK, Kind: "server"}, licet.EInvalid, "client product"},
		{"bad machine id", kmsclient.Request{MachineID: "a b", Product: "desktop", Key: f.products["desktop"].GVLK}, licet.EInvalid, "machineId"},
		{"bad state", kmsclient.Request{MachineID: "m", Product: "desktop", Key: f.products["desktop"].GVLK, State: "happy"}, licet.EInvalid, "licenseState"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.host.Activate(context.Background(), tt.req)
			if licet.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.say) {
				t.Fatalf("error %v [%s], want code %s saying %q", err, licet.ErrorCode(err), tt.code, tt.say)
			}
		})
	}
	total, failed, _ := f.host.Requests()
	if total != int64(len(tests)) || failed != int64(len(tests)) {
		t.Fatalf("requests total %d failed %d, want %d and %d", total, failed, len(tests), len(tests))
	}
	// The host keeps serving.
	if r := f.ask(t, "ok", "desktop"); r.Count != 1 {
		t.Fatalf("after bad requests: count %d, want 1", r.Count)
	}
	// An expired certificate: a clear error.
	f.clock.add(licet.KMSHostCertificateValidity)
	if _, err := f.host.Activate(context.Background(), kmsclient.Request{MachineID: "m", Product: "desktop", Key: f.products["desktop"].GVLK}); licet.ErrorCode(err) != licet.CodeKMSCertificateExpired {
		t.Fatalf("expired certificate: %v, want %s", err, licet.CodeKMSCertificateExpired)
	}
}

func TestNotActivated(t *testing.T) {
	h, err := kms.Open(context.Background(), kms.Config{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, err = h.Activate(context.Background(), kmsclient.Request{MachineID: "m", Product: "desktop", Key: "x"})
	if licet.ErrorCode(err) != licet.CodeKMSHostNotActivated || !strings.Contains(err.Error(), "licet kms activate") {
		t.Fatalf("not activated host: %v", err)
	}
}

func TestTicketCappedAtCertificateExpiry(t *testing.T) {
	f := newHost(t, kms.Config{Thresholds: kms.Thresholds{Client: 1}})
	f.clock.add(licet.KMSHostCertificateValidity - days(10))
	r := f.ask(t, "a", "desktop")
	if want := start.Add(licet.KMSHostCertificateValidity); !r.ExpiresAt.Equal(want) {
		t.Fatalf("ticket expires %v, want the certificate's expiry %v", r.ExpiresAt, want)
	}
}

func TestRestartKeepsTheTable(t *testing.T) {
	f := newHost(t, kms.Config{})
	for i := 1; i <= 24; i++ {
		f.ask(t, machine("pc", i), "desktop")
	}
	f.ask(t, "app-1", "office")
	if err := f.host.Close(); err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Hour)
	f.open(t, kms.Config{})
	if got := f.host.Counts(); got[kmsclient.PoolSystems] != 24 || got[kmsclient.PoolApplications] != 1 {
		t.Fatalf("after restart counts = %v, want systems 24, applications 1", got)
	}
	if r := f.ask(t, machine("pc", 25), "desktop"); !r.Activated || r.Count != 25 {
		t.Fatalf("25th client after restart: count %d activated %v; want 25, activated", r.Count, r.Activated)
	}
	total, _, byState := f.host.Requests()
	if total != 26 || byState[kmsclient.StateUnlicensed] != 26 {
		t.Fatalf("after restart requests total %d, unlicensed %d; want 26, 26", total, byState[kmsclient.StateUnlicensed])
	}
	st, err := kms.ReadStatus(context.Background(), f.dir, f.clock.t, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Activated || st.Pools[0].Count != 25 || st.Pools[1].Count != 1 || st.Requests.Total != 26 || len(st.Clients) != 5 ||
		st.Clients[0].MachineID != machine("pc", 25) || st.Clients[0].LastRenewalAt == nil || st.ClientTotal != 26 {
		t.Fatalf("status = %+v", st)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	f := newHost(t, kms.Config{MaxTracked: 50})
	var r *kmsclient.Response
	for i := 1; i <= 500; i++ {
		r = f.ask(t, machine("pc", i), "desktop")
		if n := f.host.Tracked(); n > 50 {
			t.Fatalf("after %d machines the host tracks %d, want at most 50", i, n)
		}
	}
	if r.Count != 50 || !r.Activated {
		t.Fatalf("count %d activated %v; want the cap 50, activated", r.Count, r.Activated)
	}
}

func TestInstallRefusesForeignCertificates(t *testing.T) {
	ctx := context.Background()
	dir, other := t.TempDir(), t.TempDir()
	op, opPriv, err := kms.SelfCertify(ctx, dir, kms.SelfSpec{Group: 1, Now: start})
	if err != nil {
		t.Fatal(err)
	}
	forOther, err := kms.SelfCertificate(ctx, other, opPriv, kms.SelfSpec{Group: 1, Now: start})
	if err != nil {
		t.Fatal(err)
	}
	_, stranger, _ := ed25519.GenerateKey(nil)
	fromStranger, err := kms.SelfCertificate(ctx, dir, stranger, kms.SelfSpec{Group: 1, Now: start})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := kms.SelfCertificate(ctx, dir, opPriv, kms.SelfSpec{Group: 1, Now: start.Add(-400 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	tampered := forOther
	tampered.OperatorKey = op
	tests := []struct {
		name string
		cert licet.KMSHostCertificate
		say  string
	}{
		{"issued to another host", forOther, "issued to host"},
		{"another operator", fromStranger, "foreign certificate"},
		{"expired", expired, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := kms.Install(ctx, dir, tt.cert, nil, start); err == nil || !strings.Contains(err.Error(), tt.say) {
				t.Fatalf("Install: %v, want an error saying %q", err, tt.say)
			}
		})
	}
}
