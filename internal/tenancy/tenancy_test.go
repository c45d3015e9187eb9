package tenancy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/internal/tenancy"
)

func fixedNow() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }

func operatorCtx() context.Context {
	return licet.WithActor(context.Background(), licet.Actor{Role: licet.RoleOperator, TokenID: 1})
}

func TestTenantValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &tenancy.Service{DB: db, Now: fixedNow}
		ctx := operatorCtx()
		tests := []struct {
			name string
			in   licet.Tenant
			want string
		}{
			{"ok", licet.Tenant{Slug: "contoso", Name: "Contoso", UsageLocation: "US"}, ""},
			{"duplicate", licet.Tenant{Slug: "contoso", Name: "Again"}, licet.EConflict},
			{"bad slug", licet.Tenant{Slug: "Con toso", Name: "X"}, licet.EInvalid},
			{"no name", licet.Tenant{Slug: "noname"}, licet.EInvalid},
			{"bad org type", licet.Tenant{Slug: "a1", Name: "A", OrgType: "bank"}, licet.EInvalid},
			{"bad cloud", licet.Tenant{Slug: "a2", Name: "A", Cloud: "mars"}, licet.EInvalid},
			{"bad usage location", licet.Tenant{Slug: "a3", Name: "A", UsageLocation: "XX"}, licet.EInvalid},
			{"lowercase usage location", licet.Tenant{Slug: "a4", Name: "A", UsageLocation: "us"}, licet.EInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.CreateTenant(ctx, tt.in)
				if got := licet.ErrorCode(err); got != tt.want {
					t.Fatalf("CreateTenant(%+v): code %q (%v), want %q", tt.in, got, err, tt.want)
				}
			})
		}
		got, err := s.Tenant(ctx, "contoso")
		if err != nil || got.OrgType != "commercial" || got.Cloud != "global" || !got.CreatedAt.Equal(fixedNow()) {
			t.Fatalf("Tenant(contoso) = %+v, %v; want defaults commercial/global created now", got, err)
		}
	})
}

// TestTenantIsolation: a tenant token sees its own tenant and gets NotFound for every other.
func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &tenancy.Service{DB: db, Now: fixedNow}
		op := operatorCtx()
		for _, slug := range []string{"contoso", "fabrikam"} {
			if _, err := s.CreateTenant(op, licet.Tenant{Slug: slug, Name: slug}); err != nil {
				t.Fatal(err)
			}
		}
		tok, err := s.CreateToken(op, licet.Token{Role: licet.RoleTenant, Tenant: "contoso"})
		if err != nil {
			t.Fatal(err)
		}
		actor, err := s.Authenticate(context.Background(), tok.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if actor.Role != licet.RoleTenant || actor.Tenant != "contoso" {
			t.Fatalf("Authenticate = %+v, want tenant contoso", actor)
		}
		ctx := licet.WithActor(context.Background(), actor)
		if _, err := s.Tenant(ctx, "contoso"); err != nil {
			t.Fatalf("own tenant: %v", err)
		}
		if _, err := s.Tenant(ctx, "fabrikam"); licet.ErrorCode(err) != licet.ENotFound {
			t.Fatalf("other tenant: %v, want NotFound", err)
		}
		list, err := s.Tenants(ctx)
		if err != nil || len(list) != 1 || list[0].Slug != "contoso" {
			t.Fatalf("Tenants as contoso = %+v, %v; want only contoso", list, err)
		}
		if _, err := s.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "fabrikam"}); licet.ErrorCode(err) != licet.ENotFound {
			t.Fatalf("token for another tenant: %v, want NotFound", err)
		}
		if _, err := s.CreateTenant(ctx, licet.Tenant{Slug: "evil", Name: "Evil"}); licet.ErrorCode(err) != licet.EForbidden {
			t.Fatalf("tenant creating a tenant: %v, want forbidden", err)
		}
		entries, err := (&audit.Service{DB: db}).Audit(ctx, licet.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Tenant != "contoso" {
				t.Fatalf("tenant admin sees audit entry of %q: %+v", e.Tenant, e)
			}
		}
		if len(entries) == 0 {
			t.Fatal("tenant admin sees no audit entries of its own tenant")
		}
	})
}

func TestTokenLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &tenancy.Service{DB: db, Now: fixedNow}
		ctx := context.Background()
		first, err := s.Bootstrap(ctx)
		if err != nil || first == "" {
			t.Fatalf("Bootstrap = %q, %v; want a secret", first, err)
		}
		again, err := s.Bootstrap(ctx)
		if err != nil || again != "" {
			t.Fatalf("second Bootstrap = %q, %v; want nothing", again, err)
		}
		var stored string
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT hash FROM tokens`).Scan(&stored)
		}); err != nil {
			t.Fatal(err)
		}
		if stored == first || stored != tenancy.HashToken(first) {
			t.Fatalf("stored token %q is not the hash of the secret", stored)
		}
		actor, err := s.Authenticate(ctx, first)
		if err != nil || !actor.IsOperator() {
			t.Fatalf("Authenticate(first) = %+v, %v", actor, err)
		}
		op := licet.WithActor(ctx, actor)
		err = s.RevokeToken(op, actor.TokenID)
		if licet.ErrorCode(err) != licet.CodeLastOperatorToken || !strings.Contains(err.Error(), "licet token recover") {
			t.Fatalf("revoking the last operator token = %v, want %s naming the way out", err, licet.CodeLastOperatorToken)
		}
		second, err := s.CreateToken(op, licet.Token{Role: licet.RoleOperator})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(op, actor.TokenID); err != nil {
			t.Fatalf("revoking an operator token while another is active: %v", err)
		}
		if err := s.RevokeToken(op, second.ID); licet.ErrorCode(err) != licet.CodeLastOperatorToken {
			t.Fatalf("revoking the second, now last, operator token = %v, want %s", err, licet.CodeLastOperatorToken)
		}
		for _, secret := range []string{first, "licet_wrong", "", "Bearer x"} {
			if _, err := s.Authenticate(ctx, secret); licet.ErrorCode(err) != licet.EUnauthorized {
				t.Errorf("Authenticate(%q) = %v, want unauthorized", secret, err)
			}
		}
		ts, err := s.Tokens(op)
		if err != nil || len(ts) != 2 || ts[0].RevokedAt == nil || ts[1].RevokedAt != nil || ts[0].Secret != "" {
			t.Fatalf("Tokens = %+v, %v; want the first revoked, the second active, no secrets", ts, err)
		}
	})
}

// TestRecover: an operator locked out (every operator token revoked) gets a working operator
// token from the database, and the audit log says so.
func TestRecover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &tenancy.Service{DB: db, Now: fixedNow}
		ctx := context.Background()
		if _, err := s.Bootstrap(ctx); err != nil {
			t.Fatal(err)
		}
		// Lock out the way an older licet allowed: revoke every token in the database.
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = 1`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		tok, err := s.Recover(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		actor, err := s.Authenticate(ctx, tok.Secret)
		if err != nil || actor.Role != licet.RoleOperator || actor.TokenID != tok.ID {
			t.Fatalf("Authenticate(recovered) = %+v, %v; want operator token %d", actor, err, tok.ID)
		}
		entries, err := (&audit.Service{DB: db}).Audit(licet.WithActor(ctx, actor), licet.AuditFilter{Action: "token.recover"})
		if err != nil || len(entries) != 1 || entries[0].Object != fmt.Sprintf("token:%d", tok.ID) {
			t.Fatalf("audit of token.recover = %+v, %v; want one entry for token %d", entries, err, tok.ID)
		}
	})
}

// TestActorByTokenID: the console re-reads a session's token on every request; a revoked or
// unknown token gives EUnauthorized, a live one its role and tenant.
func TestActorByTokenID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &tenancy.Service{DB: db, Now: fixedNow}
		ctx := operatorCtx()
		if _, err := s.CreateTenant(ctx, licet.Tenant{Slug: "contoso", Name: "Contoso"}); err != nil {
			t.Fatal(err)
		}
		tok, err := s.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "contoso"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.ActorByTokenID(ctx, tok.ID)
		if err != nil || a.Role != licet.RoleTenant || a.Tenant != "contoso" || a.TenantID == 0 || a.TokenID != tok.ID {
			t.Fatalf("ActorByTokenID = %+v, %v; want tenant contoso with token %d", a, err, tok.ID)
		}
		if err := s.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		for name, id := range map[string]int64{"revoked": tok.ID, "unknown": tok.ID + 100} {
			if _, err := s.ActorByTokenID(ctx, id); licet.ErrorCode(err) != licet.EUnauthorized {
				t.Errorf("%s: ActorByTokenID = %v, want unauthorized", name, err)
			}
		}
	})
}
