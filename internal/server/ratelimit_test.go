package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/server"
	"github.com/licet/licet/internal/server/servertest"
	"github.com/licet/licet/internal/store/storetest"
)

// replicas starts two servers on one fresh PostgreSQL database.
func replicas(t *testing.T, o servertest.Options) (*servertest.Server, *servertest.Server) {
	o.DSN, o.DataDir = storetest.PostgresDSN(t), t.TempDir()
	return servertest.Start(t, o), servertest.Start(t, o)
}

// attempt sends one activation with a well-formed but unknown key (the limits come before the
// key is looked up) and reports whether the rate limits let it through.
func attempt(t *testing.T, url, key, forwardedFor string) bool {
	t.Helper()
	body := `{"key":"` + key + `","product":"contoso-desktop-11","machine":{"id":"pc-1"}}`
	req, err := http.NewRequest("POST", url+"/v1/activations", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode != http.StatusTooManyRequests
}

const (
	keyA = "VK7JG-NPHTM-C97JM-9MPGT-3V66T"
	keyB = "W269N-WFGWX-YVC9B-4J6C9-T83GX"
)

// drive sends n attempts per second of the clock for seconds+1 steps (t = 0 … seconds),
// alternating between the replicas, and returns how many got through.
func drive(t *testing.T, c *servertest.Clock, a, b *servertest.Server, seconds, n int, key, forwardedFor string) int {
	ok := 0
	for s := 0; s <= seconds; s++ {
		for i := range n {
			url := a.URL
			if i%2 == 1 {
				url = b.URL
			}
			if attempt(t, url, key, forwardedFor) {
				ok++
			}
		}
		c.Add(time.Second)
	}
	return ok
}

// TestRateLimitsAcrossReplicas: two replicas on one PostgreSQL share each bucket, so one
// address (or one key) driven through both gets burst + rate × seconds, not twice that.
func TestRateLimitsAcrossReplicas(t *testing.T) {
	const seconds, perSecond = 4, 150
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

	t.Run("per address", func(t *testing.T) {
		c := servertest.NewClock(start)
		a, b := replicas(t, servertest.Options{Now: c.Now, ActivationRatePerAddress: 10})
		// The burst is ten seconds' worth: 100.
		if got, max := drive(t, c, a, b, seconds, perSecond, keyA, ""), 10*seconds+100; got != max {
			t.Fatalf("one address through two replicas: %d attempts let through, want exactly %d (10/s × %d s + burst 100)", got, max, seconds)
		}
	})
	t.Run("per key", func(t *testing.T) {
		c := servertest.NewClock(start)
		a, b := replicas(t, servertest.Options{Now: c.Now, ActivationRatePerKey: 5})
		if got, max := drive(t, c, a, b, seconds, perSecond, keyA, ""), 5*seconds+50; got != max {
			t.Fatalf("one key through two replicas: %d attempts let through, want exactly %d (5/s × %d s + burst 50)", got, max, seconds)
		}
		// Another key has its own bucket.
		if !attempt(t, a.URL, keyB, "") {
			t.Fatal("another key was refused")
		}
	})
	t.Run("X-Forwarded-For ignored without a trusted proxy", func(t *testing.T) {
		c := servertest.NewClock(start)
		a, b := replicas(t, servertest.Options{Now: c.Now, ActivationRatePerAddress: 10})
		first := drive(t, c, a, b, 0, perSecond, keyA, "192.0.2.1")
		second := drive(t, c, a, b, 0, perSecond, keyA, "192.0.2.2")
		if first != 100 || second != 10 {
			t.Fatalf("two forwarded addresses from an untrusted peer: %d then %d let through, want 100 then 10 (one budget: the peer's)", first, second)
		}
	})
	t.Run("X-Forwarded-For from a trusted proxy", func(t *testing.T) {
		c := servertest.NewClock(start)
		a, b := replicas(t, servertest.Options{Now: c.Now, ActivationRatePerAddress: 10, TrustedProxies: []string{"127.0.0.1/32"}})
		first := drive(t, c, a, b, 0, perSecond, keyA, "192.0.2.1")
		second := drive(t, c, a, b, 0, perSecond, keyA, "192.0.2.2")
		if first != 100 || second != 100 {
			t.Fatalf("two forwarded addresses from a trusted proxy: %d then %d let through, want 100 and 100 (a budget each)", first, second)
		}
	})
}

// TestKMSLimitsAcrossReplicas: the per-address limits of the KMS host route and the KMS report
// route hold across two replicas on one PostgreSQL too: one address gets the burst, then the rate.
func TestKMSLimitsAcrossReplicas(t *testing.T) {
	for _, route := range []struct {
		path  string
		burst int
		rate  float64
	}{
		{"/v1/kms/hosts", server.KMSHostBurst, server.KMSHostRate},
		{"/v1/kms/reports", server.KMSReportBurst, server.KMSReportRate},
	} {
		t.Run(route.path, func(t *testing.T) {
			c := servertest.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
			a, b := replicas(t, servertest.Options{Now: c.Now})
			through := func(n int) (ok int) {
				for i := range n {
					url := a.URL
					if i%2 == 1 {
						url = b.URL
					}
					resp, err := http.Post(url+route.path, "application/json", strings.NewReader(`{}`))
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusTooManyRequests {
						ok++
					}
				}
				return ok
			}
			if got := through(route.burst + 30); got != route.burst {
				t.Fatalf("%d requests at once through two replicas: %d let through, want the burst %d", route.burst+30, got, route.burst)
			}
			c.Add(30 * time.Second)
			if got, want := through(40), int(30*route.rate); got != want {
				t.Fatalf("30 s later: %d let through, want %d (%g/s)", got, want, route.rate)
			}
		})
	}
}
