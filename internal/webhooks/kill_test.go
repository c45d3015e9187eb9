package webhooks_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/internal/webhooks"
)

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startBinary runs `licet serve` as a child process and returns its URL and the process.
func startBinary(t *testing.T, bin string, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--webhook-allow-private", "--webhook-timeout", "1s"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return m[1], cmd
		}
	}
	t.Fatalf("licet serve exited before listening: %v", sc.Err())
	return "", nil
}

// TestKillDuringDelivery builds the binary and runs `licet serve` as a child process, on SQLite
// and on PostgreSQL. A webhook subscribes to contoso's token events; 20 tokens are created while
// the receiver holds the first delivery without answering (the request that caused each event
// returns at once). The server is killed with SIGKILL with that delivery in flight and the rest
// pending, and restarted on the same database: every event reaches the receiver at least once,
// each with a valid signature, first seen in the order of the events, none lost.
func TestKillDuringDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "licet")
	build := exec.Command("go", "build", "-o", bin, "github.com/licet/licet/cmd/licet")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "licet.db")
		killDuringDelivery(t, bin, []string{"--db", db}, db+".token")
	})
	t.Run("postgres", func(t *testing.T) {
		dir := t.TempDir()
		killDuringDelivery(t, bin, []string{"--db", storetest.PostgresDSN(t), "--data-dir", dir}, filepath.Join(dir, "licet.token"))
	})
}

// killDuringDelivery runs the scenario of TestKillDuringDelivery on the database of dbArgs.
func killDuringDelivery(t *testing.T, bin string, dbArgs []string, tokenFile string) {

	var (
		mu       sync.Mutex
		secret   string
		seen     []string // event ids in the order they arrived
		bad      []string
		arrived  = make(chan struct{}, 1000)
		first    = make(chan struct{})
		release  = make(chan struct{})
		holdOnce sync.Once
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var e licet.Event
		_ = json.Unmarshal(body, &e)
		held := false
		holdOnce.Do(func() { held = true })
		if held { // the first delivery stays in flight until the server is gone
			close(first)
			<-release
			return
		}
		mu.Lock()
		if err := webhooks.Verify(secret, r.Header.Get(webhooks.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil || e.ID != r.Header.Get(webhooks.HeaderEventID) {
			bad = append(bad, e.ID)
		}
		seen = append(seen, e.ID)
		mu.Unlock()
		arrived <- struct{}{}
	}))
	defer rcv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	url, cmd := startBinary(t, bin, append(dbArgs, "--demo")...)
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	op := client.New(url, strings.TrimSpace(string(tok)))
	ctx := context.Background()
	w, err := op.AddWebhook(ctx, licet.Webhook{URL: rcv.URL + "/hook", Tenant: "contoso", Events: []string{licet.EventTokenCreated, licet.EventTokenRevoked}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = w.Secret
	mu.Unlock()
	for range 20 {
		if _, err := op.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "contoso", Label: "kill test"}); err != nil {
			t.Fatal(err)
		}
	}
	events, err := op.Events(ctx, licet.EventFilter{Tenant: "contoso", Type: licet.EventTokenCreated, Limit: 100})
	if err != nil || len(events) != 20 {
		t.Fatalf("events before the kill: %d, %v; want 20", len(events), err)
	}
	select {
	case <-first:
	case <-time.After(60 * time.Second):
		t.Fatal("no delivery reached the receiver within 60 s")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(release)
	mu.Lock()
	if len(seen) != 0 {
		t.Fatalf("deliveries went past the one in flight: %v", seen)
	}
	mu.Unlock()

	startBinary(t, bin, dbArgs...)
	want := make([]string, len(events))
	for i, e := range events {
		want[len(events)-1-i] = e.ID // oldest first
	}
	deadline := time.After(90 * time.Second)
	for {
		mu.Lock()
		var firsts []string
		for _, id := range seen {
			if !slices.Contains(firsts, id) {
				firsts = append(firsts, id)
			}
		}
		done := len(firsts) >= len(want)
		mu.Unlock()
		if done {
			if !slices.Equal(firsts, want) {
				t.Fatalf("events first seen in the order %v; want %v", firsts, want)
			}
			break
		}
		select {
		case <-arrived:
		case <-deadline:
			t.Fatalf("after the restart %d of %d events arrived: %v", len(firsts), len(want), firsts)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("deliveries with a bad signature or id: %v", bad)
	}
	ids := make([]int, 0, len(want))
	for _, id := range want {
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "evt_"))
		ids = append(ids, n)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("event ids %v are not increasing", ids)
	}
	t.Logf("%d events, %d deliveries received after the restart (the one in flight at the kill arrives again)", len(want), len(seen))
}
