package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/licet/licet"
)

// Org is a tenant as the rules see it. Empty Type and Cloud read as the first the catalog
// declares (see Catalog.DefaultOrg).
type Org struct {
	Type    string // one of the catalog's OrgTypes
	Cloud   string // one of the catalog's Clouds
	Country string // ISO 3166 alpha-2 country of the tenant
}

// Purchase is a subscription to an SKU. Empty Term reads as "annual", empty Channel as "direct".
type Purchase struct {
	SKU     string
	Term    string // annual | monthly
	Channel string // direct | partner | reseller:NAME
}

func (p Purchase) term() string { return cmp.Or(p.Term, "annual") }

func (p Purchase) channel() string { return cmp.Or(p.Channel, "direct") }

// Assigned is one license on a user: an SKU with some of its plans disabled.
type Assigned struct {
	SKU           string
	DisabledPlans []string
}

// User is the licensed object. Empty Kind reads as "person".
type User struct {
	UsageLocation  string // ISO 3166 alpha-2
	OnPremisesPSTN bool   // hybrid user with on-premises PSTN connectivity
	Kind           string // person | room
}

// Change is one assignLicense request: licenses to add (or update) and SKUs to remove.
type Change struct {
	Add    []Assigned
	Remove []string
}

// Violation is one broken rule.
type Violation struct {
	Code    string // one of the Code constants
	Rule    string // the rule's id in the catalog; empty for built-in checks
	SKU     string // the SKU concerned
	Plan    string // the service plan concerned, if any
	Message string
	WayOut  string
	Source  string // the section of the source documentation the rule comes from
}

func (v Violation) String() string {
	return v.Code + ": " + v.Message
}

func violation(code string, ri RuleInfo, sku, plan, msg, way string) Violation {
	if ri.Message != "" {
		msg = ri.Message
	}
	if ri.WayOut != "" {
		way = ri.WayOut
	}
	return Violation{Code: code, Rule: ri.ID, SKU: sku, Plan: plan, Message: msg, WayOut: way, Source: ri.Source}
}

// CheckPurchase says whether org, already owning owned (its active purchases), may buy p. It
// returns nil when it may, or every violation: UnknownSKU, InvalidPurchase, NotAvailable,
// ChannelRestriction, AddOnNotAllowedForBase, PrerequisiteMissing, TermRestriction.
// Owned purchases of SKUs the catalog does not know are ignored.
func (c *Catalog) CheckPurchase(org Org, owned []Purchase, p Purchase) []Violation {
	org = c.DefaultOrg(org)
	sku, ok := c.skuByPart[p.SKU]
	if !ok {
		return []Violation{{Code: licet.CodeUnknownSKU, SKU: p.SKU, Message: fmt.Sprintf("unknown SKU %q", p.SKU),
			WayOut: "choose an SKU from the catalog"}}
	}
	var vs []Violation
	if !contains(Terms, p.term()) {
		vs = append(vs, Violation{Code: licet.CodeInvalidPurchase, SKU: sku.Part,
			Message: fmt.Sprintf("term %q is neither annual nor monthly", p.Term), WayOut: "choose an annual or a monthly term"})
	}
	if !validChannel(p.channel()) {
		vs = append(vs, Violation{Code: licet.CodeInvalidPurchase, SKU: sku.Part,
			Message: fmt.Sprintf("channel %q is not direct, partner or reseller:NAME", p.Channel), WayOut: "name the channel the purchase goes through"})
	}
	vs = append(vs, c.checkAvailability(licet.CodeNotAvailable, org, org.Country, "the organisation's country", sku)...)

	for _, cr := range c.rules.Channels {
		if !contains(cr.SKUs, sku.Part) {
			continue
		}
		for _, ch := range cr.NotThrough {
			if strings.EqualFold(ch, p.channel()) {
				vs = append(vs, violation(licet.CodeChannelRestriction, cr.RuleInfo, sku.Part, "",
					fmt.Sprintf("%s is not sold through %s", sku.Label(), ch),
					"buy it directly or through another partner"))
			}
		}
	}

	type ownedSKU struct {
		sku *SKU
		p   Purchase
	}
	var own []ownedSKU
	for _, o := range owned {
		if s, ok := c.skuByPart[o.SKU]; ok {
			own = append(own, ownedSKU{s, o})
		}
	}

	// Add-on bars: which owned bases may not carry this add-on, and which bars say so.
	barred := map[int]bool{}
	var bars []*AddOnBar
	for i := range c.rules.AddOnBars {
		bar := &c.rules.AddOnBars[i]
		if !contains(bar.AddOns, sku.Part) {
			continue
		}
		matched := false
		for j, o := range own {
			if o.sku.Kind == KindBase && contains(bar.Bases, o.sku.Part) &&
				(bar.ViaChannel == "" || strings.EqualFold(bar.ViaChannel, o.p.channel())) {
				barred[j] = true
				matched = true
			}
		}
		if matched {
			bars = append(bars, bar)
		}
	}
	// The plans and bases owned, and those of them no bar applies to.
	var allPlans, okPlans, allBases, okBases []string
	for j, o := range own {
		allPlans = append(allPlans, o.sku.Plans...)
		if o.sku.Kind == KindBase {
			allBases = append(allBases, o.sku.Part)
		}
		if barred[j] {
			continue
		}
		okPlans = append(okPlans, o.sku.Plans...)
		if o.sku.Kind == KindBase {
			okBases = append(okBases, o.sku.Part)
		}
	}
	barsReported := false
	reportBars := func() {
		if barsReported {
			return
		}
		barsReported = true
		for _, bar := range bars {
			var names []string
			for _, b := range bar.Bases {
				names = append(names, c.skuLabel(b))
			}
			code, by := licet.CodeAddOnNotAllowedForBase, ""
			if bar.ViaChannel != "" {
				code, by = licet.CodeChannelRestriction, " bought through "+bar.ViaChannel
			}
			way := "contact support"
			if len(bar.SwitchTo) > 0 {
				var to []string
				for _, s := range bar.SwitchTo {
					to = append(to, c.skuLabel(s))
				}
				way = "switch to " + strings.Join(to, " or ") + ", then buy " + sku.Label()
			}
			vs = append(vs, violation(code, bar.RuleInfo, sku.Part, "",
				fmt.Sprintf("%s cannot be added to %s%s", sku.Label(), strings.Join(names, ", "), by), way))
		}
	}
	if len(bars) > 0 && len(okBases) == 0 {
		reportBars()
	}
	for _, pr := range c.rules.Prerequisites {
		if !contains(pr.SKUs, sku.Part) || pr.met(okPlans, okBases) {
			continue
		}
		if len(bars) > 0 && pr.met(allPlans, allBases) {
			reportBars()
			continue
		}
		vs = append(vs, violation(licet.CodePrerequisiteMissing, pr.RuleInfo, sku.Part, "",
			fmt.Sprintf("%s can only be bought by an organisation that owns %s", sku.Label(), c.prereqText(pr)),
			"buy "+c.prereqWay(pr)+" first"))
	}
	if sku.Kind == KindAddOn && len(allBases) == 0 {
		vs = append(vs, Violation{Code: licet.CodePrerequisiteMissing, SKU: sku.Part,
			Message: fmt.Sprintf("%s is an add-on and the organisation owns no base subscription", sku.Label()),
			WayOut:  "buy a base plan first"})
	}
	for _, tr := range c.rules.Terms {
		if !contains(tr.SKUs, sku.Part) {
			continue
		}
		if len(tr.Terms) > 0 && !contains(tr.Terms, p.term()) {
			vs = append(vs, violation(licet.CodeTermRestriction, tr.RuleInfo, sku.Part, "",
				fmt.Sprintf("%s is sold only with term %s, not %s", sku.Label(), strings.Join(tr.Terms, " or "), p.term()),
				"buy it with term "+strings.Join(tr.Terms, " or ")+" (licet subscription buy "+sku.Part+" --term "+tr.Terms[0]+")"))
		}
		if len(tr.BaseTerms) == 0 || len(allBases) == 0 {
			continue
		}
		found := false
		for _, o := range own {
			if o.sku.Kind == KindBase && contains(tr.BaseTerms, o.p.term()) {
				found = true
				break
			}
		}
		if !found {
			vs = append(vs, violation(licet.CodeTermRestriction, tr.RuleInfo, sku.Part, "",
				fmt.Sprintf("%s needs a base subscription with a %s commitment", sku.Label(), strings.Join(tr.BaseTerms, " or ")),
				"move the base subscription to a "+strings.Join(tr.BaseTerms, " or ")+" commitment"))
		}
	}
	return vs
}

// checkAvailability applies the availability rules for sku to org and country.
func (c *Catalog) checkAvailability(code string, org Org, country, where string, sku *SKU) []Violation {
	var vs []Violation
	for _, a := range c.rules.Availability {
		if !contains(a.SKUs, sku.Part) {
			continue
		}
		if len(a.Countries) > 0 && !contains(a.Countries, country) {
			vs = append(vs, violation(code, a.RuleInfo, sku.Part, "",
				fmt.Sprintf("%s is not available in %s (%s)", sku.Label(), orNone(country), where),
				"it is available in "+strings.Join(a.Countries, ", ")))
		}
		if contains(a.NotCountries, country) {
			vs = append(vs, violation(code, a.RuleInfo, sku.Part, "",
				fmt.Sprintf("%s is not available in %s (%s)", sku.Label(), country, where),
				"choose another SKU that is sold in "+country))
		}
		if !allowed(a.OrgTypes, a.NotOrgTypes, org.Type) {
			vs = append(vs, violation(code, a.RuleInfo, sku.Part, "",
				fmt.Sprintf("%s is not available to %s organisations", sku.Label(), orUntyped(org.Type)),
				"it is available to "+strings.Join(c.allowedList(c.orgTypes, a.OrgTypes, a.NotOrgTypes), ", ")+" organisations"))
		}
		if !allowed(a.Clouds, a.NotClouds, org.Cloud) {
			vs = append(vs, violation(code, a.RuleInfo, sku.Part, "",
				fmt.Sprintf("%s is not available in the %s cloud", sku.Label(), orUntyped(org.Cloud)),
				"it is available in the "+strings.Join(c.allowedList(c.clouds, a.Clouds, a.NotClouds), ", ")+" cloud"))
		}
	}
	return vs
}

func orNone(s string) string {
	if s == "" {
		return "no country"
	}
	return s
}

// orUntyped names an organisation type or cloud that may be empty (a catalog declaring none).
func orUntyped(s string) string {
	if s == "" {
		return "unspecified"
	}
	return s
}

// allowed applies an "only for" list and a "not for" list to v.
func allowed(only, not []string, v string) bool {
	return (len(only) == 0 || contains(only, v)) && !contains(not, v)
}

// allowedList is the declared values an "only for" and a "not for" list leave.
func (c *Catalog) allowedList(declared, only, not []string) []string {
	var out []string
	for _, v := range declared {
		if allowed(only, not, v) {
			out = append(out, v)
		}
	}
	return out
}

// met reports whether plans and bases (owned or held) meet the prerequisite.
func (pr *Prerequisite) met(plans, bases []string) bool {
	if len(pr.AnyOf) > 0 && !AnySetIn(pr.AnyOf, plans) {
		return false
	}
	if len(pr.Bases) > 0 && !slices.ContainsFunc(pr.Bases, func(b string) bool { return contains(bases, b) }) {
		return false
	}
	return true
}

// prereqText says what a prerequisite asks for: plans, a base, or both.
func (c *Catalog) prereqText(pr Prerequisite) string {
	var parts []string
	if len(pr.AnyOf) > 0 {
		parts = append(parts, c.setsText(pr.AnyOf))
	}
	if len(pr.Bases) > 0 {
		parts = append(parts, c.skusText(pr.Bases, " or "))
	}
	return strings.Join(parts, ", and ")
}

// prereqWay names what to buy or assign to meet a prerequisite.
func (c *Catalog) prereqWay(pr Prerequisite) string {
	var parts []string
	if len(pr.Bases) > 0 {
		parts = append(parts, c.skusText(pr.Bases, " or "))
	}
	if len(pr.AnyOf) > 0 {
		parts = append(parts, c.providersText(pr.AnyOf))
	}
	return strings.Join(parts, " and ")
}

// skusText labels SKUs joined by sep.
func (c *Catalog) skusText(parts []string, sep string) string {
	var ls []string
	for _, p := range parts {
		ls = append(ls, c.skuLabel(p))
	}
	return strings.Join(ls, sep)
}

// AnySetIn reports whether have includes every plan of at least one set of anyOf (the any_of of
// a dependency or a prerequisite).
func AnySetIn(anyOf [][]string, have []string) bool {
	return slices.ContainsFunc(anyOf, func(set []string) bool { return AllIn(set, have) })
}

// AllIn reports whether have includes every element of set.
func AllIn(set, have []string) bool {
	return !slices.ContainsFunc(set, func(p string) bool { return !contains(have, p) })
}

// setsText renders any-of sets of plans: "A (X) or B (Y) and C (Z)".
func (c *Catalog) setsText(anyOf [][]string) string {
	var alts []string
	for _, set := range anyOf {
		var ls []string
		for _, p := range set {
			ls = append(ls, c.planLabel(p))
		}
		alts = append(alts, strings.Join(ls, " and "))
	}
	return strings.Join(alts, ", or ")
}

// providersText names, for the first set of anyOf, the plans to obtain and SKUs that carry them.
func (c *Catalog) providersText(anyOf [][]string) string {
	if len(anyOf) == 0 {
		return "the prerequisites"
	}
	var parts []string
	for _, p := range anyOf[0] {
		var skus []string
		for _, s := range c.SKUsWithPlan(p) {
			skus = append(skus, s.Part)
		}
		if len(skus) == 0 {
			parts = append(parts, c.planLabel(p))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (in %s)", c.planLabel(p), strings.Join(skus, ", ")))
	}
	return strings.Join(parts, " and ")
}

// CheckAssignment applies change to current, the licenses user holds, and returns the resulting
// set of licenses, or the violations (and a nil set). org's purchased SKUs are purchased. It does
// not check unit counts, but reports NotPurchased for an added SKU the organisation has not
// bought. Codes: UnknownSKU, NotPurchased, InvalidDisabledPlan, InvalidChange,
// ProhibitedInUsageLocationViolation, HybridCallingPlanViolation, MutuallyExclusiveViolation,
// DependencyViolation.
//
// Adding an SKU the user already has updates its disabled plans; removing one the user does not
// have is a no-op. A dependency is satisfied by an enabled plan of any license in the result.
func (c *Catalog) CheckAssignment(org Org, purchased []string, user User, current []Assigned, change Change) ([]Assigned, []Violation) {
	org = c.DefaultOrg(org)
	var vs []Violation

	removed := map[string]bool{}
	for _, r := range change.Remove {
		removed[r] = true
	}
	adds := map[string]int{} // part → index in result
	var result []Assigned
	for _, a := range current {
		if removed[a.SKU] {
			continue
		}
		if _, dup := adds[a.SKU]; dup {
			continue
		}
		adds[a.SKU] = len(result)
		result = append(result, Assigned{SKU: a.SKU, DisabledPlans: append([]string(nil), a.DisabledPlans...)})
	}
	added := map[string]bool{}
	for _, a := range change.Add {
		if removed[a.SKU] {
			vs = append(vs, Violation{Code: licet.CodeInvalidChange, SKU: a.SKU,
				Message: fmt.Sprintf("%s is both added and removed in one request", c.skuLabel(a.SKU)),
				WayOut:  "either add it or remove it"})
			continue
		}
		sku, ok := c.skuByPart[a.SKU]
		if !ok {
			vs = append(vs, Violation{Code: licet.CodeUnknownSKU, SKU: a.SKU, Message: fmt.Sprintf("unknown SKU %q", a.SKU),
				WayOut: "choose an SKU from the catalog"})
			continue
		}
		if !contains(purchased, a.SKU) {
			vs = append(vs, Violation{Code: licet.CodeNotPurchased, SKU: a.SKU,
				Message: fmt.Sprintf("the organisation has not bought %s", sku.Label()),
				WayOut:  "buy " + sku.Label() + " first"})
		}
		for _, d := range a.DisabledPlans {
			if !sku.HasPlan(d) {
				vs = append(vs, Violation{Code: licet.CodeInvalidDisabledPlan, SKU: a.SKU, Plan: d,
					Message: fmt.Sprintf("%s does not include the plan %s, so it cannot be disabled", sku.Label(), c.planLabel(d)),
					WayOut:  "disable only plans the SKU includes: " + strings.Join(sku.Plans, ", ")})
			}
		}
		added[a.SKU] = true
		entry := Assigned{SKU: a.SKU, DisabledPlans: append([]string(nil), a.DisabledPlans...)}
		if i, ok := adds[a.SKU]; ok {
			result[i] = entry
		} else {
			adds[a.SKU] = len(result)
			result = append(result, entry)
		}
	}

	if len(change.Add) > 0 {
		switch {
		case user.UsageLocation == "":
			vs = append(vs, Violation{Code: licet.CodeProhibitedInUsageLocationViolation,
				Message: "a user needs a usage location before any license",
				WayOut:  "set the user's usage location (an ISO 3166 alpha-2 country code) first"})
		case !isUpperAlpha(user.UsageLocation, 2):
			vs = append(vs, Violation{Code: licet.CodeProhibitedInUsageLocationViolation,
				Message: fmt.Sprintf("usage location %q is not an ISO 3166 alpha-2 country code", user.UsageLocation),
				WayOut:  "set the user's usage location to a two-letter country code"})
		default:
			for _, a := range change.Add {
				if sku, ok := c.skuByPart[a.SKU]; ok && added[a.SKU] {
					vs = append(vs, c.checkAvailability(licet.CodeProhibitedInUsageLocationViolation, org, user.UsageLocation, "the user's usage location", sku)...)
				}
			}
		}
	}

	// Enabled plans of the result, and which SKU provides each first.
	enabled := map[string]string{}
	var enabledOrder []string
	for _, a := range result {
		sku, ok := c.skuByPart[a.SKU]
		if !ok {
			continue
		}
		for _, p := range sku.Plans {
			if contains(a.DisabledPlans, p) {
				continue
			}
			if _, seen := enabled[p]; !seen {
				enabled[p] = a.SKU
				enabledOrder = append(enabledOrder, p)
			}
		}
	}

	if user.OnPremisesPSTN {
		for _, h := range c.rules.Hybrid {
			for _, p := range h.Plans {
				if sku, ok := enabled[p]; ok {
					vs = append(vs, violation(licet.CodeHybridCallingPlanViolation, h.RuleInfo, sku, p,
						fmt.Sprintf("the user has on-premises PSTN connectivity and must not get %s", c.planLabel(p)),
						"remove or disable "+c.planLabel(p)+" on this user: a user with on-premises connectivity keeps only the other plans"))
				}
			}
		}
	}

	for _, ex := range c.rules.Exclusions {
		var found []string
		for _, p := range enabledOrder {
			if contains(ex.Plans, p) {
				found = append(found, p)
			}
		}
		if len(found) < 2 {
			continue
		}
		var labels []string
		for _, p := range found {
			labels = append(labels, c.planLabel(p))
		}
		last := found[len(found)-1]
		vs = append(vs, violation(licet.CodeMutuallyExclusiveViolation, ex.RuleInfo, enabled[last], last,
			strings.Join(labels, " and ")+" cannot be assigned to the same user",
			"keep only one of them: remove or disable the others"))
	}

	vs = append(vs, c.checkSKUExclusions(result)...)
	vs = append(vs, c.checkUserScoped(result)...)

	// Dependencies, over the whole result.
	var before []string // the plans current enables, read once a dependency fails
	for _, p := range enabledOrder {
		for _, d := range c.depsByPlan[p] {
			if AnySetIn(d.AnyOf, enabledOrder) {
				continue
			}
			sku := enabled[p]
			if before == nil {
				before = c.EnabledPlans(current)
			}
			msg := fmt.Sprintf("%s requires %s", c.planLabel(p), c.setsText(d.AnyOf))
			way := "assign " + c.providersText(d.AnyOf) + " first, or in the same request"
			if !added[sku] && contains(before, p) && AnySetIn(d.AnyOf, before) {
				msg = fmt.Sprintf("this change would leave %s without %s", c.planLabel(p), c.setsText(d.AnyOf))
				way = "remove " + c.skuLabel(sku) + " in the same request, or keep the license that provides " + c.setsText(d.AnyOf)
			}
			vs = append(vs, violation(licet.CodeDependencyViolation, d.RuleInfo, sku, p, msg, way))
		}
	}

	if len(vs) > 0 {
		return nil, vs
	}
	if result == nil {
		result = []Assigned{}
	}
	return result, nil
}

// checkSKUExclusions applies the SKU exclusions to a user's licenses: disabled plans do not
// matter.
func (c *Catalog) checkSKUExclusions(result []Assigned) []Violation {
	var vs []Violation
	for _, ex := range c.rules.Exclusions {
		var found []string
		for _, a := range result {
			if contains(ex.SKUs, a.SKU) {
				found = append(found, a.SKU)
			}
		}
		if len(found) < 2 {
			continue
		}
		last := found[len(found)-1]
		vs = append(vs, violation(licet.CodeMutuallyExclusiveViolation, ex.RuleInfo, last, "",
			c.skusText(found, " and ")+" cannot be assigned to the same user, even with plans disabled",
			"keep one of them: remove "+strings.Join(found[:len(found)-1], ",")+" in the same request (--remove), or do not add "+last))
	}
	return vs
}

// checkUserScoped applies the purchase rules of scope user to the licenses the user would hold.
func (c *Catalog) checkUserScoped(result []Assigned) []Violation {
	var vs []Violation
	var plans, userBases []string
	for _, a := range result {
		sku, ok := c.skuByPart[a.SKU]
		if !ok {
			continue
		}
		plans = append(plans, sku.Plans...)
		if sku.Kind == KindBase {
			userBases = append(userBases, sku.Part)
		}
	}
	for _, a := range result {
		sku, ok := c.skuByPart[a.SKU]
		if !ok {
			continue
		}
		for _, pr := range c.rules.Prerequisites {
			if pr.Scope != ScopeUser || !contains(pr.SKUs, sku.Part) || pr.met(plans, userBases) {
				continue
			}
			vs = append(vs, violation(licet.CodePrerequisiteMissing, pr.RuleInfo, sku.Part, "",
				fmt.Sprintf("%s can only be assigned to a user who holds %s", sku.Label(), c.prereqText(pr)),
				"assign "+c.prereqWay(pr)+" to the user first, or in the same request"))
		}
		for _, bar := range c.rules.AddOnBars {
			if bar.Scope != ScopeUser || !contains(bar.AddOns, sku.Part) || len(userBases) == 0 ||
				slices.ContainsFunc(userBases, func(b string) bool { return !contains(bar.Bases, b) }) {
				continue
			}
			way := "assign it to a user of another base"
			if len(bar.SwitchTo) > 0 {
				way = "move the user to " + c.skusText(bar.SwitchTo, " or ") + " (--remove " + strings.Join(userBases, ",") +
					" --add " + bar.SwitchTo[0] + "), then assign " + sku.Part
			}
			vs = append(vs, violation(licet.CodeAddOnNotAllowedForBase, bar.RuleInfo, sku.Part, "",
				fmt.Sprintf("%s cannot be assigned to a user of %s", sku.Label(), c.skusText(userBases, ", ")), way))
		}
	}
	return vs
}

// Satisfies reports which options of a feature the enabled plans and external alternatives in
// place satisfy (indexes into Feature.SatisfiedBy).
func (c *Catalog) Satisfies(feature string, plans, external []string) []int {
	f, ok := c.featureByID[feature]
	if !ok {
		return nil
	}
	var out []int
	for i, o := range f.SatisfiedBy {
		if AllIn(o.Plans, plans) && AllIn(o.External, external) {
			out = append(out, i)
		}
	}
	return out
}

// EnabledPlans lists the plans a set of licenses enables, in order of first appearance.
func (c *Catalog) EnabledPlans(set []Assigned) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range set {
		if sku, ok := c.skuByPart[a.SKU]; ok {
			for _, p := range sku.Plans {
				if !contains(a.DisabledPlans, p) && !seen[p] {
					seen[p] = true
					out = append(out, p)
				}
			}
		}
	}
	return out
}
