// Package centraltest sets up what KMS host activation reads — tenants, product groups,
// products, agreements and kms-host keys — through the real services, for tests: the issuance
// API of the activation service in-process, or of a running server through the SDK.
package centraltest

import (
	"context"
	"crypto/ed25519"
	"strconv"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

// Operator is a context acting as the operator, for in-process services.
var Operator = licet.WithActor(context.Background(), licet.System)

// Tenant creates a tenant and returns its id.
func Tenant(t testing.TB, db *store.DB, slug string) int64 {
	t.Helper()
	ts := &tenancy.Service{DB: db, Now: time.Now}
	tn, err := ts.CreateTenant(Operator, licet.Tenant{Slug: slug, Name: slug})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn.ID
}

// Issuance is the operator's issuance API: the activation service or the SDK client.
type Issuance interface {
	licet.ProductService
	licet.AgreementService
	licet.KeyService
}

// Issuer creates groups, products and keys through an Issuance, as the operator does.
type Issuer struct {
	t          testing.TB
	ctx        context.Context
	api        Issuance
	agreements map[string]string // tenant → licensing ID
}

// NewIssuer returns an issuer calling api with ctx (Operator for an in-process service).
func NewIssuer(t testing.TB, ctx context.Context, api Issuance) *Issuer {
	return &Issuer{t: t, ctx: ctx, api: api, agreements: map[string]string{}}
}

// Service returns an in-process issuer over db: an activation service with a fresh operator
// key, stopped when the test ends.
func Service(t testing.TB, db *store.DB) *Issuer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := activation.New(db, time.Now, priv, activation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Stop)
	return NewIssuer(t, Operator, svc)
}

// Group creates a product group that covers the given (existing) groups.
func (is *Issuer) Group(id uint16, slug string, covers ...uint16) {
	is.t.Helper()
	if _, err := is.api.CreateProductGroup(is.ctx, licet.ProductGroup{ID: id, Slug: slug, Name: slug, Covers: covers}); err != nil {
		is.t.Fatalf("create group %d: %v", id, err)
	}
}

// Product creates a product of a kind (client, server, application) in a group and returns its
// GVLK.
func (is *Issuer) Product(slug, kind string, group uint16) keys.Key {
	is.t.Helper()
	p, err := is.api.CreateProduct(is.ctx, licet.Product{Slug: slug, Name: slug, Kind: licet.ProductKind(kind), Group: group})
	if err != nil {
		is.t.Fatalf("create product %s: %v", slug, err)
	}
	k, err := keys.Parse(p.GVLK)
	if err != nil {
		is.t.Fatalf("product %s's GVLK: %v", slug, err)
	}
	return k
}

// Key issues a key of a type for the tenant's agreement (made on first use) and returns it and
// its id.
func (is *Issuer) Key(tenant string, group uint16, typ keys.Type) (keys.Key, int64) {
	is.t.Helper()
	id, ok := is.agreements[tenant]
	if !ok {
		a, err := is.api.CreateAgreement(is.ctx, licet.Agreement{Tenant: tenant, Program: "open-license", Quantity: 25})
		if err != nil {
			is.t.Fatalf("create agreement for %s: %v", tenant, err)
		}
		id, is.agreements[tenant] = a.LicensingID, a.LicensingID
	}
	pk, err := is.api.IssueKey(is.ctx, licet.KeyRequest{Agreement: id, Group: strconv.Itoa(int(group)), Type: string(typ)})
	if err != nil {
		is.t.Fatalf("issue a %s key of group %d: %v", typ, group, err)
	}
	k, err := keys.Parse(pk.Key)
	if err != nil {
		is.t.Fatalf("issued key: %v", err)
	}
	return k, pk.ID
}

// HostKey issues a kms-host key of the group for the tenant.
func (is *Issuer) HostKey(tenant string, group uint16) (keys.Key, int64) {
	is.t.Helper()
	return is.Key(tenant, group, keys.KMSHost)
}

// Block blocks a key.
func (is *Issuer) Block(id int64) {
	is.t.Helper()
	if _, err := is.api.BlockKey(is.ctx, id, true); err != nil {
		is.t.Fatalf("block key %d: %v", id, err)
	}
}
