package activation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/store"
)

// issuable are the key types IssueKey makes; kms-client keys are the products' public GVLKs.
var issuable = []string{string(keys.MAK), string(keys.KMSHost), string(keys.Setup), string(keys.Retail)}

// IssueKey issues a product key under an agreement.
func (s *Service) IssueKey(ctx context.Context, r licet.KeyRequest) (*licet.ProductKey, error) {
	if err := operatorOnly(ctx, "issue keys"); err != nil {
		return nil, err
	}
	if err := oneOf("type", r.Type, issuable); err != nil {
		if r.Type == string(keys.KMSClient) {
			return nil, licet.Errorf(licet.EInvalid, "kms-client keys (GVLKs) are public, one per product: see `licet key gvlk`").With("field", "type")
		}
		return nil, err
	}
	if r.Limit < 0 || r.Limit > licet.MaxKeyLimit {
		return nil, licet.Errorf(licet.EInvalid, "limit must be from 1 to %d (0: the default of the agreement)", licet.MaxKeyLimit).With("field", "limit")
	}
	typ := keys.Type(r.Type)
	now := s.nowTime()
	var out licet.ProductKey
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := lookupAgreement(ctx, tx, r.Agreement)
		if err != nil {
			return err
		}
		group, groupSlug, err := lookupGroup(ctx, tx, r.Group)
		if err != nil {
			return err
		}
		k, err := keys.New(typ, group, nil)
		if err != nil {
			return err
		}
		limit := r.Limit
		if limit == 0 {
			limit = defaultLimit(typ, a.Agreement)
		}
		if typ == keys.Setup {
			limit = 0
		}
		out, err = s.insertKey(ctx, tx, k, a.tenantID, a.Tenant, a.ID, a.LicensingID, groupSlug, limit, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

const keyColumns = `k.id, k.tenant_id, COALESCE(t.slug, ''), COALESCE(a.licensing_id, ''), k.group_id, g.slug, k.type, k.key_enc, k.activation_limit, k.used, k.blocked, k.created_at
	FROM product_keys k JOIN product_groups g ON g.id = k.group_id LEFT JOIN tenants t ON t.id = k.tenant_id LEFT JOIN agreements a ON a.id = k.agreement_id`

type keyRow struct {
	licet.ProductKey
	tenantID int64
	sealed   string
}

func scanKey(r store.Scanner) (keyRow, error) {
	var k keyRow
	var tenantID sql.NullInt64
	var group, blocked, created int64
	err := r.Scan(&k.ID, &tenantID, &k.Tenant, &k.Agreement, &group, &k.GroupSlug, &k.Type, &k.sealed, &k.Limit, &k.Used, &blocked, &created)
	k.tenantID, k.Group, k.Blocked, k.CreatedAt = tenantID.Int64, uint16(group), blocked != 0, store.Time(created)
	k.Remaining = k.Limit - k.Used
	return k, err
}

// reveal decrypts the key for the page shown to the operator or the key's tenant admins.
func (s *Service) reveal(k keyRow) (licet.ProductKey, error) {
	text, err := s.sealer.Open(k.sealed)
	if err != nil {
		return licet.ProductKey{}, fmt.Errorf("key %d: %w", k.ID, err)
	}
	k.Key = text
	return k.ProductKey, nil
}

// Keys lists the keys of a tenant, or every key the caller may see.
func (s *Service) Keys(ctx context.Context, tenant string) ([]licet.ProductKey, error) {
	var out []licet.ProductKey
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		q, args, err := tenantFilter(ctx, tx, tenant, "k")
		if err != nil {
			return err
		}
		rows, err := store.Collect(ctx, tx, scanKey, `SELECT `+keyColumns+q+` ORDER BY k.id`, args...)
		if err != nil {
			return err
		}
		for _, r := range rows {
			k, err := s.reveal(r)
			if err != nil {
				return err
			}
			out = append(out, k)
		}
		return nil
	})
	return out, err
}

// readKey reads a key row the actor may see, by a condition on k.
func readKey(ctx context.Context, tx *store.Tx, where string, arg any, name string) (keyRow, error) {
	k, err := scanKey(tx.QueryRow(ctx, `SELECT `+keyColumns+` WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !licet.ActorFrom(ctx).CanSeeTenant(k.tenantID)) {
		return k, licet.Errorf(licet.ENotFound, "product key %s not found (see `licet key list`)", name)
	}
	return k, err
}

// Key returns a key by id.
func (s *Service) Key(ctx context.Context, id int64) (*licet.ProductKey, error) {
	return s.readOne(ctx, "k.id = ?", id, fmt.Sprint(id))
}

// LookupKey returns the record of a key given as text.
func (s *Service) LookupKey(ctx context.Context, text string) (*licet.ProductKey, error) {
	k, err := keys.Parse(text)
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "%v", err).With("field", "key")
	}
	return s.readOne(ctx, "k.key_hash = ?", k.Hash(), keys.Masked(k.String()))
}

func (s *Service) readOne(ctx context.Context, where string, arg any, name string) (*licet.ProductKey, error) {
	var out licet.ProductKey
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		k, err := readKey(ctx, tx, where, arg, name)
		if err != nil {
			return err
		}
		out, err = s.reveal(k)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ExtendKey raises a key's limit by n.
func (s *Service) ExtendKey(ctx context.Context, id int64, n int64) (*licet.ProductKey, error) {
	if err := operatorOnly(ctx, "raise a key's limit"); err != nil {
		return nil, err
	}
	if n < 1 || n > licet.MaxKeyLimit {
		return nil, licet.Errorf(licet.EInvalid, "extend by 1 to %d activations", licet.MaxKeyLimit).With("field", "by")
	}
	return s.changeKey(ctx, id, "key.extend", func(ctx context.Context, tx *store.Tx, k *keyRow) (string, string, error) {
		if k.Type == string(keys.Setup) {
			return "", "", licet.Errorf(licet.EInvalid, "a setup key activates nothing; its limit cannot be raised")
		}
		max := int64(licet.MaxKeyLimit)
		if k.Type == string(keys.KMSHost) {
			max = licet.MaxKMSHostLimit
		}
		if k.Limit+n > max {
			return "", "", licet.Errorf(licet.CodeExtensionLimitExceeded, "MAK extension limit exceeded: the limit of key %d would be %d, over the largest limit %d; issue another key instead", k.ID, k.Limit+n, max).
				With("limit", k.Limit).With("max", max)
		}
		if _, err := tx.Exec(ctx, `UPDATE product_keys SET activation_limit = activation_limit + ? WHERE id = ?`, n, k.ID); err != nil {
			return "", "", err
		}
		before := fmt.Sprint(k.Limit)
		k.Limit += n
		k.Remaining += n
		return before, fmt.Sprint(k.Limit), nil
	})
}

// BlockKey blocks or unblocks a key.
func (s *Service) BlockKey(ctx context.Context, id int64, blocked bool) (*licet.ProductKey, error) {
	if err := operatorOnly(ctx, "block keys"); err != nil {
		return nil, err
	}
	action := "key.unblock"
	if blocked {
		action = "key.block"
	}
	return s.changeKey(ctx, id, action, func(ctx context.Context, tx *store.Tx, k *keyRow) (string, string, error) {
		if _, err := tx.Exec(ctx, `UPDATE product_keys SET blocked = ? WHERE id = ?`, store.Bool(blocked), k.ID); err != nil {
			return "", "", err
		}
		before := fmt.Sprint(k.Blocked)
		k.Blocked = blocked
		return before, fmt.Sprint(blocked), nil
	})
}

// changeKey reads a key, applies change in the same transaction and audits it.
func (s *Service) changeKey(ctx context.Context, id int64, action string, change func(context.Context, *store.Tx, *keyRow) (before, after string, err error)) (*licet.ProductKey, error) {
	now := s.nowTime()
	var out licet.ProductKey
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		k, err := readKey(ctx, tx, "k.id = ?", id, fmt.Sprint(id))
		if err != nil {
			return err
		}
		before, after, err := change(ctx, tx, &k)
		if err != nil {
			return err
		}
		if out, err = s.reveal(k); err != nil {
			return err
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{TenantID: k.tenantID, Action: action, Object: fmt.Sprintf("key:%d", k.ID), Before: before, After: after})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// insertKey stores a new key (hashed, fingerprinted, sealed) for a tenant, under an agreement
// when agreementID is not 0, and audits its issue.
func (s *Service) insertKey(ctx context.Context, tx *store.Tx, k keys.Key, tenantID int64, tenant string, agreementID int64, licensingID, groupSlug string, limit int64, now time.Time) (licet.ProductKey, error) {
	var agreement any
	if agreementID != 0 {
		agreement = agreementID
	}
	text := k.String()
	id, err := tx.Insert(ctx, `INSERT INTO product_keys (tenant_id, agreement_id, group_id, type, key_hash, key_fp, key_enc, key_tail, activation_limit, used, blocked, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?)`, tenantID, agreement, int64(k.Group), string(k.Type), k.Hash(), KeyFingerprint(k.Fingerprint()), s.sealer.Seal(text), KeyTail(k), limit, store.Millis(now))
	if err != nil {
		return licet.ProductKey{}, err
	}
	details := "no agreement"
	if licensingID != "" {
		details = "agreement " + licensingID
	}
	return licet.ProductKey{ID: id, Key: text, Type: string(k.Type), Group: k.Group, GroupSlug: groupSlug, Tenant: tenant, Agreement: licensingID,
			Limit: limit, Remaining: limit, CreatedAt: now},
		audit.Write(ctx, tx, store.Millis(now), audit.Record{TenantID: tenantID, Action: "key.issue", Object: fmt.Sprintf("key:%d", id),
			After: fmt.Sprintf("%s group %d limit %d", k.Type, k.Group, limit), Details: details})
}
