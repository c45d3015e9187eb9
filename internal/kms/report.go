package kms

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
)

// Reporting the client table to the central service: batches of at most ReportBatch machines,
// those seen since the last report that the central service acknowledged (a cursor kept in the
// host's state, so that an outage or a restart loses nothing and a batch sent twice changes
// nothing), each signed with the host's key.
const (
	ReportBatch = 500
	// ReportRetryMax is the longest wait between attempts while the central service is down.
	ReportRetryMax = 10 * time.Minute
	reportRetryMin = 5 * time.Second
	cursorSetting  = "report_cursor"
	reportTimeout  = 30 * time.Second
	maxReportReply = 64 << 10
)

// reportCursor is where the last acknowledged report ended: the last machine's contact time and
// its pool and id (ties on time are ordered by them).
type reportCursor struct {
	Seen    int64  `json:"seen"`
	Pool    string `json:"pool"`
	Machine string `json:"machine"`
}

// Reporter sends a host's client table to the central service.
type Reporter struct {
	Host   *Host
	Server string       // the central service's base URL
	Client *http.Client // http.Client with a timeout when nil
}

// machineState is how the inventory names a client's state: Licensed until its activation runs
// out when the host activated it, else the state the client reported.
func machineState(state string, activated bool, lastActivated int64) (string, *time.Time) {
	if activated && lastActivated > 0 {
		until := time.UnixMilli(lastActivated).Add(Validity).UTC()
		return licet.StateLicensed, &until
	}
	switch state {
	case kmsclient.StateLicensed:
		return licet.StateLicensed, nil
	case kmsclient.StateInitialGrace:
		return licet.StateInitialGrace, nil
	case kmsclient.StateAdditionalGrace:
		return licet.StateAdditionalGrace, nil
	case kmsclient.StateNotification:
		return licet.StateNotification, nil
	}
	return licet.StateUnlicensed, nil
}

// reportBatch reads the next batch after the cursor and returns the report body, its signature
// (standard base64 Ed25519 over the body) and the cursor after it; an empty report when there
// is nothing new.
func (h *Host) reportBatch(ctx context.Context, after reportCursor, limit int) (body []byte, sig string, next reportCursor, n int, err error) {
	rows, err := h.st.db.QueryContext(ctx, `SELECT pool, machine_id, product, hostname, state, activated, last_seen, last_activated FROM clients
		WHERE last_seen > ? OR (last_seen = ? AND (pool > ? OR (pool = ? AND machine_id > ?)))
		ORDER BY last_seen, pool, machine_id LIMIT ?`, after.Seen, after.Seen, after.Pool, after.Pool, after.Machine, limit)
	if err != nil {
		return nil, "", after, 0, err
	}
	defer rows.Close()
	rep := licet.MachineReport{HostID: h.id, Machines: []licet.ReportedMachine{}}
	next = after
	for rows.Next() {
		var pool, id, product, hostname, state string
		var activated int
		var seen, lastActivated int64
		if err := rows.Scan(&pool, &id, &product, &hostname, &state, &activated, &seen, &lastActivated); err != nil {
			return nil, "", after, 0, err
		}
		st, until := machineState(state, activated != 0, lastActivated)
		rep.Machines = append(rep.Machines, licet.ReportedMachine{MachineID: id, Hostname: hostname, Product: product, State: st, StateUntil: until, LastSeen: time.UnixMilli(seen).UTC()})
		next = reportCursor{Seen: seen, Pool: pool, Machine: id}
	}
	if err := rows.Err(); err != nil {
		return nil, "", after, 0, err
	}
	rep.Batch = fmt.Sprintf("%d-%s-%s", next.Seen, next.Pool, next.Machine)
	if len(rep.Batch) > 64 {
		rep.Batch = rep.Batch[:64]
	}
	body, err = json.Marshal(rep)
	if err != nil {
		return nil, "", after, 0, err
	}
	return body, base64.StdEncoding.EncodeToString(ed25519.Sign(h.key, body)), next, len(rep.Machines), nil
}

func (h *Host) cursor(ctx context.Context) (reportCursor, error) {
	var c reportCursor
	v, err := h.st.get(ctx, cursorSetting)
	if err != nil || v == "" {
		return c, err
	}
	return c, json.Unmarshal([]byte(v), &c)
}

// ReportOnce sends every machine seen since the last acknowledged report, batch by batch, and
// returns how many it sent. It stops at the first failure, keeping the cursor where the central
// service last acknowledged.
func (r *Reporter) ReportOnce(ctx context.Context) (int, error) {
	h := r.Host
	if _, ok := h.Certificate(); !ok {
		return 0, licet.Errorf(licet.CodeKMSHostNotActivated, "this KMS host is not activated: the central service knows its key only once it is (licet kms activate)")
	}
	cur, err := h.cursor(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for {
		body, sig, next, n, err := h.reportBatch(ctx, cur, ReportBatch)
		if err != nil || n == 0 {
			return sent, err
		}
		if err := r.send(ctx, body, sig); err != nil {
			return sent, err
		}
		b, _ := json.Marshal(next)
		if err := h.st.set(ctx, cursorSetting, string(b)); err != nil {
			return sent, err
		}
		sent += n
		cur = next
	}
}

// send posts one signed report.
func (r *Reporter) send(ctx context.Context, body []byte, sig string) error {
	c := r.Client
	if c == nil {
		c = &http.Client{Timeout: reportTimeout}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(r.Server, "/")+"/v1/kms/reports", bytes.NewReader(body))
	if err != nil {
		return licet.Errorf(licet.EInvalid, "the central service URL %q is not valid: %v", r.Server, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Licet-Signature", sig)
	resp, err := c.Do(req)
	if err != nil {
		return licet.Errorf(licet.EUnavailable, "cannot reach the central service to report clients: %v", err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, maxReportReply))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	var e struct {
		Error *licet.Error `json:"error"`
	}
	if json.Unmarshal(reply, &e) == nil && e.Error != nil {
		return e.Error
	}
	return licet.Errorf(licet.EUnavailable, "the central service answered %s to a client report", resp.Status)
}

// Run reports every interval until ctx ends; after a failure it retries sooner, with a doubling
// wait (5 s up to ReportRetryMax, never longer than interval). sleep waits (Sleep in
// production; tests pass their own).
func (r *Reporter) Run(ctx context.Context, interval time.Duration, sleep func(context.Context, time.Duration) error) {
	wait := reportRetryMin
	for {
		n, err := r.ReportOnce(ctx)
		next := interval
		if err != nil {
			r.Host.cfg.Logger.Warn("client report failed; retrying", "err", err, "sent", n, "retry_in", wait.String())
			next = min(wait, interval)
			wait = min(2*wait, ReportRetryMax)
		} else {
			wait = reportRetryMin
			if n > 0 {
				r.Host.cfg.Logger.Info("clients reported", "machines", strconv.Itoa(n))
			}
		}
		if sleep(ctx, next) != nil {
			return
		}
	}
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
