package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLockOutAndRecover: revoking the last operator token exits 1 and names the way out; licet
// token recover --db gives a working operator token.
func TestLockOutAndRecover(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "licet.db")
	url, _ := Serve(t, "--db", db)
	env := map[string]string{"LICET_SERVER": url, "LICET_TOKEN_FILE": db + ".token"}
	code, _, stderr := Run(t, env, "token", "revoke", "1")
	if code != 1 || !strings.Contains(stderr, "last active operator token") || !strings.Contains(stderr, "licet token recover --db") {
		t.Fatalf("token revoke of the last operator token: exit %d, %q; want 1 naming licet token recover", code, stderr)
	}
	code, stdout, stderr := Run(t, nil, "token", "recover", "--db", db)
	if code != 0 {
		t.Fatalf("token recover: exit %d, %s", code, stderr)
	}
	secret := regexp.MustCompile(`licet_[a-z0-9]+`).FindString(stdout)
	if secret == "" {
		t.Fatalf("token recover printed no secret:\n%s", stdout)
	}
	code, stdout, stderr = Run(t, map[string]string{"LICET_SERVER": url, "LICET_TOKEN": secret}, "audit", "--action", "token.recover")
	if code != 0 || !strings.Contains(stdout, "token.recover") {
		t.Fatalf("the recovered token cannot read the audit of its recovery: exit %d, %s %s", code, stdout, stderr)
	}
	// With two operator tokens, the first may go.
	if code, _, stderr := Run(t, env, "token", "revoke", "1"); code != 0 {
		t.Fatalf("token revoke 1 with another operator token active: exit %d, %s", code, stderr)
	}
}

// TestBackupRestore: a backup taken while the server runs restores into a new path that a new
// server serves with the same data; restoring onto the running server's database exits 1.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "licet.db")
	url, _ := Serve(t, "--demo", "--db", db)
	env := map[string]string{"LICET_SERVER": url, "LICET_TOKEN_FILE": db + ".token"}
	out := filepath.Join(dir, "backup.db")
	code, stdout, stderr := Run(t, env, "backup", "--db", db, "--out", out)
	if code != 0 || !strings.Contains(stdout, "integrity ok") || !strings.Contains(stdout, "signing key (public)") {
		t.Fatalf("backup: exit %d, %s %s", code, stdout, stderr)
	}
	for _, f := range []string{db, db + "-wal", db + "-shm", out} {
		if st, err := os.Stat(f); err != nil {
			t.Errorf("%s: %v; want a 0600 file", filepath.Base(f), err)
		} else if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", filepath.Base(f), st.Mode().Perm())
		}
	}
	code, _, stderr = Run(t, env, "restore", "--from", out, "--db", db, "--replace")
	if code != 1 || !strings.Contains(stderr, "DatabaseInUse") {
		t.Fatalf("restore onto the running server's database: exit %d, %q; want 1 and DatabaseInUse", code, stderr)
	}
	code, _, stderr = Run(t, env, "backup", "--db", "postgres://postgres@127.0.0.1:5432/licet", "--out", filepath.Join(dir, "pg"))
	if code != 1 || !strings.Contains(stderr, "pg_dump") {
		t.Fatalf("backup of PostgreSQL: exit %d, %q; want 1 naming pg_dump", code, stderr)
	}

	restoredDir := filepath.Join(dir, "restored")
	os.Mkdir(restoredDir, 0o700)
	restored := filepath.Join(restoredDir, "licet.db")
	if code, _, stderr := Run(t, nil, "restore", "--from", out, "--db", restored); code != 1 || !strings.Contains(stderr, "signing key") {
		t.Fatalf("restore without the signing key: exit %d, %q; want 1 naming the signing key", code, stderr)
	}
	key := filepath.Join(dir, "signing.key")
	if code, stdout, stderr := Run(t, nil, "restore", "--from", out, "--db", restored, "--signing-key", key); code != 0 {
		t.Fatalf("restore: exit %d, %s %s", code, stdout, stderr)
	}
	url2, _ := Serve(t, "--db", restored, "--signing-key", key)
	env2 := map[string]string{"LICET_SERVER": url2, "LICET_TOKEN_FILE": db + ".token"}
	code, stdout, stderr = Run(t, env, "key", "list", "--json")
	code2, stdout2, stderr2 := Run(t, env2, "key", "list", "--json")
	if code != 0 || code2 != 0 {
		t.Fatalf("key list: %d %s / restored %d %s", code, stderr, code2, stderr2)
	}
	var before, after []map[string]any
	if err := json.Unmarshal([]byte(stdout), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(stdout2), &after); err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 || len(after) != len(before) {
		t.Fatalf("restored service lists %d keys, the original %d", len(after), len(before))
	}
}

// TestVersionJSON: licet version --json names a version and a commit.
func TestVersionJSON(t *testing.T) {
	code, stdout, stderr := Run(t, nil, "version", "--json")
	var v struct{ Version, Commit, BuildDate string }
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || v.Version == "" || v.Commit == "" || v.BuildDate == "" {
		t.Fatalf("version --json: exit %d, %s %s; want version, commit and buildDate", code, stdout, stderr)
	}
}

// TestTokenFileOfPostgres: in the data directory of a PostgreSQL server, where the token file is
// licet.token, the command line finds it as it finds licet.db.token beside a SQLite file.
func TestTokenFileOfPostgres(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "licet.db")
	url, _ := Serve(t, "--db", db)
	tok, err := os.ReadFile(db + ".token")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "licet.token"), tok, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	if code, _, stderr := Run(t, map[string]string{"LICET_SERVER": url}, "token", "list"); code != 0 {
		t.Fatalf("token list with ./licet.token: exit %d, %s", code, stderr)
	}
}
