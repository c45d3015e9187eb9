package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/cli"
	"github.com/licet/licet/internal/ldaptest"
	"github.com/licet/licet/internal/server/servertest"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// childArgs, when set in the environment, makes the test binary run licet with these arguments
// (separated by \x1f) instead of the tests: a real server process the test can kill -9.
const childArgs = "LICET_TEST_CHILD_ARGS"

// TestMain runs licet as a child process when asked (childArgs), else the tests, and then stops
// the package's slapd (ldaptest.Shared).
func TestMain(m *testing.M) {
	if args := os.Getenv(childArgs); args != "" {
		os.Exit(cli.Run(context.Background(), strings.Split(args, "\x1f"), os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(ldaptest.Main(m))
}

// serveProcess starts `licet serve` with args as a separate process on 127.0.0.1:0 and returns
// its URL and the process; it is killed when the test ends.
func serveProcess(t *testing.T, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgs+"="+strings.Join(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), "\x1f"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(out)
	var seen []string
	for lines.Scan() {
		seen = append(seen, lines.Text())
		if m := listenRE.FindStringSubmatch(lines.Text()); m != nil {
			go func() {
				for lines.Scan() { // keep draining, so the server never blocks on its output
				}
			}()
			return m[1], cmd
		}
	}
	t.Fatalf("licet serve exited before listening:\n%s", strings.Join(seen, "\n"))
	return "", nil
}

// TestBenchActivateKillReplica: `licet bench activate` over two server processes on one
// PostgreSQL; one of them is killed with SIGKILL while the clients run. Requests lost in
// transit are retried on the other replica, and at the end the key's used count, its stored
// activations and the machines that got a ticket are the same number.
func TestBenchActivateKillReplica(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	dir := t.TempDir()
	flags := []string{"--db", dsn, "--data-dir", dir, "--activation-rate-per-address", "0", "--activation-rate-per-key", "0"}
	a, _ := serveProcess(t, flags...)
	b, victim := serveProcess(t, flags...)
	tok, err := os.ReadFile(filepath.Join(dir, "licet.token"))
	if err != nil {
		t.Fatal(err)
	}

	type outcome struct {
		code           int
		stdout, stderr string
	}
	done := make(chan outcome, 1)
	go func() {
		code, stdout, stderr := Run(t, map[string]string{"LICET_TOKEN": strings.TrimSpace(string(tok))},
			"bench", "activate", "--server", a, "--servers", a+","+b, "--concurrency", "16", "--duration", "3s", "--json")
		done <- outcome{code, stdout, stderr}
	}()

	// Kill replica b once activations are being committed.
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) (n int64) {
		t.Helper()
		if err := db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, q).Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for count(`SELECT COUNT(*) FROM activations`) < 200 {
		select {
		case o := <-done:
			t.Fatalf("the benchmark ended before 200 activations: exit %d\n%s\n%s", o.code, o.stdout, o.stderr)
		case <-time.After(20 * time.Millisecond): // polling the database, not waiting for time to pass
		}
	}
	if err := victim.Process.Kill(); err != nil {
		t.Fatal(err)
	}

	o := <-done
	if o.code != 0 {
		t.Fatalf("bench activate exited %d:\n%s\n%s", o.code, o.stdout, o.stderr)
	}
	var r struct {
		OK      int64 `json:"ok"`
		Used    int64 `json:"used"`
		Rows    int64 `json:"rows"`
		Retried int   `json:"retried"`
		Servers int   `json:"servers"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &r); err != nil {
		t.Fatalf("bench output: %v\n%s", err, o.stdout)
	}
	used := count(`SELECT used FROM product_keys WHERE type = 'mak' ORDER BY id DESC LIMIT 1`)
	rows := count(`SELECT COUNT(*) FROM activations a JOIN product_keys k ON k.id = a.key_id WHERE k.id = (SELECT MAX(id) FROM product_keys WHERE type = 'mak')`)
	t.Logf("%d machines got a ticket; key used %d, %d rows; %d requests retried after the kill", r.OK, used, rows, r.Retried)
	if r.Servers != 2 || r.OK < 200 || r.Used != r.OK || r.Rows != r.OK || used != r.OK || rows != r.OK {
		t.Fatalf("after kill -9 of a replica: %d tickets, key used %d (bench saw %d), %d rows (bench saw %d); want all equal", r.OK, used, r.Used, rows, r.Rows)
	}
	if r.Retried == 0 {
		t.Fatal("no request was retried: the replica was not killed while the clients ran")
	}
}

// TestBenchActivateTwoServers: the clients are spread over the servers and the counts agree.
func TestBenchActivateTwoServers(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	dir := t.TempDir()
	a := servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir, NoDemo: true})
	b := servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir, NoDemo: true})
	code, stdout, stderr := Run(t, map[string]string{"LICET_TOKEN": a.Token, "LICET_SERVERS": a.URL + "," + b.URL},
		"bench", "activate", "--server", a.URL, "--concurrency", "8", "--duration", "300ms")
	if code != 0 || !strings.Contains(stdout, "over 2 server(s)") || !strings.Contains(stdout, "stored activations") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestBenchSeed: the seeded activations are spread over the keys with each key's used count
// matching its rows, and the users land in the bench tenant; on both databases.
func TestBenchSeed(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dir, dsn string) {
		s := servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir, NoDemo: true})
		code, stdout, stderr := Run(t, map[string]string{"LICET_SERVER": s.URL, "LICET_TOKEN": s.Token},
			"bench", "seed", "--db", dsn, "--activations", "1234", "--keys", "7", "--users", "321", "--json")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		ctx := context.Background()
		var keys, used, rows, mismatched, users int64
		if err := s.App.DB.Read(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(used), 0) FROM product_keys WHERE type = 'mak'`).Scan(&keys, &used); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM activations`).Scan(&rows); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM product_keys k WHERE k.used <> (SELECT COUNT(*) FROM activations a WHERE a.key_id = k.id)`).Scan(&mismatched); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT COUNT(*) FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = 'bench'`).Scan(&users)
		}); err != nil {
			t.Fatal(err)
		}
		if keys != 7 || used != 1234 || rows != 1234 || mismatched != 0 || users != 321 {
			t.Fatalf("after seeding: %d keys, used %d, %d rows, %d keys whose count differs from their rows, %d users; want 7, 1234, 1234, 0, 321", keys, used, rows, mismatched, users)
		}
		if code, _, stderr := Run(t, map[string]string{"LICET_SERVER": s.URL, "LICET_TOKEN": s.Token}, "bench", "seed", "--activations", "1"); code != 2 || !strings.Contains(stderr, "--db is required") {
			t.Fatalf("seed without --db: exit %d %s, want 2 naming --db", code, stderr)
		}
	})
}
