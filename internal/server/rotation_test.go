package server_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/client/agent"
	"github.com/licet/licet/internal/kms"
	"github.com/licet/licet/internal/server/servertest"
	"github.com/licet/licet/internal/signing/keyring"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/ticket"
)

// fleet is a central service, a KMS host activated against it and serving, and what a test
// needs to make agents.
type fleet struct {
	clock    *servertest.Clock // the injected clock every party of a test shares
	s        *servertest.Server
	host     *kms.Host
	hostDir  string
	hostAddr string
	central  *client.Client
	gvlk     string // contoso-desktop-11's kms-client key
}

func startFleet(t *testing.T, postgres bool) *fleet {
	t.Helper()
	ctx := context.Background()
	f := &fleet{clock: servertest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))}
	f.s = servertest.Start(t, servertest.Options{Now: f.clock.Now, Postgres: postgres})
	f.central = client.New(f.s.URL, "")
	keys, err := f.s.Operator.Keys(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	hostKey := ""
	for _, k := range keys {
		if k.Type == "kms-host" {
			hostKey = k.Key
		}
	}
	gvlks, err := f.s.Operator.GVLKs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gvlks {
		if g.Product == "contoso-desktop-11" {
			f.gvlk = g.Key
		}
	}
	if hostKey == "" || f.gvlk == "" {
		t.Fatal("the demo data lacks a kms-host key or the desktop GVLK")
	}
	f.hostDir = filepath.Join(t.TempDir(), "kms")
	id, err := kms.LoadIdentity(ctx, f.hostDir)
	if err != nil {
		t.Fatal(err)
	}
	req, err := kms.NewRequest(id, hostKey, "kms-1", true)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := f.central.ActivateHost(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kms.Install(ctx, f.hostDir, *cert, nil, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := kms.SetRenewalServer(ctx, f.hostDir, f.s.URL); err != nil {
		t.Fatal(err)
	}
	f.host, err = kms.Open(ctx, kms.Config{StateDir: f.hostDir, Now: f.clock.Now, Thresholds: kms.Thresholds{Client: 1, Server: 1, Application: 1}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(f.host.Handler())
	t.Cleanup(func() { hs.Close(); f.host.Close() })
	f.hostAddr = strings.TrimPrefix(hs.URL, "http://")
	return f
}

// kmsAgent returns an agent with the desktop GVLK pointed at the host.
func (f *fleet) kmsAgent(t *testing.T, machine string) *agent.Agent {
	t.Helper()
	a := &agent.Agent{Dir: t.TempDir(), Now: f.clock.Now, Machine: licet.Machine{ID: machine}}
	if _, err := a.InstallKey(f.gvlk, "contoso-desktop-11"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetKMSHost(f.hostAddr); err != nil {
		t.Fatal(err)
	}
	return a
}

// makAgent returns an agent with a fresh MAK installed.
func (f *fleet) makAgent(t *testing.T, machine string) *agent.Agent {
	t.Helper()
	k, err := f.s.Operator.IssueKey(context.Background(), licet.KeyRequest{Agreement: "CONTOSO-OL-0001", Group: "desktop-11", Type: "mak", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	a := &agent.Agent{Dir: t.TempDir(), Now: f.clock.Now, Machine: licet.Machine{ID: machine}}
	if _, err := a.InstallKey(k.Key, "contoso-desktop-11"); err != nil {
		t.Fatal(err)
	}
	return a
}

// licensed fails the test unless the agent is Licensed with a ticket of the wanted signing key
// (for a KMS ticket: the key of the host certificate in its chain).
func licensed(t *testing.T, what string, st *agent.Status, err error, wantKey uint32) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if st.State != agent.Licensed || st.Ticket == nil {
		t.Fatalf("%s: %s (%s; %s), want Licensed", what, st.StateText, st.Reason, st.TicketError)
	}
	if st.SigningKey != wantKey {
		t.Fatalf("%s: ticket under signing key %d, want %d", what, st.SigningKey, wantKey)
	}
}

func signingKeys(t *testing.T, op *client.Client) map[uint32]licet.SigningKey {
	t.Helper()
	list, err := op.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32]licet.SigningKey{}
	for _, k := range list {
		out[k.ID] = k
	}
	return out
}

// TestSigningKeyRotationEndToEnd walks a rotation with real agents and a real KMS host against
// an in-process central service: machines activated before stay Licensed and renew, machines
// activated after get tickets under the new key, the KMS host keeps serving and renews its
// certificate under the new key, and after retirement the old key's tickets are refused with a
// message naming the retirement.
func TestSigningKeyRotationEndToEnd(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { rotationEndToEnd(t, startFleet(t, false)) })
	t.Run("postgres", func(t *testing.T) { rotationEndToEnd(t, startFleet(t, true)) })
}

func rotationEndToEnd(t *testing.T, f *fleet) {
	ctx := context.Background()
	op := f.s.Operator

	// Before: a KMS client and a MAK machine, both under key 1.
	kmsBefore := f.kmsAgent(t, "pc-kms-before")
	st, err := kmsBefore.ActivateKMS(ctx, nil)
	licensed(t, "KMS client activated before", st, err, 1)
	saved, err := agent.Load(kmsBefore.Dir)
	if err != nil {
		t.Fatal(err)
	}
	oldKMSTicket, oldIssued := saved.Ticket, st.Ticket.IssuedAt
	makBefore := f.makAgent(t, "pc-mak-before") // runs the daemon
	st, err = makBefore.Activate(ctx, f.central, nil)
	licensed(t, "MAK machine activated before", st, err, 1)
	pinnedBefore := st.OperatorKey
	makIdle := f.makAgent(t, "pc-mak-idle") // never contacts the service on its own
	st, err = makIdle.Activate(ctx, f.central, nil)
	licensed(t, "idle MAK machine activated before", st, err, 1)
	if res, err := makBefore.Tick(ctx, f.clock.Now()); err != nil || res.Action != agent.TickKeys {
		t.Fatalf("the MAK machine's daemon before rotation: %+v, %v; want a key set check", res, err)
	}

	// Rotate.
	k2, err := op.RotateSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ID != 2 || k2.State != licet.SigningKeyActive || k2.EndorsedBy != 1 {
		t.Fatalf("rotate: %+v, want key 2 active endorsed by 1", k2)
	}
	keys := signingKeys(t, op)
	if keys[1].State != licet.SigningKeyVerifying || keys[1].KMSHosts != 1 {
		t.Fatalf("key 1 after rotation: %+v, want verifying with 1 KMS host", keys[1])
	}
	if _, err := op.RetireSigningKey(ctx, 1, false); licet.ErrorCode(err) != licet.CodeSigningKeyInUse {
		t.Fatalf("retire key 1 while the host is under it: %v, want %s", err, licet.CodeSigningKeyInUse)
	}
	if _, err := op.RetireSigningKey(ctx, 2, false); licet.ErrorCode(err) != licet.CodeSigningKeyActive {
		t.Fatalf("retire the active key: %v, want %s", err, licet.CodeSigningKeyActive)
	}

	// The machines activated before stay Licensed; the KMS client renews through the host,
	// whose certificate is still under key 1.
	st, err = makIdle.Status()
	licensed(t, "idle MAK machine after rotation", st, err, 1)
	f.clock.Add(8 * 24 * time.Hour)
	// The MAK machine's daemon learns key 2 at its daily check and activates again under it
	// (which uses no more of its MAK).
	res, err := makBefore.Tick(ctx, f.clock.Now())
	if res.Action != agent.TickReactivate {
		t.Fatalf("the MAK machine's daemon after rotation: %s, want reactivate", res.Action)
	}
	licensed(t, "MAK machine after its daemon's check", res.Status, err, 2)
	res, err = kmsBefore.Tick(ctx, f.clock.Now())
	if res.Action != agent.TickRenew {
		t.Fatalf("tick 8 days later: %s, want renew", res.Action)
	}
	licensed(t, "KMS client renewing before the host renewed", res.Status, err, 1)

	// The host learns key 2 from the service and renews its certificate under it.
	outcome, err := f.host.MaintainCertificate(ctx, f.central)
	if err != nil || outcome != kms.RenewRenewed {
		t.Fatalf("host maintenance after rotation: %s, %v; want renewed", outcome, err)
	}
	if cert, _ := f.host.Certificate(); cert.SigningKey != 2 {
		t.Fatalf("host certificate under key %d, want 2", cert.SigningKey)
	}

	// The KMS client renews again: its new ticket chains to the certificate under key 2, which it
	// verifies through the key set the host passes on — no re-pinning.
	f.clock.Add(8 * 24 * time.Hour)
	res, err = kmsBefore.Tick(ctx, f.clock.Now())
	licensed(t, "KMS client renewing after the host renewed", res.Status, err, 2)
	if res.Status.OperatorKey != pinnedBefore {
		t.Fatalf("the KMS client's pin changed from %s to %s", pinnedBefore, res.Status.OperatorKey)
	}

	// Machines activated after get tickets under key 2: one trusting on first use, one pinned
	// on the old key by hand, and a new KMS client.
	st, err = f.makAgent(t, "pc-mak-after").Activate(ctx, f.central, nil)
	licensed(t, "MAK machine activated after", st, err, 2)
	oldPin, err := client.ParsePublicKey(pinnedBefore)
	if err != nil {
		t.Fatal(err)
	}
	st, err = f.makAgent(t, "pc-mak-old-pin").Activate(ctx, f.central, oldPin)
	licensed(t, "MAK machine pinned on key 1, activated after", st, err, 2)
	st, err = f.kmsAgent(t, "pc-kms-after").ActivateKMS(ctx, nil)
	licensed(t, "KMS client activated after", st, err, 2)

	// Retire key 1: no host is left under it.
	if keys := signingKeys(t, op); keys[1].KMSHosts != 0 || keys[2].KMSHosts != 1 {
		t.Fatalf("hosts per key before retirement: key 1 %d, key 2 %d; want 0 and 1", keys[1].KMSHosts, keys[2].KMSHosts)
	}
	retired, err := op.RetireSigningKey(ctx, 1, false)
	if err != nil || retired.State != licet.SigningKeyRetired || retired.RetiredAt == nil {
		t.Fatalf("retire key 1: %+v, %v", retired, err)
	}

	// The idle MAK machine, still under key 1, learns the retirement when it next asks, and
	// refuses its key-1 ticket naming the retirement.
	st, err = makIdle.RefreshKeys(ctx, f.central)
	if err != nil {
		t.Fatal(err)
	}
	wantDay := retired.RetiredAt.UTC().Format(time.DateOnly)
	if st.State != agent.AdditionalGrace || !st.GraceEnds.Equal(retired.RetiredAt.Add(agent.GracePeriod)) || !strings.Contains(st.TicketError, "operator key 1") || !strings.Contains(st.TicketError, "retired on "+wantDay) {
		t.Fatalf("MAK machine with a key-1 ticket after retirement: %s, ticket error %q; want it refused naming the retirement", st.StateText, st.TicketError)
	}
	// It activates again and is Licensed under key 2.
	st, err = makIdle.Activate(ctx, f.central, nil)
	licensed(t, "idle MAK machine re-activated after retirement", st, err, 2)
	// The machine whose daemon moved it to key 2 in time stays Licensed.
	st, err = makBefore.Status()
	licensed(t, "MAK machine with a daemon after retirement", st, err, 2)
	if res, err := makBefore.Tick(ctx, f.clock.Now()); err != nil || res.Action != agent.TickKeys {
		t.Fatalf("its daemon after retirement: %+v, %v; want a key set check only", res, err)
	}
	for _, a := range []*agent.Agent{makBefore, makIdle} {
		saved, err := agent.Load(a.Dir)
		if err != nil {
			t.Fatal(err)
		}
		k, err := f.s.Operator.Keys(ctx, "contoso")
		if err != nil {
			t.Fatal(err)
		}
		used := int64(-1)
		for _, pk := range k {
			if pk.Key == saved.Key {
				used = pk.Used
			}
		}
		if used != 1 {
			t.Errorf("the MAK of %s counts %d activations after activating again, want 1", a.Machine.ID, used)
		}
	}

	// The KMS host keeps serving: the client activated before renews, and knows key 1 retired,
	// so its first ticket (chained to the key-1 certificate) is refused by name.
	f.clock.Add(8 * 24 * time.Hour)
	if outcome, err := f.host.MaintainCertificate(ctx, f.central); outcome != kms.RenewNotDue || err != nil { // its hourly check
		t.Fatalf("host maintenance after retirement: %s, %v; want not-due", outcome, err)
	}
	res, err = kmsBefore.Tick(ctx, f.clock.Now())
	licensed(t, "KMS client renewing after retirement", res.Status, err, 2)
	_, err = ticket.CheckWith(ticket.KeySet{Keys: res.Status.OperatorKeys}, oldKMSTicket, "pc-kms-before", oldIssued)
	var re *ticket.RetiredError
	if !errors.As(err, &re) || re.ID != 1 || !errors.Is(err, ticket.ErrChain) || !strings.Contains(err.Error(), "retired on "+wantDay) {
		t.Fatalf("the KMS ticket under the key-1 certificate after retirement: %v; want a refusal naming key 1's retirement", err)
	}
}

// TestKMSHostRenewsTwentyDaysBeforeExpiry moves the clock to 20 days before the host
// certificate expires: the host renews it (audited centrally); while the service is down it
// retries with a doubling backoff; an expired certificate is reported, not renewed.
func TestKMSHostRenewsTwentyDaysBeforeExpiry(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { renewsBeforeExpiry(t, startFleet(t, false)) })
	t.Run("postgres", func(t *testing.T) { renewsBeforeExpiry(t, startFleet(t, true)) })
}

func renewsBeforeExpiry(t *testing.T, f *fleet) {
	ctx := context.Background()
	cert, _ := f.host.Certificate()
	if outcome, err := f.host.MaintainCertificate(ctx, f.central); outcome != kms.RenewNotDue || err != nil {
		t.Fatalf("a fresh certificate: %s, %v; want not-due", outcome, err)
	}

	// Down: the service does not answer; the backoff doubles.
	f.clock.Add(cert.ExpiresAt.Sub(f.clock.Now()) - 20*24*time.Hour)
	down := client.New("http://127.0.0.1:1", "")
	for i, wait := range []time.Duration{15 * time.Minute, 30 * time.Minute} {
		outcome, err := f.host.MaintainCertificate(ctx, down)
		if outcome != kms.RenewFailed || err == nil {
			t.Fatalf("attempt %d with the service down: %s, %v", i+1, outcome, err)
		}
		st, err := kms.ReadStatus(ctx, f.hostDir, f.clock.Now(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if st.Renewal.Failures != i+1 || !st.Renewal.NextAttempt.Equal(f.clock.Now().Add(wait)) {
			t.Fatalf("after failure %d: %+v; want next attempt in %s", i+1, st.Renewal, wait)
		}
		if outcome, _ := f.host.MaintainCertificate(ctx, f.central); outcome != kms.RenewWaiting {
			t.Fatalf("before the backoff ends: %s, want waiting", outcome)
		}
		f.clock.Add(wait)
	}

	outcome, err := f.host.MaintainCertificate(ctx, f.central)
	if outcome != kms.RenewRenewed || err != nil {
		t.Fatalf("20 days before expiry: %s, %v; want renewed", outcome, err)
	}
	renewed, _ := f.host.Certificate()
	if want := f.clock.Now().Truncate(time.Second).Add(licet.KMSHostCertificateValidity); !renewed.ExpiresAt.Equal(want) {
		t.Fatalf("renewed certificate expires %v, want %v", renewed.ExpiresAt, want)
	}
	entries, err := f.s.Operator.Audit(ctx, licet.AuditFilter{Action: "kms.host.renew"})
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].After, f.host.ID()) {
		t.Fatalf("central audit of the renewal: %+v, %v", entries, err)
	}
	st, err := kms.ReadStatus(ctx, f.hostDir, f.clock.Now(), 0)
	if err != nil || st.Renewal.Failures != 0 || st.Renewal.LastRenewed.IsZero() || st.CertificateExpired {
		t.Fatalf("status after renewal: %+v, %v", st.Renewal, err)
	}
	// The host keeps serving under the renewed certificate.
	a := f.kmsAgent(t, "pc-1")
	st2, err := a.ActivateKMS(ctx, nil)
	licensed(t, "client of the renewed host", st2, err, 1)

	// Expired: past the end of the renewed certificate, the host says so and does not renew.
	f.clock.Add(renewed.ExpiresAt.Sub(f.clock.Now()) + time.Hour)
	if outcome, _ := f.host.MaintainCertificate(ctx, f.central); outcome != kms.RenewExpired {
		t.Fatalf("an expired certificate: %s, want expired", outcome)
	}
	st, err = kms.ReadStatus(ctx, f.hostDir, f.clock.Now(), 0)
	if err != nil || !st.CertificateExpired || !strings.Contains(st.CertificateError, "expired on") {
		t.Fatalf("status of an expired host: expired %v, %q, %v", st.CertificateExpired, st.CertificateError, err)
	}
	if !f.host.CertificateExpired() {
		t.Fatal("the host does not know its certificate expired")
	}
	rec := httptest.NewRecorder()
	f.host.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if body := rec.Body.String(); !strings.Contains(body, "licet_kms_certificate_expired 1") || !strings.Contains(body, "licet_kms_certificate_renewal_failures 0") {
		t.Fatalf("/metrics of an expired host lacks licet_kms_certificate_expired 1:\n%s", body)
	}
	if _, err := f.kmsAgent(t, "pc-2").ActivateKMS(ctx, nil); err == nil || !strings.Contains(err.Error(), "expired on") {
		t.Fatalf("a client of the expired host: %v, want a refusal saying the certificate expired", err)
	}
}

// TestReplicasPickUpARotation runs two services on one database and one key file: a rotation on
// one reaches the other within signing.keyring's refresh time (injected clock).
func TestReplicasPickUpARotation(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		replicasPickUpARotation(t, filepath.Join(dir, "licet.db"), dir)
	})
	t.Run("postgres", func(t *testing.T) { replicasPickUpARotation(t, storetest.PostgresDSN(t), t.TempDir()) })
}

func replicasPickUpARotation(t *testing.T, dsn, dir string) {
	ctx := context.Background()
	c := servertest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	a := servertest.Start(t, servertest.Options{Now: c.Now, DSN: dsn, DataDir: dir})
	b := servertest.Start(t, servertest.Options{Now: c.Now, DSN: dsn, DataDir: dir, NoDemo: true})
	if _, err := a.Operator.RotateSigningKey(ctx); err != nil {
		t.Fatal(err)
	}
	k, err := a.Operator.IssueKey(ctx, licet.KeyRequest{Agreement: "CONTOSO-OL-0001", Group: "desktop-11", Type: "mak", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	activate := func(m string) ticket.Ticket {
		t.Helper()
		act, err := client.New(b.URL, "").Activate(ctx, licet.ActivationRequest{Key: k.Key, Product: "contoso-desktop-11", Machine: licet.Machine{ID: m}})
		if err != nil {
			t.Fatal(err)
		}
		pk, err := client.New(a.URL, "").PublishedKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		set, _, err := ticket.VerifyKeySet(ticket.KeySet{Keys: signingKeySet(t, a)}, pk.KeySet)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := ticket.CheckWith(set, act.Ticket, m, c.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	c.Add(keyring.RefreshEvery + time.Second)
	if tk := activate("pc-1"); tk.SigningKey != 2 {
		t.Fatalf("the other replica signed with key %d after the refresh time, want 2", tk.SigningKey)
	}
}

// signingKeySet is the key set of a service's listing, as a machine that trusts all its keys.
func signingKeySet(t *testing.T, s *servertest.Server) []ticket.OperatorKey {
	t.Helper()
	var out []ticket.OperatorKey
	for _, k := range signingKeys(t, s.Operator) {
		pub, err := client.ParsePublicKey(k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ticket.OperatorKey{ID: k.ID, PublicKey: pub, State: k.State})
	}
	return out
}
