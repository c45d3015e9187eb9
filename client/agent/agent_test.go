package agent_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/client/agent"
	"github.com/licet/licet/hardware"
	"github.com/licet/licet/internal/server/servertest"
)

var start = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

const product = "contoso-desktop-11"

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func hw(changed int) string {
	v := map[string]string{}
	for i, c := range hardware.Components {
		v[c] = c
		if i < changed {
			v[c] += "-new"
		}
	}
	return hardware.Hash(v)
}

func newAgent(dir, id string, c *clock) *agent.Agent {
	return &agent.Agent{Dir: dir, Now: c.Now, Machine: licet.Machine{ID: id, Hardware: hw(0), Hostname: id}}
}

// demoMAK starts a demo server and returns it with contoso's MAK.
func demoMAK(t *testing.T) (*servertest.Server, string) {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{})
	ks, err := srv.Operator.Keys(context.Background(), "contoso")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		if k.Type == "mak" {
			return srv, k.Key
		}
	}
	t.Fatal("the demo has no MAK")
	return nil, ""
}

func status(t *testing.T, a *agent.Agent) *agent.Status {
	t.Helper()
	st, err := a.Status()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func wantState(t *testing.T, a *agent.Agent, want agent.LicenseState) *agent.Status {
	t.Helper()
	st := status(t, a)
	if st.State != want {
		t.Fatalf("state %d %s (%s, ticket error %q), want %d %s", st.State, st.StateText, st.Reason, st.TicketError, want, want)
	}
	return st
}

// TestLicenseStates walks Unlicensed → Initial grace → Licensed, and Initial grace →
// Notification when 30 days pass without activation, then Additional grace on a hardware change.
func TestLicenseStates(t *testing.T) {
	srv, mak := demoMAK(t)
	c := &clock{start}
	a := newAgent(t.TempDir(), "pc-1", c)
	wantState(t, a, agent.Unlicensed)
	if _, err := a.InstallKey(mak, product); err != nil {
		t.Fatal(err)
	}
	st := wantState(t, a, agent.InitialGrace)
	if !st.GraceEnds.Equal(start.Add(30 * 24 * time.Hour)) {
		t.Fatalf("grace ends %v, want 30 days after install", st.GraceEnds)
	}
	c.advance(29 * 24 * time.Hour)
	wantState(t, a, agent.InitialGrace)
	c.advance(24 * time.Hour)
	wantState(t, a, agent.Notification)
	// Reinstalling the key does not restart the initial grace period.
	if _, err := a.InstallKey(mak, ""); err != nil {
		t.Fatal(err)
	}
	wantState(t, a, agent.Notification)

	ctx := context.Background()
	if _, err := a.Activate(ctx, client.New(srv.URL, ""), nil); err != nil {
		t.Fatal(err)
	}
	st = wantState(t, a, agent.Licensed)
	if st.Ticket == nil || st.Ticket.Product != product || st.Expiry() != "the machine is permanently activated" {
		t.Fatalf("licensed status %+v, expiry %q", st, st.Expiry())
	}
	// Hardware out of tolerance: additional grace for 30 days, then notification.
	a.Machine.Hardware = hw(4)
	st = wantState(t, a, agent.AdditionalGrace)
	if len(st.HardwareChanged) != 4 {
		t.Fatalf("hardware changed %v, want 4 components", st.HardwareChanged)
	}
	c.advance(30 * 24 * time.Hour)
	wantState(t, a, agent.Notification)
	// Within tolerance again (3 of 6 changed): licensed.
	a.Machine.Hardware = hw(3)
	wantState(t, a, agent.Licensed)
}

// TestTicketTampering: a ticket altered in any byte, or copied into another machine's state
// directory, is rejected by the agent.
func TestTicketTampering(t *testing.T) {
	srv, mak := demoMAK(t)
	c := &clock{start}
	dir := t.TempDir()
	a := newAgent(dir, "pc-1", c)
	if _, err := a.InstallKey(mak, product); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Activate(context.Background(), client.New(srv.URL, ""), nil); err != nil {
		t.Fatal(err)
	}
	wantState(t, a, agent.Licensed)
	s, err := agent.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	good := s.Ticket
	for i := range len(good) {
		b := []byte(good)
		b[i] ^= 0x01
		s.Ticket = string(b)
		if err := agent.Save(dir, s); err != nil {
			t.Fatal(err)
		}
		if st := status(t, a); st.State == agent.Licensed || st.TicketError == "" {
			t.Fatalf("ticket altered at byte %d: state %s, ticket error %q; want rejected", i, st.StateText, st.TicketError)
		}
	}
	s.Ticket = good
	if err := agent.Save(dir, s); err != nil {
		t.Fatal(err)
	}
	wantState(t, a, agent.Licensed)

	// The whole state directory copied to another machine.
	other := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "state.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	st := wantState(t, newAgent(other, "pc-2", c), agent.InitialGrace)
	if st.TicketError == "" {
		t.Fatal("a ticket copied to another machine was not reported as rejected")
	}
}

func TestPinnedKey(t *testing.T) {
	srv, mak := demoMAK(t)
	other := servertest.Start(t, servertest.Options{})
	c := &clock{start}
	a := newAgent(t.TempDir(), "pc-1", c)
	if _, err := a.InstallKey(mak, product); err != nil {
		t.Fatal(err)
	}
	otherKey, err := client.New(other.URL, "").SigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Pinning another operator's key: the server's ticket does not verify, nothing is stored.
	if _, err := a.Activate(context.Background(), client.New(srv.URL, ""), otherKey); licet.ErrorCode(err) != licet.EInvalid {
		t.Fatalf("activation with a foreign pinned key: %v, want the ticket rejected", err)
	}
	wantState(t, a, agent.InitialGrace)
}

func TestInstallKeyRefusals(t *testing.T) {
	srv, _ := demoMAK(t)
	ks, err := srv.Operator.Keys(context.Background(), "contoso")
	if err != nil {
		t.Fatal(err)
	}
	var host string
	for _, k := range ks {
		if k.Type == "kms-host" {
			host = k.Key
		}
	}
	a := newAgent(t.TempDir(), "pc-1", &clock{start})
	tests := []struct {
		name, key, product, want string
	}{
		{"malformed", "HELLO-WORLD", product, licet.EInvalid},
		{"kms host key", host, product, licet.CodeKeyTypeNotActivatable},
		{"no product", host[:0] + "BCDFG-BCDFG-BCDFG-BCDFG-BCDFG", "", licet.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := a.InstallKey(tt.key, tt.product); licet.ErrorCode(err) != tt.want {
				t.Fatalf("InstallKey: %v, want %s", err, tt.want)
			}
		})
	}
	wantState(t, a, agent.Unlicensed)
}

func TestStateDirectoryErrors(t *testing.T) {
	c := &clock{start}
	corruptDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(corruptDir, "state.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newAgent(corruptDir, "pc-1", c).Status(); licet.ErrorCode(err) != licet.CodeStateCorrupt {
		t.Fatalf("corrupt state: %v, want %s", err, licet.CodeStateCorrupt)
	}
	// A state directory under a regular file cannot be created, even by root.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := newAgent(filepath.Join(file, "state"), "pc-1", c).InstallKey(validMAK(t), product)
	if licet.ErrorCode(err) != licet.CodeStateUnwritable {
		t.Fatalf("unwritable state directory: %v, want %s", err, licet.CodeStateUnwritable)
	}
}

func validMAK(t *testing.T) string {
	_, mak := demoMAK(t)
	return mak
}

func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"version":1,"product":"p","key":"BCDFG-BCDFG-BCDFG-BCDFG-BCDFG"}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1}{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := agent.DecodeState("state.json", data)
		if err == nil && s.Version != agent.StateVersion {
			t.Fatalf("accepted state version %d", s.Version)
		}
		if err != nil && licet.ErrorCode(err) != licet.CodeStateCorrupt {
			t.Fatalf("error code %q, want %s", licet.ErrorCode(err), licet.CodeStateCorrupt)
		}
	})
}
