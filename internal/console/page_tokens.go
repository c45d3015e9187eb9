package console

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/licet/licet"
)

// Tokens: the API tokens the actor sees, a form that issues one (its secret shown once), and
// revocation.

func init() {
	register(&page{ID: "tokens", Title: "Tokens", Path: "/tokens", Nav: 30,
		Load:    loadTokens,
		Actions: map[string]handler{"": createToken, "/{id}/revoke": revokeToken},
	})
}

// tokensData is the tokens page.
type tokensData struct {
	Tokens  []licet.Token
	Filter  string   // the tenant the list is narrowed to
	Tenants []string // slugs for the filter and the create form (operator)
	Roles   []string
}

func loadTokens(s *Server, c *reqCtx) (any, error) {
	filter, err := c.tenantFilter()
	if err != nil {
		return nil, err
	}
	all, err := c.tokens()
	if err != nil {
		return nil, err
	}
	d := tokensData{Filter: filter}
	for i := len(all) - 1; i >= 0; i-- { // newest first
		if filter == "" || all[i].Tenant == filter {
			d.Tokens = append(d.Tokens, all[i])
		}
	}
	if c.actor.IsOperator() {
		d.Roles = []string{string(licet.RoleTenant), string(licet.RoleOperator), string(licet.RolePartner)}
		if d.Tenants, err = c.tenantSlugs(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// tenantFilter returns the ?tenant= of the request after checking that the actor may see it: a
// tenant the actor may not see answers 404, as every URL naming it does.
func (c *reqCtx) tenantFilter() (string, error) {
	slug := c.r.URL.Query().Get("tenant")
	if slug == "" {
		return "", nil
	}
	if _, err := c.s.Tenants.Tenant(c.ctx(), slug); err != nil {
		return "", err
	}
	return slug, nil
}

// tenantSlugs lists the slugs of the tenants the actor sees.
func (c *reqCtx) tenantSlugs() ([]string, error) {
	ts, err := c.tenants()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Slug
	}
	return out, nil
}

func createToken(s *Server, c *reqCtx) error {
	f := c.r.PostForm
	t := licet.Token{Role: licet.Role(f.Get("role")), Tenant: f.Get("tenant"), Partner: f.Get("partner"), Label: f.Get("label")}
	if !c.actor.IsOperator() { // a tenant admin issues tokens of its own tenant only
		t = licet.Token{Role: licet.RoleTenant, Tenant: c.actor.Tenant, Label: t.Label}
	}
	if t.Role != licet.RoleTenant {
		t.Tenant = ""
	}
	if t.Role != licet.RolePartner {
		t.Partner = ""
	}
	if t.Role == licet.RoleTenant && t.Tenant == "" {
		return c.refuse(licet.Errorf(licet.EInvalid, "choose the tenant the token is for"), "tenant")
	}
	tok, err := s.Tokens.CreateToken(c.ctx(), t)
	if err != nil {
		field := ""
		if licet.ErrorCode(err) == licet.ENotFound {
			field = "tenant"
		}
		return c.refuse(err, field)
	}
	c.result = tok
	return c.show(http.StatusCreated)
}

func revokeToken(s *Server, c *reqCtx) error {
	id, err := c.pathID("token")
	if err != nil {
		return err
	}
	if err := s.Tokens.RevokeToken(c.ctx(), id); err != nil {
		return err
	}
	msg := fmt.Sprintf("Token %d revoked: it no longer works, and sessions opened with it have ended.", id)
	if id == c.actor.TokenID {
		return c.redirect("/signin?reason=revoked", "")
	}
	back := "/tokens"
	if filter, err := c.tenantFilter(); err == nil && filter != "" {
		back += "?tenant=" + url.QueryEscape(filter)
	}
	return c.redirect(back, msg)
}
