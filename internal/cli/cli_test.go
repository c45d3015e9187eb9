package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/licet/licet/internal/server/servertest"
)

// run runs the command line against the test server and returns stdout and the exit code.
func run(t *testing.T, s *servertest.Server, args ...string) (string, int) {
	t.Helper()
	code, stdout, stderr := Run(t, map[string]string{"LICET_SERVER": s.URL, "LICET_TOKEN": s.Token}, args...)
	return stdout + stderr, code
}

// TestFirstActivation is the README's first activation: list contoso's keys, install the MAK,
// walk the license states with the hidden --now, activate, and see the key's count.
func TestFirstActivation(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	out, code := run(t, s, "key", "list", "--tenant", "contoso", "--json")
	var ks []struct {
		Key, Type string
	}
	if code != 0 || json.Unmarshal([]byte(out), &ks) != nil {
		t.Fatalf("key list: exit %d: %s", code, out)
	}
	var mak string
	for _, k := range ks {
		if k.Type == "mak" {
			mak = k.Key
		}
	}
	dir := t.TempDir()
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"client", "status", "--now", "2026-11-22"}, 0, "Unlicensed (0)"},
		{[]string{"client", "install-key", mak, "--product", "contoso-desktop-11", "--now", "2026-11-22"}, 0, "Initial grace period (2)"},
		{[]string{"client", "status", "--now", "2026-12-10"}, 0, "12 days"},
		{[]string{"client", "status", "--now", "2026-12-23"}, 0, "Notification (5)"},
		{[]string{"client", "activate", "--now", "2026-12-23"}, 0, "Licensed (1)"},
		{[]string{"client", "status", "-v"}, 0, "Ticket serial:"},
		{[]string{"client", "expiry"}, 0, "permanently activated"},
		{[]string{"client", "status", "--machine-id", "another-machine"}, 0, "ticket was issued to another machine"},
		{[]string{"key", "show", mak}, 0, "Remaining:       49"},
		{[]string{"key", "activations", mak}, 0, "1 of 1 activation(s) shown"},
		{[]string{"key", "activations", mak, "--limit", "0"}, 2, "--limit"},
		{[]string{"client", "install-key", "HELLO-WORLD"}, 1, "[Invalid]"},
		{[]string{"client", "status", "--now", "yesterday"}, 2, "--now"},
		{[]string{"key", "extend", mak}, 2, "--by"},
	}
	for _, st := range steps {
		args := append([]string{}, st.args...)
		args = append(args[:1], append([]string{"--state-dir", dir}, args[1:]...)...)
		if st.args[0] != "client" {
			args = st.args
		}
		out, code := run(t, s, args...)
		if code != st.code || !strings.Contains(out, st.want) {
			t.Fatalf("licet %s: exit %d, output:\n%s\nwant exit %d and %q", strings.Join(st.args, " "), code, out, st.code, st.want)
		}
	}
	out, code = run(t, s, "key", "extend", mak, "--by", "10")
	if code != 0 || !strings.Contains(out, "Limit:           60") {
		t.Fatalf("key extend: exit %d: %s", code, out)
	}
	out, code = run(t, s, "audit", "--action", "key.extend")
	if code != 0 || !strings.Contains(out, "key.extend") || strings.Contains(out, mak) {
		t.Fatalf("audit: exit %d: %s; want the extension and never the key", code, out)
	}
}
