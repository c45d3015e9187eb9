package console

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/licet/licet"
)

// Audit log: every change, newest first, narrowed by tenant and action prefix, paged by id.

func init() {
	register(&page{ID: "audit", Title: "Audit log", Path: "/audit", Nav: 40, Load: loadAudit})
}

// auditPage is how many entries one page of the audit log shows.
const auditPage = 50

// auditData is the audit page.
type auditData struct {
	Entries []licet.AuditEntry
	Tenant  string
	Action  string
	Tenants []string // for the filter (operator)
	Older   string   // the URL of the next page, "" on the last
	Newest  string   // the URL of the first page, when paging
}

// auditHref is the audit page narrowed to a tenant and an action prefix.
func auditHref(tenant, action string) string {
	q := url.Values{}
	if tenant != "" {
		q.Set("tenant", tenant)
	}
	if action != "" {
		q.Set("action", action)
	}
	if len(q) == 0 {
		return "/audit"
	}
	return "/audit?" + q.Encode()
}

// maxActionFilter bounds the action prefix filter.
const maxActionFilter = 100

func loadAudit(s *Server, c *reqCtx) (any, error) {
	q := c.r.URL.Query()
	tenant, err := c.tenantFilter()
	if err != nil {
		return nil, err
	}
	d := auditData{Tenant: tenant, Action: strings.TrimSpace(q.Get("action"))}
	if len(d.Action) > maxActionFilter {
		return nil, licet.Errorf(licet.EInvalid, "the action filter is longer than %d characters", maxActionFilter)
	}
	f := licet.AuditFilter{Tenant: tenant, Action: d.Action, Limit: auditPage + 1}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, licet.Errorf(licet.EInvalid, "before=%q is not a positive entry number", v)
		}
		f.Before = n
		d.Newest = auditHref(tenant, d.Action)
	}
	es, err := s.Audit.Audit(c.ctx(), f)
	if err != nil {
		return nil, err
	}
	if len(es) > auditPage {
		es = es[:auditPage]
		older := auditHref(tenant, d.Action)
		sep := "?"
		if strings.Contains(older, "?") {
			sep = "&"
		}
		d.Older = older + sep + "before=" + strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	d.Entries = es
	if c.actor.IsOperator() {
		if d.Tenants, err = c.tenantSlugs(); err != nil {
			return nil, err
		}
	}
	return d, nil
}
