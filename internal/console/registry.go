package console

import (
	"bytes"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet"
)

// scope says where a page lives.
type scope int

const (
	// global pages have one URL for the whole service; what they show is filtered by the actor.
	global scope = iota
	// perTenant pages live under /tenants/{tenant}; a tenant the actor may not see answers 404.
	perTenant
)

// page is one console page: its navigation entry, its data and its template
// (templates/pages/<ID>.html, which defines "content"). Add a page with one file that calls
// register from init.
type page struct {
	ID    string
	Title string // the heading and the navigation label
	// Path is the URL of a global page ("/audit"), or the part after /tenants/{tenant} of a
	// perTenant page ("" for the tenant's home, "/users" for its users).
	Path  string
	Scope scope
	// Nav orders the navigation (lower first); 0 leaves the page out of it.
	Nav          int
	OperatorOnly bool // a tenant admin gets 404
	// Load returns the data of the template: on GET, and again when an action re-renders the page.
	Load func(s *Server, c *reqCtx) (any, error)
	// Actions are the page's forms: POST path (after Path) → handler. The CSRF token has been
	// checked and the form parsed before an action runs.
	Actions map[string]handler
	// Files are GET paths (after Path) that answer with a file of their own, such as a report
	// to download, instead of the page.
	Files map[string]handler
	// Upload is the body limit of the page's multipart forms (file uploads); 0: the page's
	// actions take no file, and a multipart body is refused.
	Upload int64
}

// registry holds every page, filled by the init functions of the page files.
var registry []*page

// register adds a page to the console.
func register(p *page) {
	if p.Scope != global && p.Scope != perTenant {
		panic("console: page " + p.ID + " has an unknown scope")
	}
	registry = append(registry, p)
	slices.SortStableFunc(registry, func(a, b *page) int { return a.Nav - b.Nav })
}

// panel is one card of the overview: a tenant summary, the recent audit entries, and later the
// seats per SKU or the keys with their remaining activations. Its template is
// templates/panels/<ID>.html defining "panel-<ID>".
type panel struct {
	ID    string
	Order int
	Wide  bool // spans the whole width of the grid
	// Load returns the panel's data for the tenant (nil: the whole service, for the operator), or
	// nil data to leave the panel out.
	Load func(s *Server, c *reqCtx, t *licet.Tenant) (any, error)
}

// panels holds every overview panel, filled by init functions.
var panels []*panel

// registerPanel adds a panel to the overview.
func registerPanel(p *panel) {
	panels = append(panels, p)
	slices.SortStableFunc(panels, func(a, b *panel) int { return a.Order - b.Order })
}

// renderedPanel is a panel ready for the overview's grid.
type renderedPanel struct {
	ID   string
	Wide bool
	HTML template.HTML
}

// renderPanels renders every panel for the tenant (nil: the whole service). A panel that fails is
// shown as a short error card and logged, so that one broken panel does not hide the others.
func (s *Server) renderPanels(c *reqCtx, t *licet.Tenant) []renderedPanel {
	tmpl := s.base
	var out []renderedPanel
	for _, p := range panels {
		data, err := p.Load(s, c, t)
		if err == nil && data == nil {
			continue
		}
		var b bytes.Buffer
		if err == nil {
			err = tmpl.ExecuteTemplate(&b, "panel-"+p.ID, panelView{Data: data, Tenant: t, Actor: c.actor, Now: s.Now()})
		}
		if err != nil {
			s.Logger.Error("console panel", "panel", p.ID, "err", err)
			b.Reset()
			_ = tmpl.ExecuteTemplate(&b, "panel-failed", licet.ErrorMessage(err))
		}
		out = append(out, renderedPanel{ID: p.ID, Wide: p.Wide, HTML: template.HTML(b.String())})
	}
	return out
}

// panelView is what a panel template receives.
type panelView struct {
	Data   any
	Tenant *licet.Tenant
	Actor  licet.Actor
	Now    time.Time
}

// navSection is a group of the left navigation.
type navSection struct {
	Label string
	Items []navItem
}

// navItem is one link of the navigation.
type navItem struct {
	Label   string
	Href    string
	Current bool
}

// href returns the URL of a page, for the tenant when it is perTenant.
func (p *page) href(t *licet.Tenant) string {
	if p.Scope == perTenant {
		return "/tenants/" + t.Slug + p.Path
	}
	return p.Path
}

// nav builds the navigation for the actor: the service's pages, then the pages of the tenant in
// context (a tenant admin's own tenant, or the one an operator opened).
func (s *Server) nav(c *reqCtx, t *licet.Tenant) []navSection {
	current := c.r.URL.Path
	service := navSection{Label: "Service"}
	org := navSection{}
	if t != nil {
		org.Label = t.Name
	}
	for _, p := range registry {
		if p.Nav == 0 || (p.OperatorOnly && !c.actor.IsOperator()) {
			continue
		}
		if p.Scope == perTenant {
			if t == nil {
				continue
			}
			href := p.href(t)
			org.Items = append(org.Items, navItem{Label: p.Title, Href: href, Current: current == href})
			continue
		}
		service.Items = append(service.Items, navItem{Label: p.Title, Href: p.Path,
			Current: current == p.Path || (p.Path != "/" && strings.HasPrefix(current, p.Path+"/") && c.tenant == nil)})
	}
	out := []navSection{service}
	if len(org.Items) > 0 {
		out = append(out, org)
	}
	return out
}
