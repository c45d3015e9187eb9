package console

import (
	"github.com/licet/licet"
)

// Tenants: the operator's list of customer organisations, and the form that creates one.

func init() {
	register(&page{ID: "tenants", Title: "Tenants", Path: "/tenants", Nav: 20, OperatorOnly: true,
		Load:    loadTenants,
		Actions: map[string]handler{"": createTenant},
	})
}

// tenantsData is the tenants page; the org types and clouds are the catalog's when it declares
// them.
type tenantsData struct {
	Tenants  []tenantRow
	OrgTypes []string
	Clouds   []string
}

func loadTenants(s *Server, c *reqCtx) (any, error) {
	rows, err := tenantRows(c)
	if err != nil {
		return nil, err
	}
	d := tenantsData{Tenants: rows, OrgTypes: licet.OrgTypes, Clouds: licet.Clouds}
	if cat, err := c.catalog(); err == nil {
		if types := cat.OrgTypes(); len(types) > 0 {
			d.OrgTypes = types
		}
		if clouds := cat.Clouds(); len(clouds) > 0 {
			d.Clouds = clouds
		}
	}
	return d, nil
}

func createTenant(s *Server, c *reqCtx) error {
	f := c.r.PostForm
	t, err := s.Tenants.CreateTenant(c.ctx(), licet.Tenant{
		Slug: f.Get("slug"), Name: f.Get("name"), OrgType: f.Get("orgType"), Cloud: f.Get("cloud"),
		UsageLocation: f.Get("usageLocation"),
	})
	if err != nil {
		field := ""
		if licet.ErrorCode(err) == licet.EConflict {
			field = "slug"
		}
		return c.refuse(err, field)
	}
	return c.redirect("/tenants/"+t.Slug, "Tenant "+t.Name+" ("+t.Slug+") created.")
}
