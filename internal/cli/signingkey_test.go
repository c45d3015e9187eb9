package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licet/licet/internal/server/servertest"
)

// TestSigningKeyCommands rotates and retires through the command line: the table, the exit
// codes, and an agent that learns the retirement with refresh-keys.
func TestSigningKeyCommands(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	admin := []string{"--server", s.URL, "--token", s.Token}
	must := func(args ...string) string {
		t.Helper()
		code, out, errText := Run(t, nil, append(admin, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d, err %q", args, code, errText)
		}
		return out
	}
	dir := t.TempDir()
	agentArgs := []string{"client", "--state-dir", filepath.Join(dir, "pc-1"), "--machine-id", "pc-1"}
	var k struct{ Key string }
	runJSON(t, &k, append(admin, "key", "issue", "--agreement", "CONTOSO-OL-0001", "--product-group", "desktop-11", "--type", "mak", "--limit", "3", "--json")...)
	must(append(agentArgs, "install-key", k.Key, "--product", "contoso-desktop-11")...)
	must(append(agentArgs, "activate")...)

	out := must("signing-key", "list")
	if !strings.Contains(out, "ID  STATE") || !strings.Contains(out, "1   active") {
		t.Fatalf("list before rotation:\n%s", out)
	}
	out = must("signing-key", "rotate")
	if !strings.Contains(out, "signing key 2 is now active") || !strings.Contains(out, "licet signing-key retire 1") {
		t.Fatalf("rotate:\n%s", out)
	}
	var keys struct {
		Keys []struct {
			ID    int    `json:"id"`
			State string `json:"state"`
		} `json:"keys"`
	}
	runJSON(t, &keys, append(admin, "signing-key", "list", "--json")...)
	if len(keys.Keys) != 2 || keys.Keys[0].State != "verifying" || keys.Keys[1].State != "active" {
		t.Fatalf("list --json after rotation: %+v", keys)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"signing-key", "retire", "x"}, 2, "ID must be"},
		{[]string{"signing-key", "retire", "2"}, 1, "[SigningKeyActive]"},
		{[]string{"signing-key", "retire", "9"}, 1, "not found"},
	}
	for _, tt := range tests {
		code, _, errText := Run(t, nil, append(admin, tt.args...)...)
		if code != tt.code || !strings.Contains(errText, tt.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, errText, tt.code, tt.want)
		}
	}
	if out := must("signing-key", "retire", "1"); !strings.Contains(out, "signing key 1 retired on") {
		t.Fatalf("retire:\n%s", out)
	}
	// An air-gapped machine gets the key set as a file: `licet pubkey --json` on a connected one.
	keysFile := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(keysFile, []byte(must("pubkey", "--json")), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errText := Run(t, nil, append(agentArgs, "refresh-keys", "--key-set-file", keysFile)...)
	if code != 0 || !strings.Contains(out, "operator key 1: retired") {
		t.Fatalf("refresh-keys --key-set-file: exit %d\n%s\n%s", code, out, errText)
	}
	if code, _, errText := Run(t, nil, append(agentArgs, "refresh-keys", "--key-set-file", filepath.Join(dir, "none"))...); code != 1 || !strings.Contains(errText, "cannot read the key set file") {
		t.Fatalf("refresh-keys from a missing file: exit %d, %q", code, errText)
	}
	code, out, errText = Run(t, nil, append([]string{"--server", s.URL}, append(agentArgs, "refresh-keys")...)...)
	if code != 0 || !strings.Contains(out, "operator key 1: retired") || !strings.Contains(out, "Additional grace period") {
		t.Fatalf("refresh-keys after retirement: exit %d\n%s\n%s", code, out, errText)
	}
	if out := must(append(agentArgs, "status", "--verbose")...); !strings.Contains(out, "signed by operator key 1, which the operator retired on") {
		t.Fatalf("status after retirement does not name it:\n%s", out)
	}
}
