package console

// The tenant's home: its details and the overview's panels for it.

func init() {
	register(&page{ID: "tenant", Title: "Summary", Path: "", Scope: perTenant, Nav: 100, Load: loadTenant})
}

func loadTenant(s *Server, c *reqCtx) (any, error) {
	return overviewData{Panels: s.renderPanels(c, c.tenant)}, nil
}
