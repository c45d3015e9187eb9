package console

import (
	"time"

	"github.com/licet/licet"
)

// The overview: a grid of panels for the whole service (operator) or the admin's tenant. The
// foundation's panels are here; seats and keys add theirs with registerPanel.

func init() {
	register(&page{ID: "overview", Title: "Overview", Path: "/", Nav: 10, Load: loadOverview})
	registerPanel(&panel{ID: "tiles", Order: 10, Wide: true, Load: tilesPanel})
	registerPanel(&panel{ID: "tenants", Order: 20, Wide: true, Load: tenantsPanel})
	registerPanel(&panel{ID: "activity", Order: 30, Load: activityPanel})
	registerPanel(&panel{ID: "recent", Order: 40, Load: recentPanel})
}

// overviewData is the overview page: its panels.
type overviewData struct {
	Panels []renderedPanel
}

func loadOverview(s *Server, c *reqCtx) (any, error) {
	return overviewData{Panels: s.renderPanels(c, c.home)}, nil
}

// tile is one figure of the tiles panel.
type tile struct {
	Label string
	Value int
	Note  string
	Href  string
}

func tilesPanel(s *Server, c *reqCtx, t *licet.Tenant) (any, error) {
	toks, err := c.tokens()
	if err != nil {
		return nil, err
	}
	entries, err := c.recentAudit(slugOf(t))
	if err != nil {
		return nil, err
	}
	var tiles []tile
	tokenHref := "/tokens"
	if t == nil {
		ts, err := c.tenants()
		if err != nil {
			return nil, err
		}
		tiles = append(tiles, tile{Label: "Tenants", Value: len(ts), Note: "customer organisations", Href: "/tenants"})
		n := 0
		for _, v := range activeTokens(toks) {
			n += v
		}
		tiles = append(tiles, tile{Label: "Active tokens", Value: n, Note: "operator, tenant and partner", Href: tokenHref})
	} else {
		tokenHref += "?tenant=" + t.Slug
		tiles = append(tiles, tile{Label: "Active tokens", Value: activeTokens(toks)[t.Slug], Note: "of " + t.Name, Href: tokenHref})
	}
	tiles = append(tiles, tile{Label: "Changes this week", Value: since(entries, s.Now().Add(-7*24*time.Hour)), Note: "in the audit log", Href: auditHref(slugOf(t), "")})
	if cat := s.Catalog; cat != nil && cat() != nil {
		tiles = append(tiles, tile{Label: "SKUs in the catalog", Value: len(cat().SKUs()), Note: cat().Name, Href: "/catalog"})
	}
	return tiles, nil
}

// tenantRow is a tenant with its figures, for the tenants panel and page.
type tenantRow struct {
	licet.Tenant
	Tokens int
}

func tenantRows(c *reqCtx) ([]tenantRow, error) {
	ts, err := c.tenants()
	if err != nil {
		return nil, err
	}
	toks, err := c.tokens()
	if err != nil {
		return nil, err
	}
	n := activeTokens(toks)
	rows := make([]tenantRow, 0, len(ts))
	for _, t := range ts {
		rows = append(rows, tenantRow{Tenant: t, Tokens: n[t.Slug]})
	}
	return rows, nil
}

func tenantsPanel(s *Server, c *reqCtx, t *licet.Tenant) (any, error) {
	if t != nil || !c.actor.IsOperator() {
		return nil, nil
	}
	return tenantRows(c)
}

// overviewDays is the span of the overview's chart.
const overviewDays = 14

func activityPanel(s *Server, c *reqCtx, t *licet.Tenant) (any, error) {
	entries, err := c.recentAudit(slugOf(t))
	if err != nil {
		return nil, err
	}
	times := make([]time.Time, len(entries))
	for i, e := range entries {
		times[i] = e.At
	}
	return dailyChart("Changes per day", times, s.Now(), overviewDays), nil
}

// recentEntries is how many audit entries the overview lists.
const recentEntries = 8

// recentData is the recent-changes panel.
type recentData struct {
	Entries []licet.AuditEntry
	More    string // the audit page with the same scope
}

func recentPanel(s *Server, c *reqCtx, t *licet.Tenant) (any, error) {
	entries, err := c.recentAudit(slugOf(t))
	if err != nil {
		return nil, err
	}
	return recentData{Entries: entries[:min(len(entries), recentEntries)], More: auditHref(slugOf(t), "")}, nil
}
