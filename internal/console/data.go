package console

import (
	"time"

	"github.com/licet/licet"
)

// Data shared by several pages and panels, read once per request.

// tokens returns the tokens the actor sees.
func (c *reqCtx) tokens() ([]licet.Token, error) {
	return memo(c, "tokens", func() ([]licet.Token, error) { return c.s.Tokens.Tokens(c.ctx()) })
}

// tenants returns the tenants the actor sees.
func (c *reqCtx) tenants() ([]licet.Tenant, error) {
	return memo(c, "tenants", func() ([]licet.Tenant, error) { return c.s.Tenants.Tenants(c.ctx()) })
}

// auditWindow is how many audit entries the overview reads for its counts and chart.
const auditWindow = 1000

// recentAudit returns up to auditWindow newest audit entries of the tenant ("" for all the actor
// sees).
func (c *reqCtx) recentAudit(tenant string) ([]licet.AuditEntry, error) {
	return memo(c, "audit:"+tenant, func() ([]licet.AuditEntry, error) {
		return c.s.Audit.Audit(c.ctx(), licet.AuditFilter{Tenant: tenant, Limit: auditWindow})
	})
}

// memo runs load once per request for key.
func memo[T any](c *reqCtx, key string, load func() (T, error)) (T, error) {
	if v, ok := c.memo[key].(T); ok {
		return v, nil
	}
	v, err := load()
	if err == nil {
		c.memo[key] = v
	}
	return v, err
}

// activeTokens counts the unrevoked tokens per tenant slug ("" for operator and partner tokens).
func activeTokens(ts []licet.Token) map[string]int {
	n := map[string]int{}
	for _, t := range ts {
		if t.RevokedAt == nil {
			n[t.Tenant]++
		}
	}
	return n
}

// since counts the entries at or after t.
func since(es []licet.AuditEntry, t time.Time) int {
	n := 0
	for _, e := range es {
		if !e.At.Before(t) {
			n++
		}
	}
	return n
}

// slugOf returns the slug of t, or "" for nil.
func slugOf(t *licet.Tenant) string {
	if t == nil {
		return ""
	}
	return t.Slug
}
