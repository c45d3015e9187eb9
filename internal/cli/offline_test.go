package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

// cli runs licet commands against a test server with a token, failing on an unexpected exit code.
type cliEnv struct {
	t   *testing.T
	env map[string]string
}

func (c cliEnv) run(want int, args ...string) (string, string) {
	c.t.Helper()
	code, stdout, stderr := Run(c.t, c.env, args...)
	if code != want {
		c.t.Fatalf("licet %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

func (c cliEnv) as(token string) cliEnv {
	env := map[string]string{"LICET_SERVER": c.env["LICET_SERVER"], "LICET_TOKEN": token}
	return cliEnv{t: c.t, env: env}
}

// issueMAK issues a MAK for the demo's desktop product with a limit.
func issueMAK(t *testing.T, s *servertest.Server, limit int64) string {
	t.Helper()
	k, err := s.Operator.IssueKey(context.Background(), licet.KeyRequest{Agreement: "CONTOSO-OL-0001", Group: "desktop-11", Type: "mak", Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	return k.Key
}

func (c cliEnv) used(s *servertest.Server, key string) int64 {
	c.t.Helper()
	k, err := s.Operator.LookupKey(context.Background(), key)
	if err != nil {
		c.t.Fatal(err)
	}
	return k.Used
}

// TestOfflineRoundTrip: an isolated machine prints its installation ID, the activation centre
// turns it into a confirmation ID, the machine installs it and is Licensed; one activation is
// consumed. A typo is reported by its group; another machine's confirmation ID is refused.
func TestOfflineRoundTrip(t *testing.T) {
	servertest.Each(t, servertest.Options{}, func(t *testing.T, s *servertest.Server) {
		c := cliEnv{t: t, env: map[string]string{"LICET_SERVER": s.URL, "LICET_TOKEN": s.Token}}
		mak := issueMAK(t, s, 5)
		isolated, other := filepath.Join(t.TempDir(), "isolated"), filepath.Join(t.TempDir(), "other")
		// The isolated machine knows no server: an empty environment.
		machine := cliEnv{t: t, env: map[string]string{}}
		machine.run(0, "client", "--state-dir", isolated, "--machine-id", "isolated-pc", "install-key", mak, "--product", "contoso-desktop-11")
		machine.run(0, "client", "--state-dir", other, "--machine-id", "other-pc", "install-key", mak, "--product", "contoso-desktop-11")
		out, _ := machine.run(0, "client", "--state-dir", isolated, "--machine-id", "isolated-pc", "installation-id", "--json")
		var m licet.ProxyMachine
		if err := json.Unmarshal([]byte(out), &m); err != nil || strings.Count(out, "\n") != 1 {
			t.Fatalf("installation-id --json printed %q (%v); want one JSON line", out, err)
		}

		// A one-digit typo in group 7 is reported with its group number; nothing is consumed.
		typo := []byte(m.InstallationID)
		typo[6*8+3] = '0' + (typo[6*8+3]-'0'+5)%10
		_, stderr := c.run(1, "activate-offline", "--installation-id", string(typo))
		if !strings.Contains(stderr, "group 7 of the installation ID is mistyped") {
			t.Errorf("typo: stderr %q does not name group 7", stderr)
		}
		if got := c.used(s, mak); got != 0 {
			t.Fatalf("used = %d after a typo; want 0", got)
		}

		out, _ = c.run(0, "activate-offline", "--installation-id", m.InstallationID, "--json")
		var conf licet.Confirmation
		if err := json.Unmarshal([]byte(out), &conf); err != nil || !conf.Consumed {
			t.Fatalf("activate-offline: %s (%v); want a consumed confirmation", out, err)
		}
		if got := c.used(s, mak); got != 1 {
			t.Errorf("used = %d after the offline activation; want 1", got)
		}
		pub, _ := c.run(0, "pubkey")
		pubkey := strings.TrimSpace(pub)

		// The confirmation ID of the isolated machine is refused on the other machine.
		_, stderr = machine.run(1, "client", "--state-dir", other, "--machine-id", "other-pc", "confirm", conf.ConfirmationID, "--pubkey", pubkey)
		if !strings.Contains(stderr, "[ForeignConfirmation]") {
			t.Errorf("foreign confirmation: stderr %q; want ForeignConfirmation", stderr)
		}
		out, _ = machine.run(0, "client", "--state-dir", other, "--machine-id", "other-pc", "status")
		if !strings.Contains(out, "Initial grace period (2)") {
			t.Errorf("the other machine after a refused confirmation:\n%s", out)
		}

		out, _ = machine.run(0, "client", "--state-dir", isolated, "--machine-id", "isolated-pc", "confirm", conf.ConfirmationID, "--pubkey", pubkey)
		if !strings.Contains(out, "Licensed (1)") {
			t.Errorf("confirm:\n%s\nwant Licensed", out)
		}
		out, _ = machine.run(0, "client", "--state-dir", isolated, "--machine-id", "isolated-pc", "status", "--json")
		var st struct {
			State  int `json:"state"`
			Ticket struct {
				Method string `json:"method"`
			} `json:"ticket"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil || st.State != 1 || st.Ticket.Method != "offline" {
			t.Errorf("status --json: %s (%v); want state 1, method offline", out, err)
		}
		// Phoning again with the same installation ID consumes nothing.
		c.run(0, "activate-offline", "--installation-id", m.InstallationID)
		if got := c.used(s, mak); got != 1 {
			t.Errorf("used = %d after a replay; want 1", got)
		}
	})
}

// TestProxyActivate: 10 machines' installation IDs against a MAK with 6 remaining give 6
// confirmation IDs and 4 limit errors in the file's order; applying the results makes exactly
// those 6 Licensed.
func TestProxyActivate(t *testing.T) {
	servertest.Each(t, servertest.Options{}, func(t *testing.T, s *servertest.Server) {
		c := cliEnv{t: t, env: map[string]string{"LICET_SERVER": s.URL, "LICET_TOKEN": s.Token}}
		mak := issueMAK(t, s, 8)
		// Two machines activated online before: 6 remain.
		for i := 0; i < 2; i++ {
			dir := filepath.Join(t.TempDir(), "online")
			id := fmt.Sprintf("online-%d", i)
			c.run(0, "client", "--state-dir", dir, "--machine-id", id, "install-key", mak, "--product", "contoso-desktop-11")
			c.run(0, "client", "--state-dir", dir, "--machine-id", id, "activate")
		}
		dir := t.TempDir()
		machines := filepath.Join(dir, "machines.jsonl")
		var lines []string
		states := make([]string, 10)
		for i := range states {
			states[i] = filepath.Join(dir, fmt.Sprintf("pc%d", i+1))
			id := fmt.Sprintf("pc-%02d", i+1)
			c.run(0, "client", "--state-dir", states[i], "--machine-id", id, "install-key", mak, "--product", "contoso-desktop-11")
			out, _ := c.run(0, "client", "--state-dir", states[i], "--machine-id", id, "installation-id", "--json")
			lines = append(lines, out)
		}
		if err := os.WriteFile(machines, []byte(strings.Join(lines, "")), 0o600); err != nil {
			t.Fatal(err)
		}
		// A file with garbage lines is refused with their numbers, before anything is sent.
		garbage := filepath.Join(dir, "garbage.jsonl")
		os.WriteFile(garbage, []byte(lines[0]+"not an id\n"+lines[1]+"{\"installationId\": \"12\"}\n"), 0o600)
		_, stderr := c.run(1, "proxy-activate", "--key", mak, "--machines", garbage)
		if !strings.Contains(stderr, "line 2:") || !strings.Contains(stderr, "line 4:") || strings.Contains(stderr, "line 1:") {
			t.Errorf("garbage lines: %q; want lines 2 and 4 reported", stderr)
		}
		if got := c.used(s, mak); got != 2 {
			t.Fatalf("used = %d after a refused file; want 2", got)
		}

		results := filepath.Join(dir, "results.jsonl")
		out, stderr := c.run(1, "proxy-activate", "--key", mak, "--machines", machines, "--out", results)
		if !strings.Contains(out, "6 activated, 4 failed; 0 activations remain") || !strings.Contains(stderr, "[ProxyIncomplete]") {
			t.Errorf("proxy-activate:\n%s\n%s", out, stderr)
		}
		b, err := os.ReadFile(results)
		if err != nil {
			t.Fatal(err)
		}
		rs := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(rs) != 10 {
			t.Fatalf("%d result lines; want 10", len(rs))
		}
		for i, line := range rs {
			var r licet.ProxyResult
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			limited := r.Error != nil && r.Error.Code == licet.CodeActivationLimitExceeded
			if r.Line != i+1 || (i < 6) != (r.ConfirmationID != "") || (i >= 6) != limited {
				t.Errorf("result line %d: %s; want %s", i+1, line, map[bool]string{true: "a confirmation ID", false: "ActivationLimitExceeded"}[i < 6])
			}
		}
		pub, _ := c.run(0, "pubkey")
		for i, st := range states {
			id := fmt.Sprintf("pc-%02d", i+1)
			want, code := "Licensed (1)", 0
			if i >= 6 {
				want, code = "Initial grace period (2)", 1
			}
			c.run(code, "client", "--state-dir", st, "--machine-id", id, "confirm", "--from", results, "--pubkey", strings.TrimSpace(pub))
			out, _ := c.run(0, "client", "--state-dir", st, "--machine-id", id, "status")
			if !strings.Contains(out, want) {
				t.Errorf("%s after applying the results:\n%s\nwant %s", id, out, want)
			}
		}
		if got := c.used(s, mak); got != 8 {
			t.Errorf("used = %d; want the limit 8", got)
		}
	})
}

// TestMAKRequestCLI: a partner submits a promotional request, another partner cannot see it,
// the operator approves it and gets a MAK whose limit is the number of systems.
func TestMAKRequestCLI(t *testing.T) {
	servertest.Each(t, servertest.Options{}, func(t *testing.T, s *servertest.Server) {
		op := cliEnv{t: t, env: map[string]string{"LICET_SERVER": s.URL, "LICET_TOKEN": s.Token}}
		token := func(partner string) string {
			out, _ := op.run(0, "token", "create", "--partner", partner, "--json")
			var tok struct {
				Secret string `json:"secret"`
			}
			if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.Secret == "" {
				t.Fatalf("token create: %s (%v)", out, err)
			}
			return tok.Secret
		}
		oemA, oemB := op.as(token("oem-a")), op.as(token("oem-b"))
		submit := []string{"mak-request", "submit", "--company", "Northwind Traders", "--contact-name", "Ana Trujillo",
			"--contact-email", "ana@northwind.example", "--contact-phone", "+44 20 7946 0958", "--systems", "12",
			"--deployment-date", "2026-12-01", "--product-group", "desktop-11", "--json"}
		_, stderr := oemA.run(1, append(append([]string(nil), submit[:len(submit)-1]...), "--contact-phone", "12345")...)
		if !strings.Contains(stderr, "contactPhone") {
			t.Errorf("bad phone: %q", stderr)
		}
		out, _ := oemA.run(0, submit...)
		var r licet.MAKRequest
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		_, stderr = oemB.run(1, "mak-request", "show", fmt.Sprint(r.ID))
		if !strings.Contains(stderr, "[NotFound]") {
			t.Errorf("another partner's show: %q; want NotFound", stderr)
		}
		if out, _ := oemB.run(0, "mak-request", "list"); strings.Contains(out, "Northwind") {
			t.Errorf("another partner's list shows the request:\n%s", out)
		}
		oemA.run(1, "mak-request", "approve", fmt.Sprint(r.ID))
		out, _ = op.run(0, "mak-request", "approve", fmt.Sprint(r.ID), "--json")
		if err := json.Unmarshal([]byte(out), &r); err != nil || r.Status != "approved" || r.Tenant != "northwind-traders" {
			t.Fatalf("approve: %s (%v)", out, err)
		}
		k, err := s.Operator.LookupKey(context.Background(), r.Key)
		if err != nil || k.Limit != 12 || k.Type != "mak" || k.Tenant != "northwind-traders" {
			t.Errorf("the promotional MAK: %+v (%v); want a mak with limit 12 for northwind-traders", k, err)
		}
		if out, _ := oemA.run(0, "mak-request", "show", fmt.Sprint(r.ID)); !strings.Contains(out, r.Key) {
			t.Errorf("the partner's show lacks the MAK:\n%s", out)
		}
	})
}
