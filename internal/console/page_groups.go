package console

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/seats"
)

// Groups: a tenant's groups, a form that creates one, and a group's members with forms that add
// and remove them. Group-based license assignment comes with group licensing; the group page
// keeps its place.

func init() {
	register(&page{ID: "groups", Title: "Groups", Path: "/groups", Scope: perTenant, Nav: 140,
		Load: loadGroups, Actions: map[string]handler{"": createGroup}})
	register(&page{ID: "group", Title: "Group", Path: "/groups/{group}", Scope: perTenant, Load: loadGroup,
		Actions: map[string]handler{"/members": addMembers, "/members/remove": removeMember}})
}

func loadGroups(s *Server, c *reqCtx) (any, error) {
	svc, err := c.seats()
	if err != nil {
		return nil, err
	}
	return svc.Groups(c.ctx(), c.tenant.Slug)
}

// groupHref is a group's page.
func groupHref(t *licet.Tenant, name string) string {
	return "/tenants/" + url.PathEscape(t.Slug) + "/groups/" + url.PathEscape(name)
}

func createGroup(s *Server, c *reqCtx) error {
	svc, err := c.seats()
	if err != nil {
		return err
	}
	f := c.r.PostForm
	g, err := svc.CreateGroup(c.ctx(), c.tenant.Slug, licet.Group{Name: strings.TrimSpace(f.Get("name")), Description: strings.TrimSpace(f.Get("description"))})
	if err != nil {
		field := ""
		if licet.ErrorCode(err) == licet.EConflict {
			field = "name"
		}
		return c.refuse(err, field)
	}
	return c.redirect(groupHref(c.tenant, g.Name), "Group "+g.Name+" created.")
}

func loadGroup(s *Server, c *reqCtx) (any, error) {
	svc, err := c.seats()
	if err != nil {
		return nil, err
	}
	return svc.Group(c.ctx(), c.tenant.Slug, c.r.PathValue("group"))
}

// addMembers adds the UPNs typed one per line (or separated by commas or spaces); a line that is
// not a UPN refuses the whole list, with its line number.
func addMembers(s *Server, c *reqCtx) error {
	svc, err := c.seats()
	if err != nil {
		return err
	}
	text := strings.NewReplacer(",", "\n", ";", "\n", " ", "\n").Replace(c.r.PostForm.Get("upns"))
	list, err := seats.ParseList([]byte(text))
	if err != nil {
		return c.refuse(err, "upns")
	}
	if len(list.Invalid) > 0 {
		e := list.Invalid[0]
		return c.refuse(licet.Errorf(licet.EInvalid, "%d entry(ies) are not user principal names, e.g. entry %d %q: %s; nothing was added",
			len(list.Invalid), e.Line, e.Text, e.Reason), "upns")
	}
	if len(list.Entries) == 0 {
		return c.refuse(licet.Errorf(licet.EInvalid, "type at least one user principal name"), "upns")
	}
	g, err := svc.AddMembers(c.ctx(), c.tenant.Slug, c.r.PathValue("group"), list.UPNs())
	if err != nil {
		return c.refuse(err, "upns")
	}
	return c.redirect(groupHref(c.tenant, g.Name), fmt.Sprintf("%s now has %d member(s).", g.Name, g.Members))
}

func removeMember(s *Server, c *reqCtx) error {
	svc, err := c.seats()
	if err != nil {
		return err
	}
	group, upn := c.r.PathValue("group"), c.r.PostForm.Get("upn")
	if err := svc.RemoveMember(c.ctx(), c.tenant.Slug, group, upn); err != nil {
		return c.refuse(err, "")
	}
	return c.redirect(groupHref(c.tenant, group), upn+" removed from "+group+".")
}
