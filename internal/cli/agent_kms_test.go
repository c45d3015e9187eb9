package cli_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/server/servertest"
)

// TestClientKMSSession runs the README's KMS session through the command line: the demo's
// kms-host key activates a host, `licet kms serve` answers, machines with the GVLK activate
// through it below and at the threshold, status shows the host and its count, the daemon retries.
func TestClientKMSSession(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	admin := []string{"--server", s.URL, "--token", s.Token}
	var ks []struct{ Key, Type string }
	runJSON(t, &ks, append(admin, "key", "list", "--tenant", "contoso", "--json")...)
	var hostKey string
	for _, k := range ks {
		if k.Type == "kms-host" {
			hostKey = k.Key
		}
	}
	var gvlks []struct{ Product, Key string }
	runJSON(t, &gvlks, append(admin, "key", "gvlk", "--json")...)
	gvlk := map[string]string{}
	for _, g := range gvlks {
		gvlk[g.Product] = g.Key
	}
	dir := t.TempDir()
	hostDir := filepath.Join(dir, "kms")
	if code, out, errText := Run(t, nil, "--server", s.URL, "kms", "activate", "--key", hostKey, "--state-dir", hostDir); code != 0 {
		t.Fatalf("kms activate: exit %d, out %q, err %q", code, out, errText)
	}
	url, _ := Listen(t, "kms", "serve", "--state-dir", hostDir, "--addr", "127.0.0.1:0", "--no-dns-publish")
	hostAddr := strings.TrimPrefix(url, "http://")

	client := func(machine string, args ...string) (int, string, string) {
		t.Helper()
		return Run(t, nil, append([]string{"client", "--state-dir", filepath.Join(dir, machine), "--machine-id", machine}, args...)...)
	}
	must := func(machine string, args ...string) string {
		t.Helper()
		code, out, errText := client(machine, args...)
		if code != 0 {
			t.Fatalf("%s %v: exit %d, err %q", machine, args, code, errText)
		}
		return out
	}
	must("pc-1", "install-key", gvlk["contoso-desktop-11"], "--product", "contoso-desktop-11")
	if out := must("pc-1", "set-host", hostAddr); !strings.Contains(out, "fixed host "+hostAddr) {
		t.Fatalf("set-host: %q", out)
	}
	out := must("pc-1", "activate")
	for _, want := range []string{"Not activated yet", "has seen 1 of the 25", "Initial grace period (2)", "KMS count:       1 of 25 (systems pool)", "Next retry:"} {
		if !strings.Contains(out, want) {
			t.Errorf("activate below the threshold: output lacks %q:\n%s", want, out)
		}
	}
	var st struct {
		State int `json:"state"`
		KMS   struct {
			Host      string     `json:"host"`
			Count     int        `json:"count"`
			Threshold int        `json:"threshold"`
			NextRetry *time.Time `json:"nextRetry"`
		} `json:"kms"`
	}
	runJSON(t, &st, "client", "--state-dir", filepath.Join(dir, "pc-1"), "--machine-id", "pc-1", "status", "--json")
	if st.State != 2 || st.KMS.Host != hostAddr || st.KMS.Count != 1 || st.KMS.Threshold != 25 || st.KMS.NextRetry == nil {
		t.Fatalf("status --json: %+v; want initial grace, 1 of 25 via %s, a retry time", st, hostAddr)
	}

	// A server product activates at 5 (the systems pool counts pc-1 too).
	for i := 1; i <= 4; i++ {
		m := fmt.Sprintf("srv-%d", i)
		must(m, "install-key", gvlk["contoso-server-2026"], "--product", "contoso-server-2026")
		must(m, "set-host", hostAddr)
		if out := must(m, "activate"); !strings.Contains(out, fmt.Sprintf("has seen %d of the 5", i+1)) && i < 4 {
			t.Fatalf("%s: %s", m, out)
		} else if i == 4 && !strings.Contains(out, "Activated contoso-server-2026 through KMS host "+hostAddr) {
			t.Fatalf("%s at the threshold: %s", m, out)
		}
	}
	out = must("srv-4", "status", "--verbose")
	for _, want := range []string{"Licensed (1)", "KMS count:       5 of 5", "Next renewal:", "Activation ends:", "180 days after the last renewal", "Host caching:    off (a fixed host is set)", "Operator key:"} {
		if !strings.Contains(out, want) {
			t.Errorf("status --verbose of an activated machine lacks %q:\n%s", want, out)
		}
	}

	// The daemon's step: nothing due now; three hours later pc-1 retries.
	if out := must("pc-1", "daemon", "--once"); !strings.Contains(out, "waiting: Initial grace period; next contact") {
		t.Errorf("daemon --once before the retry: %q", out)
	}
	later := time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)
	if out := must("pc-1", "--now", later, "daemon", "--once"); !strings.Contains(out, "retry: Initial grace period, count 5 of 25 via "+hostAddr) {
		t.Errorf("daemon --once at the retry: %q", out)
	}

	if out := must("pc-1", "clear-host"); !strings.Contains(out, "SRV records _licet-kms._tcp") {
		t.Errorf("clear-host: %q", out)
	}
	tests := []struct {
		name    string
		machine string
		args    []string
		code    int
		want    string
	}{
		{"bad host", "pc-1", []string{"set-host", "http://kms"}, 1, "[Invalid]"},
		{"daemon on a fixed clock", "pc-1", []string{"--now", later, "daemon"}, 2, "--once"},
		{"DNS flags with no kms-client key", "pc-9", []string{"activate", "--dns-domain", "corp.example"}, 2, "kms-client"},
		{"bad domain", "pc-1", []string{"activate", "--dns-domain", "corp example"}, 1, "[Invalid]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errText := client(tt.machine, tt.args...)
			if code != tt.code || !strings.Contains(errText, tt.want) {
				t.Fatalf("exit %d, err %q; want %d and %q", code, errText, tt.code, tt.want)
			}
		})
	}
}

func runJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	code, out, errText := Run(t, nil, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d, err %q", args, code, errText)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v: %v in %q", args, err, out)
	}
}
