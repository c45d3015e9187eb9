package licet

import (
	"context"
	"time"
)

// Organisation types a tenant may have; the catalog restricts some SKUs to some of them.
var OrgTypes = []string{"commercial", "gcc", "gov", "edu", "nonprofit"}

// Clouds a tenant may live in; the catalog restricts some SKUs to some of them.
var Clouds = []string{"global", "21vianet"}

// Tenant is a customer organisation: it holds agreements, keys, subscriptions and users.
type Tenant struct {
	ID            int64     `json:"id"`
	Slug          string    `json:"slug"`
	Name          string    `json:"name"`
	OrgType       string    `json:"orgType"`
	Cloud         string    `json:"cloud"`
	UsageLocation string    `json:"usageLocation,omitempty"` // ISO 3166 alpha-2; users default to it
	CreatedAt     time.Time `json:"createdAt"`
}

// TenantService creates and reads tenants.
type TenantService interface {
	// CreateTenant creates a tenant. Operator only. Errors: EInvalid (bad slug, org type, cloud or
	// usage location), EConflict (slug taken), EForbidden.
	CreateTenant(ctx context.Context, t Tenant) (*Tenant, error)
	// Tenant returns the tenant with the slug. Errors: ENotFound (also when the caller may not see it).
	Tenant(ctx context.Context, slug string) (*Tenant, error)
	// Tenants lists the tenants the caller may see, by slug.
	Tenants(ctx context.Context) ([]Tenant, error)
}

// Token is an API token's public record; the secret itself is shown once and stored only hashed.
type Token struct {
	ID        int64      `json:"id"`
	Role      Role       `json:"role"`
	Tenant    string     `json:"tenant,omitempty"`
	Partner   string     `json:"partner,omitempty"`
	Label     string     `json:"label,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	Secret    string     `json:"secret,omitempty"` // set only in the answer that creates it
}

// TokenService issues, checks and revokes API tokens.
type TokenService interface {
	// CreateToken issues a token of the role (a tenant token needs Tenant, a partner token
	// Partner) and returns it with its secret. Operator only; a tenant admin may create tokens for
	// its own tenant. Errors: EInvalid, ENotFound (tenant), EForbidden.
	CreateToken(ctx context.Context, t Token) (*Token, error)
	// Tokens lists the tokens the caller may see, without secrets.
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken revokes a token by id. Errors: ENotFound, EForbidden.
	RevokeToken(ctx context.Context, id int64) error
	// Authenticate returns the actor of a token secret. Errors: EUnauthorized.
	Authenticate(ctx context.Context, secret string) (Actor, error)
}

// AuditEntry is one change: who made it, what it was, when, and the ids before and after.
type AuditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Tenant  string    `json:"tenant,omitempty"`
	Action  string    `json:"action"`
	Object  string    `json:"object"`
	Before  string    `json:"before,omitempty"`
	After   string    `json:"after,omitempty"`
	Details string    `json:"details,omitempty"`
}

// AuditFilter narrows an audit listing.
type AuditFilter struct {
	Tenant string `json:"tenant,omitempty"`
	Action string `json:"action,omitempty"` // prefix match, e.g. "key." or "tenant.create"
	Limit  int    `json:"limit,omitempty"`
	Before int64  `json:"before,omitempty"` // entries with id below this, for paging
}

// AuditService reads the audit log. Every service writes to it in the transaction of its change.
type AuditService interface {
	// Audit lists entries newest first. A tenant admin sees only its tenant's entries.
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}
