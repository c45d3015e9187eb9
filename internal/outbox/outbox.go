// Package outbox is the outbox: every change that matters is written as an event in the
// transaction of the change, with one pending delivery for each webhook subscribed to it, so that
// an event exists exactly when its change does and survives any crash. internal/webhooks
// delivers them; internal/events lists them.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
)

// Record is one event to write.
type Record struct {
	TenantID int64  // 0 when the event concerns no tenant
	Type     string // one of licet.EventTypes
	Object   any    // marshalled to JSON: what changed, camelCase
	// Dedupe, when set, writes the event only once for this value: a condition reported once
	// (a key crossing 90 % of a given limit) stays reported once whatever retries or replicas do.
	Dedupe string
	// Webhook, when set, delivers the event to this webhook only (a test event) instead of to
	// every webhook subscribed.
	Webhook int64
}

// emitLock is the PostgreSQL advisory lock every transaction writing an event holds until it
// commits, so that event and delivery ids are committed in the order they are numbered and a
// webhook's deliveries reach it in that order. Events are rare (thresholds crossed, tokens
// created), so serialising their writers costs nothing measurable.
const emitLock = 0x6c6963657401 // "licet" 01

// Emit writes the event in tx, and a pending delivery for every webhook of its tenant (or of
// every tenant) subscribed to its type. It reports whether the event was written: false when
// an event with the same Dedupe exists. Call it last in a transaction: on PostgreSQL it holds a
// lock until commit, unless the event is a duplicate already committed.
func Emit(ctx context.Context, tx *store.Tx, now int64, r Record) (bool, error) {
	obj, err := json.Marshal(r.Object)
	if err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	if r.Dedupe != "" {
		// A condition stays reported while it lasts (a KMS host below its threshold reports on
		// every report of the day): a duplicate found here writes nothing and need not queue
		// behind the emit lock.
		var known int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE dedupe = ?`, r.Dedupe).Scan(&known); err != nil {
			return false, err
		}
		if known > 0 {
			return false, nil
		}
	}
	if err := lock(ctx, tx); err != nil {
		return false, err
	}
	var tenant, dedupe any
	if r.TenantID != 0 {
		tenant = r.TenantID
	}
	if r.Dedupe != "" {
		dedupe = r.Dedupe
	}
	id, err := tx.Insert(ctx, `INSERT INTO events (tenant_id, type, object, dedupe, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (dedupe) DO NOTHING`,
		tenant, r.Type, string(obj), dedupe, now)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if r.Webhook != 0 {
		_, err = queue(ctx, tx, now, r.Webhook, id)
		return err == nil, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, status, next_attempt_at, created_at)
		SELECT id, ?, 'pending', ?, ? FROM webhooks
		WHERE (tenant_id IS NULL OR tenant_id = ?) AND (events = '*' OR ',' || events || ',' LIKE ?)
		ORDER BY id`, id, now, now, tenant, "%,"+r.Type+",%")
	return err == nil, err
}

// Requeue adds a pending delivery of an existing event to a webhook (a redelivery, or a test
// event's one delivery) and returns its id. It is delivered after the webhook's deliveries
// already queued.
func Requeue(ctx context.Context, tx *store.Tx, now, webhookID, eventID int64) (int64, error) {
	if err := lock(ctx, tx); err != nil {
		return 0, err
	}
	return queue(ctx, tx, now, webhookID, eventID)
}

// queue inserts the delivery of Requeue; the caller holds the emit lock.
func queue(ctx context.Context, tx *store.Tx, now, webhookID, eventID int64) (int64, error) {
	return tx.Insert(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, status, next_attempt_at, created_at) VALUES (?, ?, 'pending', ?, ?)`,
		webhookID, eventID, now, now)
}

// lock takes the emit lock on PostgreSQL (SQLite has one writer already).
func lock(ctx context.Context, tx *store.Tx) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(emitLock))
	return err
}

// PublicID is how an event is named outside: "evt_" and its number.
func PublicID(id int64) string { return "evt_" + strconv.FormatInt(id, 10) }

// ParseID reads a public event id.
func ParseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "evt_"), 10, 64)
	return n, err == nil && n > 0 && strings.HasPrefix(s, "evt_")
}

// Columns reads an event joined with its tenant as e and t; ScanEvent reads them.
const Columns = `e.id, e.type, e.created_at, COALESCE(t.slug, ''), e.object`

// ScanEvent reads the Columns of one event.
func ScanEvent(r store.Scanner) (licet.Event, error) {
	var e licet.Event
	var id, at int64
	var obj string
	err := r.Scan(&id, &e.Type, &at, &e.Tenant, &obj)
	e.ID, e.Time, e.Object = PublicID(id), store.Time(at), json.RawMessage(obj)
	return e, err
}

// Retention of the outbox: finished deliveries are kept DeliveryRetention for the console and
// `licet webhook deliveries`, events EventRetention once no delivery of theirs remains.
const (
	DeliveryRetention = 30 * 24 * time.Hour
	EventRetention    = 90 * 24 * time.Hour
)

// Prune deletes finished deliveries and events older than their retention, and returns how many
// rows it deleted. Pending deliveries and their events are never deleted.
func Prune(ctx context.Context, tx *store.Tx, now time.Time) (int64, error) {
	d, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < ?`, store.Millis(now.Add(-DeliveryRetention)))
	if err != nil {
		return 0, err
	}
	e, err := tx.Exec(ctx, `DELETE FROM events WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id)`,
		store.Millis(now.Add(-EventRetention)))
	return d + e, err
}
