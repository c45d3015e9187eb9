package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

// csvRows parses `machines list --csv` into one map per machine, keyed by the header.
func csvRows(t *testing.T, out string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("machines list --csv printed %q: %v", out, err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

// TestMachinesInventory activates machines of contoso online (a MAK), offline (an installation
// ID) and through a real KMS host (`licet kms serve` on 127.0.0.1, whose table reaches the
// central service with `licet kms report`, signed with the host's key), then lists the inventory
// as CSV: each machine once, with its method and state. 31 days later (the service's clock), the
// silent machines are stale and one activated since is not.
func TestMachinesInventory(t *testing.T) {
	servertest.EachClocked(t, servertest.Options{}, func(t *testing.T, s *servertest.Server, clk *servertest.Clock) {
		ctx := context.Background()
		admin := cliEnv{t: t, env: map[string]string{"LICET_SERVER": s.URL, "LICET_TOKEN": s.Token}}
		dir := t.TempDir()
		machine := func(id string, args ...string) string {
			t.Helper()
			out, _ := cliEnv{t: t, env: map[string]string{"LICET_SERVER": s.URL}}.run(0, append([]string{"client", "--state-dir", filepath.Join(dir, id), "--machine-id", id}, args...)...)
			return out
		}

		// Online: a MAK.
		mak := issueMAK(t, s, 10)
		machine("desk-1", "install-key", mak, "--product", "contoso-desktop-11")
		machine("desk-1", "activate")
		// Offline: the installation ID, answered by the activation centre.
		machine("isolated-pc", "install-key", mak, "--product", "contoso-desktop-11")
		var pm licet.ProxyMachine
		if err := json.Unmarshal([]byte(machine("isolated-pc", "installation-id", "--json")), &pm); err != nil {
			t.Fatal(err)
		}
		admin.run(0, "activate-offline", "--installation-id", pm.InstallationID)

		// KMS: the demo's host key activates a host; five servers activate through it.
		var ks []struct{ Key, Type string }
		out, _ := admin.run(0, "key", "list", "--tenant", "contoso", "--json")
		if err := json.Unmarshal([]byte(out), &ks); err != nil {
			t.Fatal(err)
		}
		hostKey := ks[slices.IndexFunc(ks, func(k struct{ Key, Type string }) bool { return k.Type == "kms-host" })].Key
		var gvlks []struct{ Product, Key string }
		out, _ = admin.run(0, "key", "gvlk", "--json")
		if err := json.Unmarshal([]byte(out), &gvlks); err != nil {
			t.Fatal(err)
		}
		gvlk := gvlks[slices.IndexFunc(gvlks, func(g struct{ Product, Key string }) bool { return g.Product == "contoso-server-2026" })].Key
		hostDir := filepath.Join(dir, "kms")
		admin.run(0, "kms", "activate", "--key", hostKey, "--state-dir", hostDir)
		url, _ := Listen(t, "kms", "serve", "--state-dir", hostDir, "--addr", "127.0.0.1:0", "--no-dns-publish", "--report", "--server", s.URL)
		hostAddr := strings.TrimPrefix(url, "http://")
		for i := 1; i <= 5; i++ {
			m := fmt.Sprintf("srv-%d", i)
			machine(m, "install-key", gvlk, "--product", "contoso-server-2026")
			machine(m, "set-host", hostAddr)
			machine(m, "activate")
		}
		out, _ = admin.run(0, "kms", "report", "--state-dir", hostDir)
		if !strings.Contains(out, "Reported 5 clients") {
			t.Fatalf("kms report: %q; want 5 clients reported", out)
		}
		if out, _ = admin.run(0, "kms", "report", "--state-dir", hostDir); !strings.Contains(out, "Reported 0 clients") {
			t.Errorf("kms report again: %q; want nothing new", out)
		}

		out, _ = admin.run(0, "machines", "list", "--tenant", "contoso", "--csv")
		t.Logf("machines list --tenant contoso --csv:\n%s", out)
		rows := csvRows(t, out)
		want := map[string][2]string{ // machine → method, state
			"desk-1": {"online", "Licensed"}, "iid:" + pm.Machine: {"offline", "Licensed"},
			"srv-1": {"kms", "InitialGrace"}, "srv-2": {"kms", "InitialGrace"}, "srv-3": {"kms", "InitialGrace"}, "srv-4": {"kms", "InitialGrace"},
			"srv-5": {"kms", "Licensed"},
		}
		seen := map[string]int{}
		for _, r := range rows {
			if strings.HasPrefix(r["machineId"], "iid:") {
				r["machineId"] = "iid:" + pm.Machine
			}
			seen[r["machineId"]]++
			w, ok := want[r["machineId"]]
			if !ok || r["method"] != w[0] || r["state"] != w[1] || r["tenant"] != "contoso" || r["stale"] != "false" {
				t.Errorf("row %v; want method and state %v", r, w)
			}
			if w[0] == "kms" && r["hostId"] == "" {
				t.Errorf("%s: no KMS host id", r["machineId"])
			}
		}
		for m := range want {
			if seen[m] != 1 {
				t.Errorf("%s listed %d times; want once", m, seen[m])
			}
		}

		// 31 days later one more machine activates; the others have been silent since.
		clk.Add(31 * 24 * time.Hour)
		if _, err := s.Operator.Activate(ctx, licet.ActivationRequest{Key: mak, Product: "contoso-desktop-11", Machine: licet.Machine{ID: "desk-2"}}); err != nil {
			t.Fatal(err)
		}
		out, _ = admin.run(0, "machines", "list", "--tenant", "contoso", "--stale", "30d", "--csv")
		stale := csvRows(t, out)
		if len(stale) != len(want) {
			t.Errorf("--stale 30d lists %d machines; want the %d silent ones:\n%s", len(stale), len(want), out)
		}
		for _, r := range stale {
			if r["machineId"] == "desk-2" || r["stale"] != "true" {
				t.Errorf("--stale 30d row %v; want silent machines only, marked stale", r)
			}
		}
		var online []licet.InventoryMachine
		out, _ = admin.run(0, "machines", "list", "--tenant", "contoso", "--method", "online", "--json")
		if err := json.Unmarshal([]byte(out), &online); err != nil || len(online) != 2 || !online[0].Stale || online[1].Stale || online[1].MachineID != "desk-2" {
			t.Errorf("--method online --json: %s (%v); want desk-1 stale and desk-2 not", out, err)
		}
		out, _ = admin.run(0, "machines", "show", fmt.Sprint(online[1].ID))
		for _, s := range []string{"Machine:      desk-2", "Method:       online", "State:        Licensed", "Stale:        no"} {
			if !strings.Contains(out, s) {
				t.Errorf("machines show lacks %q:\n%s", s, out)
			}
		}
		admin.run(2, "machines", "list", "--stale", "soon")
		_, stderr := admin.run(1, "machines", "list", "--state", "Happy")
		if !strings.Contains(stderr, "[Invalid]") {
			t.Errorf("--state Happy: %q", stderr)
		}
	})
}

// TestAgentReport: `licet client daemon --once --report` with a tenant token sends the machine's
// license state; a machine activated online keeps its method, and one known only from its
// report shows as an agent machine in initial grace.
func TestAgentReport(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	tok, err := s.Operator.CreateToken(context.Background(), licet.Token{Role: licet.RoleTenant, Tenant: "contoso", Label: "agents"})
	if err != nil {
		t.Fatal(err)
	}
	admin := cliEnv{t: t, env: map[string]string{"LICET_SERVER": s.URL, "LICET_TOKEN": s.Token}}
	agentEnv := cliEnv{t: t, env: map[string]string{"LICET_SERVER": s.URL, "LICET_TOKEN": tok.Secret}}
	dir := t.TempDir()
	mak := issueMAK(t, s, 5)
	agentEnv.run(0, "client", "--state-dir", filepath.Join(dir, "a"), "--machine-id", "laptop-a", "install-key", mak, "--product", "contoso-desktop-11")
	agentEnv.run(0, "client", "--state-dir", filepath.Join(dir, "a"), "--machine-id", "laptop-a", "activate")
	agentEnv.run(0, "client", "--state-dir", filepath.Join(dir, "b"), "--machine-id", "laptop-b", "install-key", mak, "--product", "contoso-desktop-11")
	for _, m := range []string{"a", "b"} {
		agentEnv.run(0, "client", "--state-dir", filepath.Join(dir, m), "--machine-id", "laptop-"+m, "daemon", "--once", "--report")
	}
	out, _ := admin.run(0, "machines", "list", "--tenant", "contoso", "--csv")
	rows := csvRows(t, out)
	got := map[string]string{}
	for _, r := range rows {
		got[r["machineId"]] = r["method"] + " " + r["state"]
	}
	want := map[string]string{"laptop-a": "online Licensed", "laptop-b": "agent InitialGrace"}
	if len(got) != 2 || got["laptop-a"] != want["laptop-a"] || got["laptop-b"] != want["laptop-b"] {
		t.Fatalf("inventory %v; want %v\n%s", got, want, out)
	}
}
