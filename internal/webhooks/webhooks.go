// Package webhooks manages webhooks and delivers the events of the outbox (internal/outbox) to
// them: JSON bodies signed with HMAC-SHA256, retried with exponential backoff and jitter for
// 24 hours, in order per webhook, by a worker that claims a webhook with a lease in the database
// so that several server processes never send to one webhook at once.
package webhooks

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/signing"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

// SealInfo names the key webhook secrets are sealed under (derived from the signing key).
const SealInfo = "licet webhook secrets"

// NewSealer returns the sealer of webhook secrets for the signing key file's key.
func NewSealer(file ed25519.PrivateKey) (*signing.Sealer, error) {
	return signing.NewSealer(file, SealInfo)
}

// Service implements licet.WebhookService.
type Service struct {
	DB     *store.DB
	Now    func() time.Time
	Sealer *signing.Sealer
	// AllowPrivate lets webhooks reach private and loopback addresses (`--webhook-allow-private`).
	AllowPrivate bool
	// Resolver resolves webhook hosts at creation (net.DefaultResolver when nil).
	Resolver Resolver
}

var _ licet.WebhookService = (*Service)(nil)

// MaxWebhooksPerTenant bounds the webhooks of one tenant (or the operator's all-tenant ones).
const MaxWebhooksPerTenant = 20

// manager returns EForbidden unless the actor is the operator or a tenant admin.
func manager(ctx context.Context) error {
	a := licet.ActorFrom(ctx)
	if !a.IsOperator() && a.Role != licet.RoleTenant {
		return licet.Errorf(licet.EForbidden, "only the operator and tenant admins manage webhooks")
	}
	return nil
}

// CheckEvents returns the event types of a subscription, sorted, or EInvalid for an unknown one;
// none or "*" is every type.
func CheckEvents(types []string) ([]string, error) {
	var out []string
	for _, t := range types {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			continue
		case t == "*":
			return []string{"*"}, nil
		case !slices.Contains(licet.EventTypes, t):
			return nil, licet.Errorf(licet.EInvalid, "event type %q is unknown: use * or some of %s", t, strings.Join(licet.EventTypes, ", ")).With("field", "events")
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return []string{"*"}, nil
	}
	slices.Sort(out)
	return out, nil
}

// NewSecret returns a fresh webhook signing secret.
func NewSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// AddWebhook implements licet.WebhookService.
func (s *Service) AddWebhook(ctx context.Context, w licet.Webhook) (*licet.Webhook, error) {
	if err := manager(ctx); err != nil {
		return nil, err
	}
	actor := licet.ActorFrom(ctx)
	if w.Tenant == "" && !actor.IsOperator() {
		w.Tenant = actor.Tenant
	}
	u, err := CheckURL(w.URL)
	if err != nil {
		return nil, err
	}
	if w.Events, err = CheckEvents(w.Events); err != nil {
		return nil, err
	}
	res := s.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	// Resolve before the transaction: a slow name server must not hold the database's writer.
	if err := checkTarget(ctx, res, u, s.AllowPrivate); err != nil {
		return nil, err
	}
	now := s.Now().UTC().Truncate(time.Millisecond)
	w.URL, w.Secret, w.CreatedAt = u.String(), NewSecret(), now
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		var tenant any
		var tenantID int64
		if w.Tenant != "" {
			t, err := tenancy.Lookup(ctx, tx, w.Tenant)
			if err != nil {
				return err
			}
			tenant, tenantID = t.ID, t.ID
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE COALESCE(tenant_id, 0) = ?`, tenantID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxWebhooksPerTenant {
			return licet.Errorf(licet.EConflict, "a tenant has at most %d webhooks: remove one first (`licet webhook remove`)", MaxWebhooksPerTenant).With("limit", MaxWebhooksPerTenant)
		}
		id, err := tx.Insert(ctx, `INSERT INTO webhooks (tenant_id, url, events, secret_enc, created_at) VALUES (?, ?, ?, ?, ?)`,
			tenant, w.URL, strings.Join(w.Events, ","), s.Sealer.Seal(w.Secret), store.Millis(now))
		if err != nil {
			return err
		}
		w.ID = id
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{TenantID: tenantID, Action: "webhook.create", Object: fmt.Sprintf("webhook:%d", id), After: w.URL})
	})
	if err != nil {
		return nil, err
	}
	return &w, nil
}

const webhookColumns = `w.id, COALESCE(t.slug, ''), w.url, w.events, w.created_at FROM webhooks w LEFT JOIN tenants t ON t.id = w.tenant_id`

func scanWebhook(r store.Scanner) (licet.Webhook, error) {
	var w licet.Webhook
	var events string
	var at int64
	err := r.Scan(&w.ID, &w.Tenant, &w.URL, &events, &at)
	w.Events, w.CreatedAt = strings.Split(events, ","), store.Time(at)
	return w, err
}

// Webhooks implements licet.WebhookService.
func (s *Service) Webhooks(ctx context.Context) ([]licet.Webhook, error) {
	if err := manager(ctx); err != nil {
		return nil, err
	}
	a := licet.ActorFrom(ctx)
	q, args := `SELECT `+webhookColumns, []any{}
	if !a.IsOperator() {
		q += ` WHERE w.tenant_id = ?`
		args = append(args, a.TenantID)
	}
	var out []licet.Webhook
	err := s.DB.Read(ctx, func(tx *store.Tx) (err error) {
		out, err = store.Collect(ctx, tx, scanWebhook, q+` ORDER BY w.id`, args...)
		return err
	})
	return out, err
}

// visible returns the tenant id of a webhook the actor may manage, or ENotFound.
func visible(ctx context.Context, tx *store.Tx, id int64) (int64, error) {
	if err := manager(ctx); err != nil {
		return 0, err
	}
	var tenant sql.NullInt64
	err := tx.QueryRow(ctx, `SELECT tenant_id FROM webhooks WHERE id = ?`, id).Scan(&tenant)
	a := licet.ActorFrom(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.IsOperator() && (!tenant.Valid || tenant.Int64 != a.TenantID)) {
		return 0, licet.Errorf(licet.ENotFound, "webhook %d not found: see `licet webhook list`", id)
	}
	return tenant.Int64, err
}

// RemoveWebhook implements licet.WebhookService.
func (s *Service) RemoveWebhook(ctx context.Context, id int64) error {
	now := store.Millis(s.Now())
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		tenant, err := visible(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, now, audit.Record{TenantID: tenant, Action: "webhook.remove", Object: fmt.Sprintf("webhook:%d", id)})
	})
}

// TestPayload is the object of a webhook.test event.
type TestPayload struct {
	WebhookID int64  `json:"webhookId"`
	Message   string `json:"message"`
}

// TestWebhook implements licet.WebhookService.
func (s *Service) TestWebhook(ctx context.Context, id int64) (*licet.WebhookDelivery, error) {
	now := store.Millis(s.Now())
	var d licet.WebhookDelivery
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		tenant, err := visible(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := outbox.Emit(ctx, tx, now, outbox.Record{TenantID: tenant, Type: licet.EventWebhookTest, Webhook: id,
			Object: TestPayload{WebhookID: id, Message: "a test event from licet: verify its signature and answer 2xx"}}); err != nil {
			return err
		}
		d, err = scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryColumns+` WHERE d.webhook_id = ? ORDER BY d.id DESC LIMIT 1`, id))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

const deliveryColumns = `d.id, d.webhook_id, d.event_id, e.type, d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.delivered_at
	FROM webhook_deliveries d JOIN events e ON e.id = d.event_id`

func scanDelivery(r store.Scanner) (licet.WebhookDelivery, error) {
	var d licet.WebhookDelivery
	var event, next, created, delivered int64
	err := r.Scan(&d.ID, &d.WebhookID, &event, &d.EventType, &d.Status, &d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &delivered)
	d.EventID, d.CreatedAt = outbox.PublicID(event), store.Time(created)
	d.DeliveredAt = store.NullTime(sql.NullInt64{Int64: delivered, Valid: true})
	if d.Status == StatusPending {
		d.NextAttemptAt = store.NullTime(sql.NullInt64{Int64: next, Valid: true})
	}
	return d, err
}

// Deliveries implements licet.WebhookService.
func (s *Service) Deliveries(ctx context.Context, id int64, limit int) ([]licet.WebhookDelivery, error) {
	limit, err := licet.PageLimit(limit, licet.DefaultEventLimit, licet.MaxEventLimit)
	if err != nil {
		return nil, err
	}
	var out []licet.WebhookDelivery
	err = s.DB.Read(ctx, func(tx *store.Tx) error {
		if _, err := visible(ctx, tx, id); err != nil {
			return err
		}
		var err error
		out, err = store.Collect(ctx, tx, scanDelivery, `SELECT `+deliveryColumns+` WHERE d.webhook_id = ? ORDER BY d.id DESC LIMIT ?`, id, limit)
		return err
	})
	return out, err
}

// Redeliver implements licet.WebhookService.
func (s *Service) Redeliver(ctx context.Context, deliveryID int64) (*licet.WebhookDelivery, error) {
	now := store.Millis(s.Now())
	var d licet.WebhookDelivery
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var webhook, event int64
		err := tx.QueryRow(ctx, `SELECT webhook_id, event_id FROM webhook_deliveries WHERE id = ?`, deliveryID).Scan(&webhook, &event)
		if errors.Is(err, sql.ErrNoRows) {
			return licet.Errorf(licet.ENotFound, "delivery %d not found: see `licet webhook deliveries`", deliveryID)
		}
		if err != nil {
			return err
		}
		tenant, err := visible(ctx, tx, webhook)
		if err != nil {
			return licet.Errorf(licet.ENotFound, "delivery %d not found: see `licet webhook deliveries`", deliveryID)
		}
		id, err := outbox.Requeue(ctx, tx, now, webhook, event)
		if err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, now, audit.Record{TenantID: tenant, Action: "webhook.redeliver", Object: fmt.Sprintf("delivery:%d", deliveryID)}); err != nil {
			return err
		}
		d, err = scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryColumns+` WHERE d.id = ?`, id))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}
