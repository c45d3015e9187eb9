package agent_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/client/agent"
	"github.com/licet/licet/internal/keys"
)

// offlineAgent installs a fresh MAK on a new agent and returns it with the key.
func offlineAgent(t *testing.T, id string, c *clock) (*agent.Agent, keys.Key) {
	t.Helper()
	k, err := keys.New(keys.MAK, 111, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := newAgent(t.TempDir(), id, c)
	if _, err := a.InstallKey(k.String(), product); err != nil {
		t.Fatal(err)
	}
	return a, k
}

// sign makes the confirmation ID the service would send for an installation ID.
func sign(t *testing.T, priv ed25519.PrivateKey, iid string) string {
	t.Helper()
	id, err := keys.ParseInstallationID(iid)
	if err != nil {
		t.Fatal(err)
	}
	return keys.SignConfirmation(priv, 1, id, start, 7).String()
}

func TestConfirmOffline(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	c := &clock{t: start}
	a, k := offlineAgent(t, "isolated", c)
	m, err := a.InstallationID()
	if err != nil {
		t.Fatal(err)
	}
	want := keys.NewInstallationID(k, keys.ProductNumber(product), keys.MachineFingerprint("isolated")).String()
	if m.InstallationID != want || m.Machine != "isolated" || m.Product != product {
		t.Fatalf("installation ID = %+v; want %s for machine isolated", m, want)
	}
	// Another machine with the same key has another installation ID; its confirmation is foreign here.
	b := newAgent(t.TempDir(), "elsewhere", c)
	if _, err := b.InstallKey(k.String(), product); err != nil {
		t.Fatal(err)
	}
	bm, _ := b.InstallationID()
	cid := sign(t, priv, m.InstallationID)
	typo := []byte(cid)
	typo[7*5+2] = '0' + (typo[7*5+2]-'0'+3)%10 // a digit of group 6

	tests := []struct {
		name  string
		cid   string
		pin   ed25519.PublicKey
		code  string
		group int
	}{
		{"no operator key pinned", cid, nil, licet.EInvalid, 0},
		{"another machine's confirmation", sign(t, priv, bm.InstallationID), pub, licet.CodeForeignConfirmation, 0},
		{"signed by another operator key", sign(t, otherPriv, m.InstallationID), pub, licet.CodeForeignConfirmation, 0},
		{"one digit mistyped", string(typo), pub, licet.EInvalid, 6},
		{"a group missing", cid[:len(cid)-7], pub, licet.EInvalid, 0},
		{"letters", "x" + cid[1:], pub, licet.EInvalid, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Confirm(tt.cid, tt.pin, "offline")
			var le *licet.Error
			if !errors.As(err, &le) || le.Code != tt.code {
				t.Fatalf("error = %v; want code %s", err, tt.code)
			}
			if tt.group != 0 && le.Details["group"] != tt.group {
				t.Errorf("error %v does not name group %d", err, tt.group)
			}
			if st := status(t, a); st.State != agent.InitialGrace {
				t.Errorf("state after a refused confirmation = %s; want Initial grace", st.StateText)
			}
		})
	}

	st, err := a.Confirm(cid, pub, "offline")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != agent.Licensed || st.Ticket == nil || st.Ticket.Method != "offline" || st.Ticket.Serial != "7" {
		t.Fatalf("after confirm: %s, ticket %+v; want Licensed by an offline activation with serial 7", st.StateText, st.Ticket)
	}
	// The state directory copied to another machine is not licensed there.
	moved := &agent.Agent{Dir: a.Dir, Now: c.Now, Machine: licet.Machine{ID: "elsewhere", Hardware: hw(0)}}
	if st := status(t, moved); st.State != agent.InitialGrace || !strings.Contains(st.Reason, "installation ID") {
		t.Errorf("copied state: %s (%s); want Initial grace naming the installation ID", st.StateText, st.Reason)
	}
	// Hardware beyond tolerance puts it in additional grace, as for an online activation.
	a.Machine.Hardware = hw(4)
	if st := status(t, a); st.State != agent.AdditionalGrace {
		t.Errorf("hardware changed: %s; want Additional grace", st.StateText)
	}
	a.Machine.Hardware = hw(1)
	if st := status(t, a); st.State != agent.Licensed {
		t.Errorf("hardware within tolerance: %s; want Licensed", st.StateText)
	}
	// A new key drops the offline activation.
	if _, err := a.InstallKey(k.String(), product); err != nil {
		t.Fatal(err)
	}
	if st := status(t, a); st.State != agent.InitialGrace {
		t.Errorf("after reinstalling the key: %s; want Initial grace", st.StateText)
	}
	// The pinned key stays: a different --pubkey later is refused.
	otherPub := otherPriv.Public().(ed25519.PublicKey)
	if _, err := a.Confirm(cid, otherPub, "offline"); licet.ErrorCode(err) != licet.EConflict {
		t.Errorf("confirm with another pubkey than the pinned one: %v; want conflict", err)
	}
}

func TestInstallationIDNeedsMAK(t *testing.T) {
	c := &clock{t: start}
	a := newAgent(t.TempDir(), "m", c)
	if _, err := a.InstallationID(); licet.ErrorCode(err) != licet.EInvalid {
		t.Errorf("no key installed: %v; want invalid", err)
	}
	gvlk, _ := keys.New(keys.KMSClient, 111, nil)
	if _, err := a.InstallKey(gvlk.String(), product); err != nil {
		t.Fatal(err)
	}
	if _, err := a.InstallationID(); licet.ErrorCode(err) != licet.CodeKeyTypeNotActivatable {
		t.Errorf("kms-client key: %v; want KeyTypeNotActivatable", err)
	}
}

func TestParseMachines(t *testing.T) {
	c := &clock{t: start}
	var ids []string
	for i := 0; i < 3; i++ {
		a, _ := offlineAgent(t, fmt.Sprintf("pc-%d", i), c)
		m, _ := a.InstallationID()
		ids = append(ids, m.InstallationID)
	}
	typo := []byte(ids[1])
	typo[8*2+1] = '0' + (typo[8*2+1]-'0'+1)%10 // group 3
	tests := []struct {
		name      string
		file      string
		n         int
		badLines  []int
		errSubstr string
	}{
		{"json lines, a bare ID, comments and blanks",
			fmt.Sprintf("# collected 2026-11-22\n{\"installationId\":%q,\"machine\":\"pc-0\",\"hostname\":\"pc0\"}\n\n%s\n  %s  \n", ids[0], ids[1], strings.ReplaceAll(ids[2], "-", " ")), 3, nil, ""},
		{"garbage lines with their numbers",
			fmt.Sprintf("%s\nhello\n{\"installationId\":%q}\n{\"nope\":1}\n%s\n", ids[0], string(typo), ids[2]), 0, []int{2, 3, 4}, "line 3: group 3 of the installation ID is mistyped"},
		{"empty", "\n# nothing\n", 0, nil, "no installation ID"},
		{"a line too long", strings.Repeat("1", 10000), 0, nil, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := agent.ParseMachines(strings.NewReader(tt.file))
			if tt.errSubstr == "" {
				if err != nil || len(ms) != tt.n {
					t.Fatalf("got %d machines, %v; want %d", len(ms), err, tt.n)
				}
				for i, m := range ms {
					if m.InstallationID != ids[i] {
						t.Errorf("machine %d: %s; want the canonical %s", i, m.InstallationID, ids[i])
					}
				}
				return
			}
			var le *licet.Error
			if !errors.As(err, &le) || le.Code != licet.EInvalid || !strings.Contains(le.Message, tt.errSubstr) {
				t.Fatalf("error = %v; want invalid containing %q", err, tt.errSubstr)
			}
			if tt.badLines != nil && fmt.Sprint(le.Details["lines"]) != fmt.Sprint(tt.badLines) {
				t.Errorf("bad lines %v; want %v", le.Details["lines"], tt.badLines)
			}
		})
	}
}

func TestConfirmFromResults(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	c := &clock{t: start}
	a, _ := offlineAgent(t, "pc-1", c)
	b, _ := offlineAgent(t, "pc-2", c)
	am, _ := a.InstallationID()
	bm, _ := b.InstallationID()
	results := []licet.ProxyResult{
		{ProxyMachine: am, ConfirmationID: sign(t, priv, am.InstallationID)},
		{ProxyMachine: bm, Error: licet.Errorf(licet.CodeActivationLimitExceeded, "MAK has exceeded its limit")},
	}
	var file strings.Builder
	if err := agent.WriteResults(&file, results); err != nil {
		t.Fatal(err)
	}
	parsed, err := agent.ParseResults(strings.NewReader(file.String()))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := a.ConfirmFrom(parsed, pub); err != nil || st.State != agent.Licensed || st.Ticket.Method != "proxy" {
		t.Fatalf("machine with a confirmation: %v %+v; want Licensed by proxy", err, st)
	}
	if _, err := b.ConfirmFrom(parsed, pub); licet.ErrorCode(err) != licet.CodeActivationLimitExceeded {
		t.Errorf("machine with an error line: %v; want its ActivationLimitExceeded", err)
	}
	stranger, _ := offlineAgent(t, "pc-3", c)
	if _, err := stranger.ConfirmFrom(parsed, pub); licet.ErrorCode(err) != licet.ENotFound {
		t.Errorf("machine without a line: %v; want NotFound", err)
	}
	if _, err := agent.ParseResults(strings.NewReader(file.String() + "oops\n")); licet.ErrorCode(err) != licet.EInvalid || !strings.Contains(err.Error(), "[3]") {
		t.Errorf("results file with a garbage line 3: %v; want invalid naming line 3", err)
	}
}

func FuzzParseMachines(f *testing.F) {
	f.Add("1234567-1234567-1234567-1234567-1234567-1234567-1234567-1234567-1234567\n")
	f.Add(`{"installationId":"2453379-8572750-7386325-9302157-3332247-5738000-1922052-5677243-9942417","machine":"m"}` + "\n# c\n\nx\n")
	f.Add("{\"installationId\":1}\n{}\n{\"line\":-1}")
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := agent.ParseMachines(strings.NewReader(s))
		if err != nil {
			if licet.ErrorCode(err) != licet.EInvalid {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		for _, m := range ms {
			if _, err := keys.ParseInstallationID(m.InstallationID); err != nil || m.Line < 1 {
				t.Fatalf("accepted machine %+v: %v", m, err)
			}
		}
	})
}

func FuzzParseResults(f *testing.F) {
	f.Add(`{"installationId":"1","confirmationId":"2","line":3}` + "\n")
	f.Add(`{"error":{"code":"x","message":"y"}}` + "\nnope")
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := agent.ParseResults(strings.NewReader(s)); err != nil && licet.ErrorCode(err) != licet.EInvalid {
			t.Fatalf("error %v is not invalid", err)
		}
	})
}
