package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/internal/cli"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listenRE = regexp.MustCompile(`listening on (https?://127\.0\.0\.1:\d+)`)

// Serve runs `licet serve` with args on 127.0.0.1:0 in the background, as the real binary
// would, and returns its URL; the server stops when the test ends.
func Serve(t *testing.T, args ...string) (url string, out *syncBuffer) {
	t.Helper()
	return Listen(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
}

// Listen runs a command that serves until stopped (licet serve, licet kms serve) in the
// background and returns the URL it says it listens on; it stops when the test ends.
func Listen(t *testing.T, args ...string) (url string, out *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, args, func(string) string { return "" }, strings.NewReader(""), out, out)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("licet serve exited %d:\n%s", code, out.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenRE.FindStringSubmatch(out.String()); m != nil {
			return m[1], out
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("licet serve exited %d before listening:\n%s", code, out.String())
		case <-time.After(10 * time.Millisecond): // polling the output, not waiting for time to pass
		}
	}
	t.Fatalf("licet serve did not listen within 30 s:\n%s", out.String())
	return "", nil
}

// Run runs the command line and returns its exit code, stdout and stderr.
func Run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestServeDemoAndCatalogShow(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	url, out := Serve(t, "--demo", "--db", db)
	if !strings.Contains(out.String(), "operator token") {
		t.Errorf("first start did not print the operator token:\n%s", out.String())
	}
	st, err := os.Stat(db + ".token")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, mode %v; want 0600", err, st)
	}
	if st, err := os.Stat(filepath.Join(dir, "signing.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file: %v; want mode 0600", err)
	}
	code, stdout, stderr := Run(t, nil, "catalog", "show", "--server", url, "--token-file", db+".token")
	if code != 0 {
		t.Fatalf("catalog show exited %d: %s", code, stderr)
	}
	for _, part := range []string{"ENTERPRISEPREMIUM", "ENTERPRISEPACK", "STANDARDPACK", "MCOSTANDARD", "MCOEV", "MCOPSTN1", "MCOPSTN2", "MCOPSTN5", "MCOPSTN6", "MCOPSTNC", "MCOMEETADV", "ENTERPRISEPREMIUM_NOPSTNCONF"} {
		if !regexp.MustCompile(`(?m)^` + part + `\s`).MatchString(stdout) {
			t.Errorf("catalog show lacks %s:\n%s", part, stdout)
		}
	}
	// The environment works as the flags do.
	tok, _ := os.ReadFile(db + ".token")
	env := map[string]string{"LICET_SERVER": url, "LICET_TOKEN": strings.TrimSpace(string(tok))}
	if code, stdout, stderr := Run(t, env, "tenant", "list", "--json"); code != 0 || !strings.Contains(stdout, `"slug": "contoso"`) {
		t.Fatalf("tenant list --json with LICET_* env: %d %s %s", code, stdout, stderr)
	}
	if code, _, stderr := Run(t, map[string]string{"LICET_SERVER": url, "LICET_TOKEN": "licet_wrong"}, "tenant", "list"); code != 1 || !strings.Contains(stderr, "[Unauthorized]") {
		t.Fatalf("wrong token: exit %d, %s; want 1 and unauthorized", code, stderr)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\nplans:\n  - id: A\n    name: A\nskus:\n  - part: X\n    name: X\n    kind: base\n    plans: [NOPE]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		want   int
		stderr string
	}{
		{"unknown flag", []string{"tenant", "list", "--bogus"}, 2, "unknown flag"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"missing argument", []string{"tenant", "show"}, 2, "accepts 1 arg"},
		{"bad log format", []string{"serve", "--log-format", "xml", "--db", filepath.Join(dir, "x.db")}, 2, "log-format"},
		{"database cannot be opened", []string{"serve", "--db", filepath.Join(dir, "no", "such", "l.db")}, 1, "does not exist"},
		{"server down", []string{"tenant", "list", "--server", "http://127.0.0.1:1", "--token", "licet_x"}, 1, "cannot reach"},
		{"valid catalog", []string{"catalog", "validate", "../../catalogs/m365-teams.yaml"}, 0, ""},
		{"catalog with unknown plan", []string{"catalog", "validate", bad}, 1, bad + ":9:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := Run(t, nil, tt.args...)
			if code != tt.want || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("licet %v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, tt.want, tt.stderr)
			}
		})
	}
}

// TestOldSchemaRefused: a database one migration behind is refused, and accepted with --migrate.
func TestOldSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	if code, _, stderr := Run(t, nil, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	// Forget the last migration's record: the schema now looks one version old.
	if code, _, stderr := Run(t, nil, "migrate", "--db", db); code != 0 || stderr != "" {
		t.Fatalf("second migrate: %d %s", code, stderr)
	}
	forgetLastMigration(t, db)
	code, _, stderr := Run(t, nil, "serve", "--db", db, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "licet migrate") {
		t.Fatalf("serve on an old schema: exit %d, %q; want 1 and a hint to migrate", code, stderr)
	}
}
