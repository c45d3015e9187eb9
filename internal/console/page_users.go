package console

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/licet/licet"
)

// Users: search a tenant's users by UPN or name; a user's licenses with each service plan's
// provisioning status and where the license comes from; assign and remove licenses (with plans
// turned off) through the seat service, so that every refusal is the API's, explained.

func init() {
	register(&page{ID: "users", Title: "Users", Path: "/users", Scope: perTenant, Nav: 120, Load: loadUsers})
	register(&page{ID: "user", Title: "User", Path: "/users/{upn}", Scope: perTenant, Load: loadUser,
		Actions: map[string]handler{"/assign": assignLicense, "/remove": removeLicense, "/plans": setPlans},
	})
}

// usersPage is how many users one page of the list shows.
const usersPage = 50

// maxSearch bounds the search text, as the seat service does.
const maxSearch = 256

// usersData is the users page.
type usersData struct {
	Query string
	Users []licet.User
	Next  string // the URL of the next page, "" on the last
	First string // the URL of the first page, when paging
}

func loadUsers(s *Server, c *reqCtx) (any, error) {
	svc, err := c.seats()
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	d := usersData{Query: strings.TrimSpace(q.Get("q"))}
	if len(d.Query) > maxSearch {
		return nil, licet.Errorf(licet.EInvalid, "the search text is longer than %d characters", maxSearch)
	}
	after := q.Get("after")
	users, err := svc.Users(c.ctx(), c.tenant.Slug, licet.UserFilter{Search: d.Query, After: after, Limit: usersPage + 1})
	if err != nil {
		return nil, err
	}
	base := usersHref(c.tenant, "")
	page := func(after string) string {
		v := url.Values{}
		if d.Query != "" {
			v.Set("q", d.Query)
		}
		if after != "" {
			v.Set("after", after)
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	if len(users) > usersPage {
		users = users[:usersPage]
		d.Next = page(users[len(users)-1].UPN)
	}
	if after != "" {
		d.First = page("")
	}
	d.Users = users
	return d, nil
}

// usersHref is the users page of a tenant, or one user's page.
func usersHref(t *licet.Tenant, upn string) string {
	h := "/tenants/" + url.PathEscape(t.Slug) + "/users"
	if upn != "" {
		h += "/" + url.PathEscape(upn)
	}
	return h
}

// userData is a user's page.
type userData struct {
	User     *licet.User
	Licenses []licenseRow
	Choices  []skuChoice // for the assign form
}

// licenseRow is a license with its SKU's name and the plans that can be turned off.
type licenseRow struct {
	licet.License
	Name   string
	Source string         // "direct" or "group NAME"
	Help   licet.CodeInfo // the error's code explained, when the group's license failed
}

// skuChoice is an SKU of the assign form, with its units left in the tenant.
type skuChoice struct {
	Part  string
	Label string
}

func loadUser(s *Server, c *reqCtx) (any, error) {
	svc, err := c.seats()
	if err != nil {
		return nil, err
	}
	u, err := svc.User(c.ctx(), c.tenant.Slug, c.r.PathValue("upn"))
	if err != nil {
		return nil, err
	}
	d := userData{User: u}
	cat, _ := c.catalog()
	for _, l := range u.Licenses {
		row := licenseRow{License: l, Name: l.SKU, Source: "direct"}
		if l.AssignedByGroup != "" {
			row.Source = "group " + l.AssignedByGroup
		}
		if l.Error != nil {
			row.Help = ruleHelp(l.Error.Code)
		}
		if cat != nil {
			if k, ok := cat.SKU(l.SKU); ok {
				row.Name = k.Name
			}
		}
		d.Licenses = append(d.Licenses, row)
	}
	if d.Choices, err = skuChoices(c); err != nil {
		return nil, err
	}
	return d, nil
}

// skuChoices are the SKUs an assign form offers: the tenant's with the units left, then the
// catalog's others, since assigning one of those says NotPurchased, as the API does.
func skuChoices(c *reqCtx) ([]skuChoice, error) {
	skus, err := c.subscribedSKUs(c.tenant.Slug)
	if err != nil {
		return nil, err
	}
	var out []skuChoice
	owned := map[string]bool{}
	for _, k := range skus {
		owned[k.SKU] = true
		left := "unlimited"
		if k.Available != nil {
			left = fmt.Sprintf("%d left", *k.Available)
		}
		out = append(out, skuChoice{Part: k.SKU, Label: fmt.Sprintf("%s — %s (%s)", k.SKU, k.Name, left)})
	}
	if cat, _ := c.catalog(); cat != nil {
		for _, k := range cat.SKUs() {
			if !owned[k.Part] {
				out = append(out, skuChoice{Part: k.Part, Label: k.Part + " — " + k.Name + " (not purchased)"})
			}
		}
	}
	return out, nil
}

// planList splits a list of plan ids typed in a field: commas, spaces or both.
func planList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\n' || r == '\r' || r == '\t' })
}

// changeLicense applies a change to the user of the URL and comes back to its page with a notice.
func changeLicense(c *reqCtx, ch licet.LicenseChange, done string) error {
	svc, err := c.seats()
	if err != nil {
		return err
	}
	upn := c.r.PathValue("upn")
	u, err := svc.AssignLicense(c.ctx(), c.tenant.Slug, upn, ch)
	if err != nil {
		return c.refuse(err, "")
	}
	return c.redirect(usersHref(c.tenant, u.UPN), done)
}

func assignLicense(s *Server, c *reqCtx) error {
	f := c.r.PostForm
	sku := strings.TrimSpace(f.Get("sku"))
	if sku == "" {
		return c.refuse(licet.Errorf(licet.EInvalid, "choose the SKU to assign"), "sku")
	}
	ch := licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: sku, DisabledPlans: planList(f.Get("disabled"))}}}
	return changeLicense(c, ch, fmt.Sprintf("Assigned %s to %s.", sku, c.r.PathValue("upn")))
}

func removeLicense(s *Server, c *reqCtx) error {
	sku := strings.TrimSpace(c.r.PostForm.Get("sku"))
	if sku == "" {
		return c.refuse(licet.Errorf(licet.EInvalid, "choose the SKU to remove"), "")
	}
	return changeLicense(c, licet.LicenseChange{RemoveLicenses: []string{sku}}, fmt.Sprintf("Removed %s from %s.", sku, c.r.PathValue("upn")))
}

// setPlans turns a held license's service plans on and off: the form lists the plans to keep on.
func setPlans(s *Server, c *reqCtx) error {
	sku := strings.TrimSpace(c.r.PostForm.Get("sku"))
	cat, err := c.catalog()
	if err != nil {
		return err
	}
	k, ok := cat.SKU(sku)
	if !ok {
		return c.refuse(licet.Errorf(licet.EInvalid, "SKU %q is not in the catalog", sku), "")
	}
	on := c.r.PostForm["plan"]
	var off []string
	for _, p := range k.Plans {
		if !slices.Contains(on, p) {
			off = append(off, p)
		}
	}
	ch := licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: sku, DisabledPlans: off}}}
	return changeLicense(c, ch, fmt.Sprintf("Service plans of %s updated for %s.", sku, c.r.PathValue("upn")))
}
