package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/signing"
	"github.com/licet/licet/internal/store"
)

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// Headers of a delivery.
const (
	HeaderSignature = "Licet-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
	HeaderEventID   = "Licet-Event-Id"
	HeaderEventType = "Licet-Event-Type"
)

// Retry schedule: the n-th retry waits Base·2^(n-1), at most MaxDelay, of which a random half
// (jitter); a delivery still failing MaxAge after it was queued is marked failed.
const (
	RetryBase     = 10 * time.Second
	RetryMaxDelay = time.Hour
	MaxAge        = 24 * time.Hour
	// MaxResponse bounds how much of a receiver's answer is read.
	MaxResponse = 64 << 10
)

// Backoff returns the longest wait before retry number attempt (1 for the first retry).
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 20 {
		return RetryMaxDelay
	}
	return min(RetryBase<<(attempt-1), RetryMaxDelay)
}

// Sign returns the signature header value of a body sent at t with the secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature header against the body and the secret, and that its time is
// within tolerance of now: what a receiver does before trusting a delivery.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("webhooks: the signature header is malformed")
	}
	t := time.Unix(sec, 0)
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return errors.New("webhooks: the signature is too old or from the future")
	}
	want := Sign(secret, t, body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return errors.New("webhooks: the signature does not match")
	}
	return nil
}

// Worker delivers pending deliveries. Each webhook is claimed with a lease in the database, so
// that several processes share the work without sending to one webhook at once; a process that
// dies holding a lease loses it when it runs out.
type Worker struct {
	DB     *store.DB
	Now    func() time.Time
	Sealer *signing.Sealer
	Logger *slog.Logger
	// AllowPrivate lets deliveries connect to private and loopback addresses.
	AllowPrivate bool
	// Timeout bounds one delivery (default 10 s); the lease on a webhook lasts twice as long.
	Timeout time.Duration
	// Interval is how often Run looks for due deliveries (default 1 s).
	Interval time.Duration
	// Jitter returns a number in [0, 1) (math/rand/v2 when nil).
	Jitter func() float64
	// Parallel bounds the webhooks served at once (default 8).
	Parallel int

	once   sync.Once
	owner  string
	client *http.Client
	mu     sync.Mutex
	busy   map[int64]bool // webhooks this process is serving (the lease is per process)
}

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Timeout <= 0 {
			w.Timeout = 10 * time.Second
		}
		if w.Interval <= 0 {
			w.Interval = time.Second
		}
		if w.Jitter == nil {
			w.Jitter = mrand.Float64
		}
		if w.Parallel <= 0 {
			w.Parallel = 8
		}
		if w.Logger == nil {
			w.Logger = slog.New(slog.DiscardHandler)
		}
		var b [8]byte
		_, _ = rand.Read(b[:])
		w.owner = hex.EncodeToString(b[:])
		dialer := &net.Dialer{Timeout: w.Timeout, Control: dialControl(w.AllowPrivate)}
		w.client = &http.Client{
			Timeout: w.Timeout,
			Transport: &http.Transport{
				Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: w.Timeout,
				ResponseHeaderTimeout: w.Timeout, MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
}

// Run delivers until ctx ends, looking for due deliveries every Interval.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		if _, err := w.Step(ctx); err != nil && ctx.Err() == nil {
			w.Logger.Warn("webhook deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step serves every webhook with a due delivery once: it sends that webhook's pending
// deliveries in order until one fails or none is due. It returns how many were delivered.
func (w *Worker) Step(ctx context.Context) (int, error) {
	w.init()
	now := store.Millis(w.Now())
	var ids []int64
	err := w.DB.Read(ctx, func(tx *store.Tx) (err error) {
		ids, err = store.Collect(ctx, tx, func(r store.Scanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		}, `SELECT DISTINCT d.webhook_id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
			WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (w.lease_until < ? OR w.lease_owner = ?) ORDER BY d.webhook_id LIMIT 256`, now, now, w.owner)
		return err
	})
	if err != nil {
		return 0, err
	}
	var (
		mu    sync.Mutex
		total int
		errs  []error
		wg    sync.WaitGroup
		sem   = make(chan struct{}, w.Parallel)
	)
	for _, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			n, err := w.serve(ctx, id)
			mu.Lock()
			total += n
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, errors.Join(errs...)
}

// maxPerTurn bounds the deliveries of one webhook in one Step, so that one busy webhook does
// not hold a turn for ever.
const maxPerTurn = 500

// serve claims a webhook and sends its due deliveries in order.
func (w *Worker) serve(ctx context.Context, webhook int64) (int, error) {
	w.mu.Lock()
	if w.busy == nil {
		w.busy = map[int64]bool{}
	}
	if w.busy[webhook] {
		w.mu.Unlock()
		return 0, nil
	}
	w.busy[webhook] = true
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.busy, webhook)
		w.mu.Unlock()
	}()
	defer func() {
		// Released even at shutdown, so that another process need not wait for the lease to end.
		rctx := context.WithoutCancel(ctx)
		_ = w.DB.Write(rctx, func(tx *store.Tx) error {
			_, err := tx.Exec(rctx, `UPDATE webhooks SET lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ?`, webhook, w.owner)
			return err
		})
	}()
	n := 0
	for range maxPerTurn {
		if ctx.Err() != nil {
			return n, nil
		}
		now := w.Now()
		d, ok, err := w.claim(ctx, webhook, now)
		if err != nil || !ok {
			return n, err
		}
		if d.next > store.Millis(now) {
			return n, nil // the head waits for its retry; the ones behind it wait too (order)
		}
		code, failure := w.send(ctx, d, now)
		gaveUp, err := w.record(ctx, d, now, code, failure)
		if err != nil {
			return n, err
		}
		switch {
		case gaveUp:
			continue // failed for good: the next one goes out
		case failure != "":
			return n, nil
		}
		n++
	}
	return n, nil
}

// head is a webhook's oldest pending delivery with what sending it needs.
type head struct {
	id, attempts, next, created int64
	url, secret                 string
	event                       licet.Event
}

// claim renews (or takes) the lease on a webhook and reads its oldest pending delivery.
func (w *Worker) claim(ctx context.Context, webhook int64, now time.Time) (head, bool, error) {
	var h head
	var ok bool
	ms := store.Millis(now)
	err := w.DB.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.Exec(ctx, `UPDATE webhooks SET lease_owner = ?, lease_until = ? WHERE id = ? AND (lease_owner = ? OR lease_until < ?)`,
			w.owner, ms+2*w.Timeout.Milliseconds(), webhook, w.owner, ms)
		if err != nil || n == 0 {
			return err
		}
		var sealed string
		e, err := outbox.ScanEvent(scanFunc(func(dest ...any) error {
			return tx.QueryRow(ctx, `SELECT d.id, d.attempts, d.next_attempt_at, d.created_at, w.url, w.secret_enc, `+outbox.Columns+`
				FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
				LEFT JOIN tenants t ON t.id = e.tenant_id
				WHERE d.webhook_id = ? AND d.status = 'pending' ORDER BY d.id LIMIT 1`, webhook).
				Scan(append([]any{&h.id, &h.attempts, &h.next, &h.created, &h.url, &sealed}, dest...)...)
		}))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		h.event = e
		if h.secret, err = w.Sealer.Open(sealed); err != nil {
			return fmt.Errorf("webhook %d: %w", webhook, err)
		}
		ok = true
		return nil
	})
	return h, ok, err
}

// scanFunc adapts a function to store.Scanner.
type scanFunc func(dest ...any) error

// Scan implements store.Scanner.
func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// send posts one delivery and returns the receiver's status and, when it failed, why.
func (w *Worker) send(ctx context.Context, d head, now time.Time) (int, string) {
	body, err := json.Marshal(d.event)
	if err != nil {
		return 0, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "licet-webhooks/1")
	req.Header.Set(HeaderEventID, d.event.ID)
	req.Header.Set(HeaderEventType, d.event.Type)
	req.Header.Set(HeaderSignature, Sign(d.secret, now, body))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, bounded(err.Error())
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	msg := resp.Status
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		msg += " (redirects are not followed: give the final URL)"
	}
	if len(answer) > 0 {
		msg += ": " + string(answer)
	}
	return resp.StatusCode, bounded(msg)
}

// bounded cuts a message to what the deliveries table keeps, as valid UTF-8 without control
// characters (a receiver's answer may hold anything; PostgreSQL refuses NUL and invalid UTF-8).
func bounded(s string) string {
	cut := len(s) > 300
	if cut {
		s = s[:300]
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if cut {
		s += "…"
	}
	return s
}

// record writes the outcome of one attempt: delivered, retried later, or failed for good (gaveUp)
// once MaxAge has passed since the delivery was queued.
func (w *Worker) record(ctx context.Context, d head, now time.Time, code int, failure string) (gaveUp bool, err error) {
	ms := store.Millis(now)
	err = w.DB.Write(ctx, func(tx *store.Tx) error {
		if failure == "" {
			_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = '', delivered_at = ? WHERE id = ? AND status = 'pending'`,
				code, ms, d.id)
			return err
		}
		attempts := int(d.attempts) + 1
		wait := Backoff(attempts)
		wait = wait/2 + time.Duration(w.Jitter()*float64(wait/2))
		status := StatusPending
		if gaveUp = now.Add(wait).Sub(store.Time(d.created)) > MaxAge; gaveUp {
			status = StatusFailed
		}
		_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ? AND status = 'pending'`,
			status, attempts, store.Millis(now.Add(wait)), code, failure, d.id)
		return err
	})
	return gaveUp, err
}
