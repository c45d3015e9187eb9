package catalogstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/store"
)

// Use is what a new catalog version removes while it is held: an SKU or a service plan bought
// (subscriptions), assigned (users, groups) or disabled in an assignment, or an organisation
// type or cloud that tenants have.
type Use struct {
	SKU           string `json:"skuPartNumber,omitempty"`
	Plan          string `json:"plan,omitempty"`    // set when the use is of one plan of the SKU
	OrgType       string `json:"orgType,omitempty"` // set when the use is tenants' organisation type
	Cloud         string `json:"cloud,omitempty"`   // set when the use is tenants' cloud
	Subscriptions int    `json:"subscriptions,omitempty"`
	Tenants       int    `json:"tenants,omitempty"`
	Users         int    `json:"users,omitempty"`  // users holding the SKU (or the plan through it)
	Groups        int    `json:"groups,omitempty"` // groups licensed with it
	Disabled      int    `json:"disabled,omitempty"`
}

// String names the use and how many hold it.
func (u Use) String() string {
	switch {
	case u.OrgType != "":
		return fmt.Sprintf("organisation type %s: held by %d tenant(s)", u.OrgType, u.Tenants)
	case u.Cloud != "":
		return fmt.Sprintf("cloud %s: held by %d tenant(s)", u.Cloud, u.Tenants)
	}
	var held []string
	if u.Subscriptions > 0 {
		held = append(held, fmt.Sprintf("bought in %d subscription(s) of %d tenant(s)", u.Subscriptions, u.Tenants))
	}
	if u.Users > 0 {
		held = append(held, fmt.Sprintf("assigned to %d user(s)", u.Users))
	}
	if u.Groups > 0 {
		held = append(held, fmt.Sprintf("assigned to %d group(s)", u.Groups))
	}
	if u.Disabled > 0 {
		held = append(held, fmt.Sprintf("disabled in %d license(s)", u.Disabled))
	}
	what := "SKU " + u.SKU
	if u.Plan != "" {
		what = "service plan " + u.Plan + " of SKU " + u.SKU
	}
	return what + ": " + strings.Join(held, ", ")
}

// holding is what the database holds of one SKU.
type holding struct {
	subscriptions, tenants, users, groups int
	disabled                              map[string]int // plan → licenses (user and group) with it disabled
}

// inUse lists what next removes while it is held. old is the version in force (nil when there is
// none or it cannot be read): a plan that an SKU of old has and the same SKU of next lacks is in
// use when the SKU is bought or assigned; a plan disabled in a license is in use when next's SKU
// lacks it.
func inUse(ctx context.Context, tx *store.Tx, old, next *catalog.Catalog) ([]Use, error) {
	held, err := holdings(ctx, tx)
	if err != nil {
		return nil, err
	}
	var uses []Use
	for _, part := range slices.Sorted(maps.Keys(held)) {
		h := held[part]
		sku, ok := next.SKU(part)
		if !ok {
			disabled := 0
			for _, n := range h.disabled {
				disabled += n
			}
			uses = append(uses, Use{SKU: part, Subscriptions: h.subscriptions, Tenants: h.tenants, Users: h.users, Groups: h.groups, Disabled: disabled})
			continue
		}
		plans := map[string]bool{} // the plans held through the SKU: disabled ones, and the old version's
		for p := range h.disabled {
			plans[p] = true
		}
		var was *catalog.SKU
		if old != nil {
			was, _ = old.SKU(part)
		}
		if was != nil {
			for _, p := range was.Plans {
				plans[p] = true
			}
		}
		for _, plan := range slices.Sorted(maps.Keys(plans)) {
			if sku.HasPlan(plan) {
				continue
			}
			u := Use{SKU: part, Plan: plan, Disabled: h.disabled[plan]}
			if was != nil && was.HasPlan(plan) {
				u.Subscriptions, u.Tenants, u.Users, u.Groups = h.subscriptions, h.tenants, h.users, h.groups
			}
			if u.Subscriptions+u.Users+u.Groups+u.Disabled > 0 {
				uses = append(uses, u)
			}
		}
	}
	tenants, err := tenantUses(ctx, tx, next)
	return append(uses, tenants...), err
}

// tenantUses lists the organisation types and clouds tenants have that next does not declare (a
// catalog that declares none takes any).
func tenantUses(ctx context.Context, tx *store.Tx, next *catalog.Catalog) ([]Use, error) {
	var uses []Use
	for _, c := range []struct {
		column   string
		declared []string
		use      func(value string, tenants int) Use
	}{
		{"org_type", next.OrgTypes(), func(v string, n int) Use { return Use{OrgType: v, Tenants: n} }},
		{"cloud", next.Clouds(), func(v string, n int) Use { return Use{Cloud: v, Tenants: n} }},
	} {
		if len(c.declared) == 0 {
			continue
		}
		counts, err := store.Pairs[string, int](ctx, tx, `SELECT `+c.column+`, COUNT(*) FROM tenants GROUP BY `+c.column+` ORDER BY `+c.column)
		if err != nil {
			return nil, err
		}
		for _, n := range counts {
			if !slices.Contains(c.declared, n.A) {
				uses = append(uses, c.use(n.A, n.B))
			}
		}
	}
	return uses, nil
}

// holdings reads, per SKU, the subscriptions, users, groups and disabled plans that hold it.
func holdings(ctx context.Context, tx *store.Tx) (map[string]*holding, error) {
	held := map[string]*holding{}
	get := func(sku string) *holding {
		h := held[sku]
		if h == nil {
			h = &holding{disabled: map[string]int{}}
			held[sku] = h
		}
		return h
	}
	type count struct {
		sku    string
		n, m   int
		detail string
	}
	queries := []struct {
		q   string
		add func(c count)
	}{
		{`SELECT sku, COUNT(*), COUNT(DISTINCT tenant_id), '' FROM subscriptions GROUP BY sku`,
			func(c count) { h := get(c.sku); h.subscriptions, h.tenants = c.n, c.m }},
		{`SELECT sku, COUNT(DISTINCT user_id), 0, '' FROM assignments GROUP BY sku`,
			func(c count) { get(c.sku).users = c.n }},
		{`SELECT sku, COUNT(*), 0, '' FROM group_licenses GROUP BY sku`,
			func(c count) { get(c.sku).groups = c.n }},
		{`SELECT sku, COUNT(*), 0, disabled_plans FROM assignments WHERE disabled_plans <> '' GROUP BY sku, disabled_plans`,
			func(c count) { addDisabled(get(c.sku), c.detail, c.n) }},
		{`SELECT sku, COUNT(*), 0, disabled_plans FROM group_licenses WHERE disabled_plans <> '' GROUP BY sku, disabled_plans`,
			func(c count) { addDisabled(get(c.sku), c.detail, c.n) }},
	}
	for _, q := range queries {
		rows, err := store.Collect(ctx, tx, func(r store.Scanner) (count, error) {
			var c count
			err := r.Scan(&c.sku, &c.n, &c.m, &c.detail)
			return c, err
		}, q.q)
		if err != nil {
			return nil, err
		}
		for _, c := range rows {
			q.add(c)
		}
	}
	return held, nil
}

func addDisabled(h *holding, plans string, n int) {
	for _, p := range strings.Split(plans, ",") {
		if p = strings.TrimSpace(p); p != "" {
			h.disabled[p] += n
		}
	}
}

// refusal is the error of a version that removes what is held: each use in the message and in
// the details.
func refusal(uses []Use) error {
	lines := make([]string, len(uses))
	for i, u := range uses {
		lines[i] = "  " + u.String()
	}
	return licet.Errorf(licet.CodeCatalogInUse,
		"this catalog version removes %d SKU(s), service plan(s), organisation type(s) or cloud(s) still in use; nothing was changed:\n%s\n"+
			"Keep them in the catalog: an SKU that was ever bought stays in it with its plans (subscriptions are never deleted), and an organisation type or cloud stays while tenants have it; to drop a plan from licenses, first remove the SKU from the users and groups that hold it (licet assign --remove).",
		len(uses), strings.Join(lines, "\n")).With("inUse", uses)
}
