// Package centraltest creates the rows KMS host activation reads — tenants, product groups,
// products and kms-host keys — directly in SQL, for tests.
package centraltest

import (
	"context"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/kmscentral"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

var created = store.Millis(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))

// Tenant creates a tenant and returns its id.
func Tenant(t testing.TB, db *store.DB, slug string) int64 {
	t.Helper()
	ts := &tenancy.Service{DB: db, Now: time.Now}
	tn, err := ts.CreateTenant(licet.WithActor(context.Background(), licet.System), licet.Tenant{Slug: slug, Name: slug})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn.ID
}

// Group creates a product group that covers the given (existing) groups.
func Group(t testing.TB, db *store.DB, id uint16, slug string, covers ...uint16) {
	t.Helper()
	exec(t, db, `INSERT INTO product_groups (id, slug, name, created_at) VALUES (?, ?, ?, ?)`, id, slug, slug, created)
	for _, c := range covers {
		exec(t, db, `INSERT INTO product_group_covers (group_id, covered_id) VALUES (?, ?)`, id, c)
	}
}

// Product creates a product of a kind (client, server, application) in a group, with a GVLK.
func Product(t testing.TB, db *store.DB, slug, kind string, group uint16) keys.Key {
	t.Helper()
	gvlk, err := keys.New(keys.KMSClient, group, nil)
	if err != nil {
		t.Fatal(err)
	}
	pool := map[string]string{"client": "systems", "server": "servers", "application": "applications"}[kind]
	exec(t, db, `INSERT INTO products (slug, name, version, kind, group_id, pool, gvlk, created_at) VALUES (?, ?, '', ?, ?, ?, ?, ?)`,
		slug, slug, kind, group, pool, gvlk.String(), created)
	return gvlk
}

// HostKey creates a kms-host key of the group for the tenant (0: none) and returns it and its id.
func HostKey(t testing.TB, db *store.DB, tenantID int64, group uint16) (keys.Key, int64) {
	t.Helper()
	return Key(t, db, tenantID, group, keys.KMSHost)
}

// Key creates a key of any type; key_enc holds a placeholder.
func Key(t testing.TB, db *store.DB, tenantID int64, group uint16, typ keys.Type) (keys.Key, int64) {
	t.Helper()
	k, err := keys.New(typ, group, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tenant any
	if tenantID != 0 {
		tenant = tenantID
	}
	s := k.String()
	var id int64
	err = db.Write(context.Background(), func(tx *store.Tx) (err error) {
		id, err = tx.Insert(context.Background(), `INSERT INTO product_keys (tenant_id, group_id, type, key_hash, key_enc, key_tail, activation_limit, created_at) VALUES (?, ?, ?, ?, 'test-placeholder', ?, 0, ?)`,
			tenant, group, string(typ), kmscentral.KeyHash(k), s[len(s)-5:], created)
		return err
	})
	if err != nil {
		t.Fatalf("insert key: %v", err)
	}
	return k, id
}

// Block blocks a key.
func Block(t testing.TB, db *store.DB, keyID int64) {
	t.Helper()
	exec(t, db, `UPDATE product_keys SET blocked = 1 WHERE id = ?`, keyID)
}

func exec(t testing.TB, db *store.DB, q string, args ...any) {
	t.Helper()
	if err := db.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), q, args...)
		return err
	}); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
