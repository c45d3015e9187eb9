package console

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
)

// Groups: a tenant's groups, a form that creates one, and a group's page: its members with forms
// that add and remove them, and group-based licensing — the group's SKUs, add and remove one,
// the members in error with Graph's code explained, and Reprocess once the cause is fixed.

func init() {
	register(&page{ID: "groups", Title: "Groups", Path: "/groups", Scope: perTenant, Nav: 140,
		Load: loadGroups, Actions: map[string]handler{"": createGroup}})
	register(&page{ID: "group", Title: "Group", Path: "/groups/{group}", Scope: perTenant, Load: loadGroup,
		Actions: map[string]handler{"/members": addMembers, "/members/remove": removeMember,
			"/licenses": addGroupLicense, "/licenses/remove": removeGroupLicense, "/reprocess": reprocessGroup}})
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

// groupData is a group's page.
type groupData struct {
	*licet.Group
	Licenses []groupLicense
	States   map[string]licet.LicenseState // member UPN → Active, Error, or "" when the group has no SKUs
	Errors   []memberError
	Choices  []skuChoice // the add form's SKUs
}

// groupLicense is one SKU of a group, with its name.
type groupLicense struct {
	licet.LicenseAdd
	Name string
}

// memberError is a member the group's licenses could not be applied to, with the code explained.
type memberError struct {
	UPN     string
	Code    string
	Message string
	Help    licet.CodeInfo // empty for a code the console does not explain
}

func loadGroup(s *Server, c *reqCtx) (any, error) {
	svc, err := c.seats()
	if err != nil {
		return nil, err
	}
	g, err := svc.Group(c.ctx(), c.tenant.Slug, c.r.PathValue("group"))
	if err != nil {
		return nil, err
	}
	d := groupData{Group: g, States: map[string]licet.LicenseState{}}
	cat, _ := c.catalog()
	for _, l := range g.Licenses {
		row := groupLicense{LicenseAdd: l, Name: l.SKU}
		if cat != nil {
			if k, ok := cat.SKU(l.SKU); ok {
				row.Name = k.Name
			}
		}
		d.Licenses = append(d.Licenses, row)
	}
	for _, m := range g.MemberStates {
		d.States[m.UPN] = m.State
		if m.Error != nil {
			d.Errors = append(d.Errors, memberError{UPN: m.UPN, Code: m.Error.Code, Message: m.Error.Message, Help: ruleHelp(m.Error.Code)})
		}
	}
	if d.Choices, err = skuChoices(c); err != nil {
		return nil, err
	}
	return d, nil
}

// changeGroupLicenses applies a change to the group's SKUs and comes back to its page with the
// outcome: how many members the group's licenses apply to and how many are in error.
func changeGroupLicenses(c *reqCtx, ch licet.LicenseChange, done string) error {
	svc, err := c.seats()
	if err != nil {
		return err
	}
	res, err := svc.AssignGroupLicense(c.ctx(), c.tenant.Slug, c.r.PathValue("group"), ch)
	if err != nil {
		return c.refuse(err, "")
	}
	return c.redirect(groupHref(c.tenant, res.Group.Name), done+" "+groupOutcome(res))
}

// groupOutcome says how a group's licenses stand after a change or a reprocess.
func groupOutcome(r *licet.GroupLicenseResult) string {
	out := fmt.Sprintf("%d member(s) active", r.Active)
	if r.Errors > 0 {
		out += fmt.Sprintf(", %d in error (below)", r.Errors)
	}
	return out + "."
}

func addGroupLicense(s *Server, c *reqCtx) error {
	f := c.r.PostForm
	sku := strings.TrimSpace(f.Get("sku"))
	if sku == "" {
		return c.refuse(licet.Errorf(licet.EInvalid, "choose the SKU to add to the group"), "sku")
	}
	ch := licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: sku, DisabledPlans: planList(f.Get("disabled"))}}}
	return changeGroupLicenses(c, ch, fmt.Sprintf("%s added to %s:", sku, c.r.PathValue("group")))
}

func removeGroupLicense(s *Server, c *reqCtx) error {
	sku := strings.TrimSpace(c.r.PostForm.Get("sku"))
	if sku == "" {
		return c.refuse(licet.Errorf(licet.EInvalid, "choose the SKU to remove from the group"), "")
	}
	return changeGroupLicenses(c, licet.LicenseChange{RemoveLicenses: []string{sku}}, fmt.Sprintf("%s removed from %s:", sku, c.r.PathValue("group")))
}

// reprocessGroup applies the group's SKUs again to every member, after units were bought or a
// conflict was fixed: nothing retries by itself.
func reprocessGroup(s *Server, c *reqCtx) error {
	svc, err := c.seats()
	if err != nil {
		return err
	}
	res, err := svc.ReprocessGroup(c.ctx(), c.tenant.Slug, c.r.PathValue("group"))
	if err != nil {
		return c.refuse(err, "")
	}
	return c.redirect(groupHref(c.tenant, res.Group.Name), "Reprocessed "+res.Group.Name+": "+groupOutcome(res))
}

// addMembers adds the UPNs typed one per line (or separated by commas or spaces); a line that is
// not a UPN refuses the whole list, with its line number.
func addMembers(s *Server, c *reqCtx) error {
	svc, err := c.seats()
	if err != nil {
		return err
	}
	text := strings.NewReplacer(",", "\n", ";", "\n", " ", "\n").Replace(c.r.PostForm.Get("upns"))
	list, err := listfile.ParseList([]byte(text))
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
