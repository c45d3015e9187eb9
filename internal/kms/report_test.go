package kms_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/kms"
	"github.com/licet/licet/internal/signing"
)

// central is a stand-in for the central service's report route: down for the first Down
// requests, then it checks each report's signature with the host's key and keeps the machines.
type central struct {
	mu       sync.Mutex
	down     int
	key      ed25519.PublicKey
	batches  []int
	machines map[string]licet.ReportedMachine
	bad      int
	maxBody  int
}

func (c *central) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down > 0 {
		c.down--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	sig, _ := base64.StdEncoding.DecodeString(r.Header.Get("Licet-Signature"))
	var rep licet.MachineReport
	if !ed25519.Verify(c.key, body, sig) || json.Unmarshal(body, &rep) != nil {
		c.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	c.maxBody = max(c.maxBody, len(body))
	c.batches = append(c.batches, len(rep.Machines))
	for _, m := range rep.Machines {
		c.machines[m.MachineID] = m
	}
	w.Write([]byte(`{"recorded":0}`))
}

// TestReportSurvivesOutage: a host with 600 clients reports while the central service is down
// (nothing acknowledged, retried with a doubling wait), then in signed batches of at most 500 once
// it is back; reporting again sends only what is new.
func TestReportSurvivesOutage(t *testing.T) {
	f := newHost(t, kms.Config{})
	for i := range 600 {
		f.ask(t, machine("pc", i), "desktop")
	}
	hostKey, err := signing.Load(filepath.Join(f.dir, kms.HostKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	c := &central{down: 3, key: hostKey.Public().(ed25519.PublicKey), machines: map[string]licet.ReportedMachine{}}
	srv := httptest.NewServer(c)
	defer srv.Close()
	r := &kms.Reporter{Host: f.host, Server: srv.URL}

	var waits []time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	sleep := func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		if len(waits) == 4 {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	r.Run(ctx, time.Hour, sleep)
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, time.Hour}
	if len(waits) != len(want) {
		t.Fatalf("waits %v; want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v; want %v (retries doubling while down, then the interval)", waits, want)
		}
	}
	if c.bad != 0 || len(c.machines) != 600 || len(c.batches) != 2 || c.batches[0] != kms.ReportBatch || c.batches[1] != 100 {
		t.Fatalf("central got batches %v, %d machines, %d bad; want 500 and 100 signed, 600 machines", c.batches, len(c.machines), c.bad)
	}
	if m := c.machines["pc-000"]; m.State != licet.StateUnlicensed || m.Product != "desktop" || m.LastSeen.IsZero() {
		t.Errorf("pc-000 reported as %+v; want the state it sent (none: Unlicensed), not activated below the threshold", m)
	}
	if m := c.machines["pc-599"]; m.State != licet.StateLicensed || m.StateUntil == nil {
		t.Errorf("pc-599 reported as %+v; want Licensed until its activation ends", m)
	}
	if c.maxBody > 512<<10 {
		t.Errorf("a report of %d bytes; the central service takes 512 KiB", c.maxBody)
	}

	// Nothing new: nothing sent. One more client: one sent.
	if n, err := r.ReportOnce(context.Background()); n != 0 || err != nil {
		t.Fatalf("again: %d, %v; want nothing to send", n, err)
	}
	f.clock.add(time.Minute)
	f.ask(t, "pc-new", "desktop")
	if n, err := r.ReportOnce(context.Background()); n != 1 || err != nil || len(c.batches) != 3 {
		t.Fatalf("after one more client: %d, %v, batches %v; want 1 sent", n, err, c.batches)
	}
}
