package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/server/servertest"
	"github.com/licet/licet/internal/webhooks"
)

// received is one request a test receiver got.
type received struct {
	ID, Type, HeaderID string
	Verified           bool
	Code               int
}

// receiver is a webhook endpoint on 127.0.0.1 that verifies signatures with the service's
// clock and answers 500 to its first Fail requests.
type receiver struct {
	t      *testing.T
	clk    *servertest.Clock
	mu     sync.Mutex
	secret string
	fail   int
	got    []received
	url    string
}

func newReceiver(t *testing.T, clk *servertest.Clock) *receiver {
	r := &receiver{t: t, clk: clk}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		var e licet.Event
		err := json.Unmarshal(body, &e)
		r.mu.Lock()
		defer r.mu.Unlock()
		rec := received{ID: e.ID, Type: e.Type, HeaderID: req.Header.Get(webhooks.HeaderEventID), Code: http.StatusOK}
		rec.Verified = err == nil && webhooks.Verify(r.secret, req.Header.Get(webhooks.HeaderSignature), body, clk.Now(), 5*time.Minute) == nil
		if r.fail > 0 {
			r.fail--
			rec.Code = http.StatusInternalServerError
		}
		r.got = append(r.got, rec)
		w.WriteHeader(rec.Code)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/hook"
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *receiver) failNext(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

// add subscribes the receiver and keeps the secret it is shown once.
func (r *receiver) add(t *testing.T, c *client.Client, tenant string, events ...string) *licet.Webhook {
	t.Helper()
	w, err := c.AddWebhook(context.Background(), licet.Webhook{URL: r.url, Tenant: tenant, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Secret) < 40 {
		t.Fatalf("secret %q: want a long random secret shown at creation", w.Secret)
	}
	r.mu.Lock()
	r.secret = w.Secret
	r.mu.Unlock()
	return w
}

// step runs the delivery worker once and returns how many deliveries succeeded.
func step(t *testing.T, s *servertest.Server) int {
	t.Helper()
	n, err := s.App.Deliveries.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestKeyEventsDelivered drives a MAK with a limit of 10 to 90 % and then 100 %: each event is
// written once (re-activations and refusals write none), the receiver gets both with a valid
// signature and the event id in the body and the header.
func TestKeyEventsDelivered(t *testing.T) {
	servertest.EachClocked(t, servertest.Options{WebhookAllowPrivate: true}, func(t *testing.T, s *servertest.Server, clk *servertest.Clock) {
		ctx := context.Background()
		rcv := newReceiver(t, clk)
		rcv.add(t, s.Operator, "contoso", licet.EventKeyUsage90, licet.EventKeyExhausted)
		k, err := s.Operator.IssueKey(ctx, licet.KeyRequest{Agreement: "CONTOSO-OL-0001", Group: "desktop-11", Type: "mak", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		activate := func(i int) error {
			_, err := client.New(s.URL, "").Activate(ctx, licet.ActivationRequest{Key: k.Key, Product: "contoso-desktop-11", Machine: licet.Machine{ID: fmt.Sprintf("pc-%02d", i)}})
			return err
		}
		for i := 1; i <= 8; i++ {
			if err := activate(i); err != nil {
				t.Fatal(err)
			}
		}
		if n := step(t, s); n != 0 {
			t.Fatalf("after 8 of 10: %d deliveries; want none", n)
		}
		if err := activate(9); err != nil {
			t.Fatal(err)
		}
		for _, again := range []int{9, 1} { // known machines consume nothing and report nothing
			if err := activate(again); err != nil {
				t.Fatal(err)
			}
		}
		if n := step(t, s); n != 1 {
			t.Fatalf("after 9 of 10: %d deliveries; want 1", n)
		}
		if err := activate(10); err != nil {
			t.Fatal(err)
		}
		if err := activate(11); licet.ErrorCode(err) != licet.CodeActivationLimitExceeded {
			t.Fatalf("11th machine: %v; want %s", err, licet.CodeActivationLimitExceeded)
		}
		if n := step(t, s); n != 1 {
			t.Fatalf("after 10 of 10: %d deliveries; want 1", n)
		}
		got := rcv.received()
		if len(got) != 2 || got[0].Type != licet.EventKeyUsage90 || got[1].Type != licet.EventKeyExhausted {
			t.Fatalf("received %+v; want key.usage90 then key.exhausted", got)
		}
		for _, r := range got {
			if !r.Verified || r.ID == "" || r.ID != r.HeaderID || r.Code != 200 {
				t.Errorf("received %+v; want a verified signature and the event id in body and header", r)
			}
		}
		if got[0].ID == got[1].ID {
			t.Errorf("both events have id %s", got[0].ID)
		}
		for _, typ := range []string{licet.EventKeyUsage90, licet.EventKeyExhausted} {
			es, err := s.Operator.Events(ctx, licet.EventFilter{Tenant: "contoso", Type: typ})
			if err != nil || len(es) != 1 {
				t.Fatalf("events of type %s: %d (%v); want exactly 1", typ, len(es), err)
			}
			var u struct {
				KeyID           int64 `json:"keyId"`
				Limit, Used     int64
				Remaining       int64
				Tenant, KeyTail string
			}
			if err := json.Unmarshal(es[0].Object, &u); err != nil || u.KeyID != k.ID || u.Limit != 10 || u.Tenant != "contoso" {
				t.Errorf("%s object %s (%v)", typ, es[0].Object, err)
			}
		}
	})
}

// TestRetriesWithBackoff: the receiver answers 500 three times; each retry waits between half
// and all of the doubling backoff (nothing is sent before), then the event is delivered with 4
// attempts.
func TestRetriesWithBackoff(t *testing.T) {
	servertest.EachClocked(t, servertest.Options{WebhookAllowPrivate: true}, func(t *testing.T, s *servertest.Server, clk *servertest.Clock) {
		ctx := context.Background()
		rcv := newReceiver(t, clk)
		w := rcv.add(t, s.Operator, "contoso", licet.EventTokenCreated)
		rcv.failNext(3)
		if _, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "contoso", Label: "ci"}); err != nil {
			t.Fatal(err)
		}
		for attempt := 1; attempt <= 3; attempt++ {
			if n := step(t, s); n != 0 {
				t.Fatalf("attempt %d: delivered while the receiver fails", attempt)
			}
			ds, err := s.Operator.Deliveries(ctx, w.ID, 10)
			if err != nil || len(ds) != 1 {
				t.Fatalf("deliveries: %+v, %v", ds, err)
			}
			d := ds[0]
			wait := d.NextAttemptAt.Sub(clk.Now())
			if d.Status != webhooks.StatusPending || d.Attempts != attempt || d.LastStatus != 500 ||
				wait < webhooks.Backoff(attempt)/2 || wait > webhooks.Backoff(attempt) {
				t.Fatalf("after failure %d: %+v, next in %s; want pending, retry in [%s, %s]", attempt, d, wait, webhooks.Backoff(attempt)/2, webhooks.Backoff(attempt))
			}
			// Not due yet: nothing is sent.
			clk.Add(wait - time.Millisecond)
			before := len(rcv.received())
			step(t, s)
			if after := len(rcv.received()); after != before {
				t.Fatalf("a retry was sent %s early", time.Millisecond)
			}
			clk.Add(time.Millisecond)
		}
		if n := step(t, s); n != 1 {
			t.Fatalf("after the receiver recovered: %d deliveries; want 1", n)
		}
		ds, _ := s.Operator.Deliveries(ctx, w.ID, 10)
		if d := ds[0]; d.Status != webhooks.StatusDelivered || d.Attempts != 4 || d.DeliveredAt == nil {
			t.Fatalf("delivery %+v; want delivered after 4 attempts", d)
		}
		got := rcv.received()
		if len(got) != 4 || got[0].ID != got[3].ID || !got[3].Verified {
			t.Fatalf("received %+v; want the same event 4 times", got)
		}
		// Redelivery queues it once more.
		if _, err := s.Operator.Redeliver(ctx, ds[0].ID); err != nil {
			t.Fatal(err)
		}
		if n := step(t, s); n != 1 || len(rcv.received()) != 5 || rcv.received()[4].ID != got[0].ID {
			t.Fatalf("redeliver: %d delivered, received %+v", n, rcv.received())
		}
		// The sweep forgets finished deliveries after 30 days, then their events after 90.
		clk.Add(31 * 24 * time.Hour)
		if err := s.App.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if ds, err := s.Operator.Deliveries(ctx, w.ID, 10); err != nil || len(ds) != 0 {
			t.Fatalf("deliveries after 31 days: %+v, %v; want none kept", ds, err)
		}
		if es, _ := s.Operator.Events(ctx, licet.EventFilter{Tenant: "contoso", Type: licet.EventTokenCreated}); len(es) != 1 {
			t.Fatalf("events after 31 days: %d; want the event kept", len(es))
		}
		clk.Add(60 * 24 * time.Hour)
		if err := s.App.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if es, _ := s.Operator.Events(ctx, licet.EventFilter{Tenant: "contoso", Type: licet.EventTokenCreated}); len(es) != 0 {
			t.Fatalf("events after 91 days: %d; want none kept", len(es))
		}
	})
}

// TestGivesUpAfter24Hours: a receiver that always fails is retried until the delivery is 24
// hours old, then the delivery is failed and the next event goes out (order is kept up to then).
func TestGivesUpAfter24Hours(t *testing.T) {
	servertest.EachClocked(t, servertest.Options{WebhookAllowPrivate: true}, func(t *testing.T, s *servertest.Server, clk *servertest.Clock) {
		ctx := context.Background()
		rcv := newReceiver(t, clk)
		w := rcv.add(t, s.Operator, "contoso", licet.EventTokenCreated)
		rcv.failNext(1 << 30)
		for range 2 {
			if _, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "contoso"}); err != nil {
				t.Fatal(err)
			}
		}
		start := clk.Now()
		for i := 0; clk.Now().Sub(start) < 25*time.Hour && i < 100; i++ {
			step(t, s)
			clk.Add(webhooks.RetryMaxDelay)
		}
		ds, _ := s.Operator.Deliveries(ctx, w.ID, 10)
		slices.Reverse(ds)
		if len(ds) != 2 || ds[0].Status != webhooks.StatusFailed || ds[0].Attempts < 20 || ds[1].Attempts == 0 {
			t.Fatalf("deliveries %+v; want the first failed after 24 h of retries, the second attempted after it", ds)
		}
		got := rcv.received()
		first := slices.IndexFunc(got, func(r received) bool { return r.ID == ds[1].EventID })
		last := -1
		for i, r := range got {
			if r.ID == ds[0].EventID {
				last = i
			}
		}
		if first < last {
			t.Errorf("the second event was sent before the first was given up")
		}
	})
}

// TestWebhookRules: private targets are refused at creation without --webhook-allow-private; a
// tenant admin manages its tenant's webhooks only (another tenant's are not found).
func TestWebhookRules(t *testing.T) {
	servertest.Each(t, servertest.Options{}, func(t *testing.T, s *servertest.Server) {
		ctx := context.Background()
		for _, u := range []string{"http://127.0.0.1:9/hook", "http://[::1]/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest", "ftp://example.com/x"} {
			_, err := s.Operator.AddWebhook(ctx, licet.Webhook{URL: u, Tenant: "contoso"})
			if licet.ErrorCode(err) != licet.CodeWebhookTargetRefused {
				t.Errorf("webhook to %s: %v; want %s", u, err, licet.CodeWebhookTargetRefused)
			}
		}
		if _, err := s.Operator.AddWebhook(ctx, licet.Webhook{URL: "https://203.0.113.7/hook", Tenant: "contoso", Events: []string{"key.nope"}}); licet.ErrorCode(err) != licet.EInvalid {
			t.Errorf("unknown event type: %v; want invalid", err)
		}
		if _, err := s.Operator.CreateTenant(ctx, licet.Tenant{Slug: "fabrikam", Name: "Fabrikam"}); err != nil {
			t.Fatal(err)
		}
		theirs, err := s.Operator.AddWebhook(ctx, licet.Webhook{URL: "https://203.0.113.7/fabrikam", Tenant: "fabrikam"})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "contoso"})
		if err != nil {
			t.Fatal(err)
		}
		admin := client.New(s.URL, tok.Secret)
		if _, err := admin.AddWebhook(ctx, licet.Webhook{URL: "https://203.0.113.7/x", Tenant: "fabrikam"}); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("contoso admin adds a webhook for fabrikam: %v; want NotFound", err)
		}
		if _, err := admin.Deliveries(ctx, theirs.ID, 10); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("contoso admin reads fabrikam's deliveries: %v; want NotFound", err)
		}
		if _, err := admin.TestWebhook(ctx, theirs.ID); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("contoso admin tests fabrikam's webhook: %v; want NotFound", err)
		}
		if err := admin.RemoveWebhook(ctx, theirs.ID); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("contoso admin removes fabrikam's webhook: %v; want NotFound", err)
		}
		mine, err := admin.AddWebhook(ctx, licet.Webhook{URL: "https://203.0.113.7/contoso"})
		if err != nil || mine.Tenant != "contoso" {
			t.Fatalf("contoso admin adds its own: %+v, %v", mine, err)
		}
		ws, err := admin.Webhooks(ctx)
		if err != nil || len(ws) != 1 || ws[0].ID != mine.ID || ws[0].Secret != "" {
			t.Errorf("contoso admin lists %+v, %v; want only its webhook, without secret", ws, err)
		}
		if es, err := admin.Events(ctx, licet.EventFilter{Tenant: "fabrikam"}); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("contoso admin lists fabrikam's events: %v, %v; want NotFound", es, err)
		}
		if _, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "fabrikam"}); err != nil {
			t.Fatal(err)
		}
		es, err := admin.Events(ctx, licet.EventFilter{Limit: 1000})
		if err != nil || len(es) == 0 {
			t.Fatalf("contoso admin lists its events: %v, %v", es, err)
		}
		for _, e := range es {
			if e.Tenant != "contoso" {
				t.Errorf("contoso admin, naming no tenant, lists %s of tenant %q", e.Type, e.Tenant)
			}
		}
	})
}

// TestReplicasNeverSendTogether: two server processes on one database run their delivery
// workers at the same time; the receiver never sees two requests for its webhook at once, and
// gets every event exactly once, in order.
func TestReplicasNeverSendTogether(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			ctx := context.Background()
			clk := servertest.NewClock(time.Now().UTC())
			a := servertest.Start(t, servertest.Options{Postgres: pg, Now: clk.Now, WebhookAllowPrivate: true})
			b := servertest.Start(t, servertest.Options{DSN: a.DSN, DataDir: a.DataDir, Now: clk.Now, WebhookAllowPrivate: true})
			var mu sync.Mutex
			inFlight, overlap := 0, 0
			var seen []string
			var secret string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				inFlight++
				if inFlight > 1 {
					overlap++
				}
				var e licet.Event
				_ = json.Unmarshal(body, &e)
				if webhooks.Verify(secret, r.Header.Get(webhooks.HeaderSignature), body, clk.Now(), time.Minute) == nil {
					seen = append(seen, e.ID)
				}
				mu.Unlock()
				runtime.Gosched() // give another sender the chance to overlap, were it allowed to
				mu.Lock()
				inFlight--
				mu.Unlock()
			}))
			defer srv.Close()
			w, err := a.Operator.AddWebhook(ctx, licet.Webhook{URL: srv.URL, Tenant: "contoso"})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			secret = w.Secret
			mu.Unlock()
			const n = 30
			for range n {
				if _, err := b.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "contoso"}); err != nil {
					t.Fatal(err)
				}
			}
			for round := 0; round < 20; round++ {
				var wg sync.WaitGroup
				for _, s := range []*servertest.Server{a, b, a, b} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := s.App.Deliveries.Step(ctx); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
				mu.Lock()
				done := len(seen) >= n
				mu.Unlock()
				if done {
					break
				}
			}
			mu.Lock()
			defer mu.Unlock()
			ids := make([]int, len(seen))
			for i, id := range seen {
				ids[i], _ = strconv.Atoi(strings.TrimPrefix(id, "evt_"))
			}
			if overlap != 0 || len(seen) != n || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != n {
				t.Fatalf("overlapping requests %d, received %v; want %d events once each, in order, never two at once", overlap, seen, n)
			}
		})
	}
}

// TestRedirectNotFollowed: a receiver that redirects has failed the delivery; the target of the
// redirect is never called.
func TestRedirectNotFollowed(t *testing.T) {
	clk := servertest.NewClock(time.Now().UTC())
	s := servertest.Start(t, servertest.Options{Now: clk.Now, WebhookAllowPrivate: true})
	ctx := context.Background()
	followed := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed = true
			return
		}
		w.Header().Set("Location", "/elsewhere")
		w.WriteHeader(http.StatusTemporaryRedirect)
		_, _ = w.Write([]byte(strings.Repeat("x", 1<<20))) // a big answer, read only up to the bound
	}))
	defer srv.Close()
	w, err := s.Operator.AddWebhook(ctx, licet.Webhook{URL: srv.URL + "/hook", Tenant: "contoso"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "contoso"}); err != nil {
		t.Fatal(err)
	}
	if n := step(t, s); n != 0 {
		t.Fatalf("%d delivered; want none", n)
	}
	ds, err := s.Operator.Deliveries(ctx, w.ID, 10)
	if err != nil || len(ds) != 1 || ds[0].Status != webhooks.StatusPending || ds[0].LastStatus != http.StatusTemporaryRedirect ||
		!strings.Contains(ds[0].LastError, "redirects are not followed") || len(ds[0].LastError) > 400 {
		t.Fatalf("deliveries %+v, %v; want a pending retry after a 307, its error bounded", ds, err)
	}
	if followed {
		t.Error("the redirect was followed")
	}
}

// TestTestEvent: `licet webhook test` queues a webhook.test event for that webhook only.
func TestTestEvent(t *testing.T) {
	clk := servertest.NewClock(time.Now().UTC())
	s := servertest.Start(t, servertest.Options{Now: clk.Now, WebhookAllowPrivate: true})
	ctx := context.Background()
	one, other := newReceiver(t, clk), newReceiver(t, clk)
	w := one.add(t, s.Operator, "contoso")
	other.add(t, s.Operator, "contoso")
	d, err := s.Operator.TestWebhook(ctx, w.ID)
	if err != nil || d.EventType != licet.EventWebhookTest || d.Status != webhooks.StatusPending || d.WebhookID != w.ID {
		t.Fatalf("test: %+v, %v", d, err)
	}
	if n := step(t, s); n != 1 {
		t.Fatalf("%d delivered; want the test event once", n)
	}
	if got := one.received(); len(got) != 1 || got[0].Type != licet.EventWebhookTest || !got[0].Verified || got[0].ID != d.EventID {
		t.Errorf("the tested webhook received %+v", got)
	}
	if got := other.received(); len(got) != 0 {
		t.Errorf("another webhook received %+v", got)
	}
}

// TestDeliveryRechecksAddress: a worker that does not allow private targets refuses to connect
// to a loopback receiver even though the webhook exists (created while they were allowed, or
// under a name that resolves elsewhere now).
func TestDeliveryRechecksAddress(t *testing.T) {
	clk := servertest.NewClock(time.Now().UTC())
	s := servertest.Start(t, servertest.Options{Now: clk.Now, WebhookAllowPrivate: true})
	ctx := context.Background()
	rcv := newReceiver(t, clk)
	w := rcv.add(t, s.Operator, "contoso")
	if _, err := s.Operator.TestWebhook(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	sealer, err := webhooks.NewSealer(s.App.Key)
	if err != nil {
		t.Fatal(err)
	}
	strict := &webhooks.Worker{DB: s.App.DB, Now: clk.Now, Sealer: sealer}
	if n, err := strict.Step(ctx); n != 0 || err != nil {
		t.Fatalf("strict worker: %d delivered, %v", n, err)
	}
	ds, _ := s.Operator.Deliveries(ctx, w.ID, 10)
	if len(ds) != 1 || ds[0].Status != webhooks.StatusPending || !strings.Contains(ds[0].LastError, "private or loopback") || len(rcv.received()) != 0 {
		t.Fatalf("deliveries %+v, received %v; want the connection refused before it was made", ds, rcv.received())
	}
}
