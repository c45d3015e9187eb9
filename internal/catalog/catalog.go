// Package catalog loads SKU catalogs from YAML, validates them, and answers the licensing rules
// they encode: may an organisation buy this SKU, may a user be assigned this set of licenses,
// which service plans satisfy which feature.
//
// The package is pure: apart from LoadFile it does no I/O, and every rule is a function of a
// *Catalog and its arguments. A *Catalog is immutable once loaded and safe for concurrent use;
// the slices its accessors return must not be modified.
package catalog

import (
	"os"
)

// SKU kinds.
const (
	KindBase  = "base"
	KindAddOn = "addon"
)

// Terms are the commitment terms of a purchase.
var Terms = []string{"annual", "monthly"}

// UserKinds are the kinds of user object a feature may be meant for.
var UserKinds = []string{"person", "room"}

// Plan is a service plan: one capability an SKU switches on for a user.
type Plan struct {
	ID          string
	Name        string
	Description string
}

// Label is "Name (ID)".
func (p *Plan) Label() string { return p.Name + " (" + p.ID + ")" }

// Price is an example monthly price per unit, in minor units of Currency.
type Price struct {
	Amount   int64
	Currency string
}

// SKU is a product that can be bought: a base plan or an add-on, with the service plans it includes.
type SKU struct {
	Part      string // part number, unique in the catalog
	Name      string
	Kind      string // KindBase or KindAddOn
	Family    string // plan family id, e.g. "enterprise"; may be empty
	Unlimited bool   // uncounted: any number of users may be assigned it once bought
	Price     *Price // example price; nil when the catalog gives none
	Plans     []string
	Note      string
}

// Label is "Name (PART)".
func (s *SKU) Label() string { return s.Name + " (" + s.Part + ")" }

// HasPlan reports whether the SKU includes the service plan.
func (s *SKU) HasPlan(id string) bool {
	for _, p := range s.Plans {
		if p == id {
			return true
		}
	}
	return false
}

// Family groups SKUs the way the source documentation groups plans in its tables.
type Family struct {
	ID     string
	Name   string
	Source string
}

// External is something that satisfies a feature without being bought from the catalog: a
// third-party provider, an existing carrier, on-premises licenses.
type External struct {
	ID          string
	Name        string
	Description string
	Source      string
}

// Option is one way to satisfy a feature: all of Plans enabled and all of External in place.
type Option struct {
	Plans    []string
	External []string
	Note     string
}

// Feature is something a user or room can do, satisfied by any one of its options.
type Feature struct {
	ID          string
	Name        string
	Description string
	Source      string
	For         []string // UserKinds it applies to
	OrgTypes    []string // empty: every org type
	Clouds      []string // empty: every cloud
	SatisfiedBy []Option
}

// RoomScenario is one row of a room-system licensing table: for each column (what the
// organisation already has, as plan families), the options to buy.
type RoomScenario struct {
	ID      string
	Name    string
	Feature string
	Source  string
	Note    string
	Columns []RoomColumn
}

// RoomColumn is one cell of a room scenario.
type RoomColumn struct {
	Have    []string // family ids
	Options []RoomOption
}

// RoomOption is one way to license a room in a scenario.
type RoomOption struct {
	SKUs     []string
	External []string
	Optional []string // SKUs the source calls optional
	Note     string
}

// RuleInfo is what every rule carries.
type RuleInfo struct {
	ID      string
	Source  string // the section of the source documentation the rule comes from
	Message string // optional; a message is generated when empty
	WayOut  string // optional; a way out is generated when empty
}

// Rule scopes: whom a purchase rule looks at.
const (
	// ScopeOrganisation: the rule is checked on the organisation's purchases only.
	ScopeOrganisation = "organisation"
	// ScopeUser: the rule is also checked, at assignment, on the licenses of the user who would
	// hold the SKU.
	ScopeUser = "user"
)

// Prerequisite: buying any of SKUs needs the organisation to own, among its purchases, all plans
// of at least one set of AnyOf (when given) and one of Bases (when given). With Scope ScopeUser
// the user who is assigned one of SKUs must hold them too.
type Prerequisite struct {
	RuleInfo
	SKUs  []string
	AnyOf [][]string
	Bases []string
	Scope string // ScopeOrganisation or ScopeUser
}

// AddOnBar: an organisation whose bases are all among Bases (bought through ViaChannel, when set)
// may not buy any of AddOns; SwitchTo lists the bases to move to. With Scope ScopeUser a user
// whose bases are all among Bases may not be assigned any of AddOns either.
type AddOnBar struct {
	RuleInfo
	Bases      []string
	ViaChannel string
	AddOns     []string
	SwitchTo   []string
	Scope      string // ScopeOrganisation or ScopeUser
}

// ChannelRule: SKUs are not sold through any of NotThrough.
type ChannelRule struct {
	RuleInfo
	SKUs       []string
	NotThrough []string
}

// TermRule: buying any of SKUs needs the purchase itself on one of Terms (when given) and the
// organisation to own a base bought on one of BaseTerms (when given).
type TermRule struct {
	RuleInfo
	SKUs      []string
	Terms     []string
	BaseTerms []string
}

// Availability: SKUs are sold and assigned only where the lists allow: "only for" lists
// (Countries, OrgTypes, Clouds; empty allows all) and "not for" lists (NotCountries, NotOrgTypes,
// NotClouds). Org types and clouds are the ones the catalog declares.
type Availability struct {
	RuleInfo
	SKUs         []string
	Countries    []string
	NotCountries []string
	OrgTypes     []string
	NotOrgTypes  []string
	Clouds       []string
	NotClouds    []string
}

// Dependency: each of Plans, when enabled on a user, needs all plans of one set of AnyOf enabled
// on the same user.
type Dependency struct {
	RuleInfo
	Plans []string
	AnyOf [][]string
}

// Exclusion: at most one of Plans may be enabled on a user, and at most one of SKUs assigned to
// a user whatever plans of theirs are disabled. A rule gives Plans or SKUs.
type Exclusion struct {
	RuleInfo
	Plans []string
	SKUs  []string
}

// HybridRule: a user with on-premises PSTN connectivity may not have any of Plans.
type HybridRule struct {
	RuleInfo
	Plans []string
}

// Telephony names the catalog objects the telephony services work with, so that no vendor's
// part number or feature id is written in code. Empty fields switch the service off.
type Telephony struct {
	// NumberFeature: a user may hold a phone number from the tenant's inventory when their plans
	// satisfy an option of this feature that needs no external alternative.
	NumberFeature string
	// ConferencingFeature: a user whose plans satisfy an option of this feature on their own uses
	// the operator's conference bridge; an option that needs an external alternative says which
	// plans a third-party provider needs.
	ConferencingFeature string
	// CreditsSKU: the SKU whose purchase rules decide who may sign up for communications
	// credits; it is bought when the tenant signs up.
	CreditsSKU string
}

// Rules are a catalog's rules, by kind.
type Rules struct {
	Prerequisites []Prerequisite
	AddOnBars     []AddOnBar
	Channels      []ChannelRule
	Terms         []TermRule
	Availability  []Availability
	Dependencies  []Dependency
	Exclusions    []Exclusion
	Hybrid        []HybridRule
}

// Catalog is a validated, immutable SKU catalog.
type Catalog struct {
	Name        string
	Description string

	families      []*Family
	plans         []*Plan
	externals     []*External
	skus          []*SKU // sorted by part number
	features      []*Feature
	roomScenarios []*RoomScenario
	rules         Rules
	orgTypes      []string
	clouds        []string
	telephony     Telephony
	source        []byte // the YAML it was loaded from

	planByID     map[string]*Plan
	skuByPart    map[string]*SKU
	featureByID  map[string]*Feature
	externalByID map[string]*External
	depsByPlan   map[string][]*Dependency
}

// LoadFile reads and loads a catalog file.
func LoadFile(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

// SKU returns the SKU with the part number.
func (c *Catalog) SKU(part string) (*SKU, bool) {
	s, ok := c.skuByPart[part]
	return s, ok
}

// SKUs returns every SKU, sorted by part number.
func (c *Catalog) SKUs() []*SKU { return c.skus }

// Plan returns the service plan with the id.
func (c *Catalog) Plan(id string) (*Plan, bool) {
	p, ok := c.planByID[id]
	return p, ok
}

// Plans returns every service plan, sorted by id.
func (c *Catalog) Plans() []*Plan { return c.plans }

// Feature returns the feature with the id.
func (c *Catalog) Feature(id string) (*Feature, bool) {
	f, ok := c.featureByID[id]
	return f, ok
}

// Features returns every feature in catalog order.
func (c *Catalog) Features() []*Feature { return c.features }

// External returns the external alternative with the id.
func (c *Catalog) External(id string) (*External, bool) {
	e, ok := c.externalByID[id]
	return e, ok
}

// Externals returns every external alternative in catalog order.
func (c *Catalog) Externals() []*External { return c.externals }

// Families returns every plan family in catalog order.
func (c *Catalog) Families() []*Family { return c.families }

// RoomScenarios returns the room-system scenarios in catalog order.
func (c *Catalog) RoomScenarios() []*RoomScenario { return c.roomScenarios }

// Rules returns the catalog's rules.
func (c *Catalog) Rules() Rules { return c.rules }

// OrgTypes returns the organisation types the catalog declares, the default first; empty when
// it declares none (then rules cannot name any).
func (c *Catalog) OrgTypes() []string { return c.orgTypes }

// Clouds returns the clouds the catalog declares, the default first; empty when it declares none.
func (c *Catalog) Clouds() []string { return c.clouds }

// Source returns the YAML document the catalog was loaded from.
func (c *Catalog) Source() []byte { return c.source }

// Telephony returns the catalog's telephony bindings.
func (c *Catalog) Telephony() Telephony { return c.telephony }

// DefaultOrg fills an organisation's empty type and cloud with the catalog's defaults (the first
// declared).
func (c *Catalog) DefaultOrg(o Org) Org {
	if o.Type == "" && len(c.orgTypes) > 0 {
		o.Type = c.orgTypes[0]
	}
	if o.Cloud == "" && len(c.clouds) > 0 {
		o.Cloud = c.clouds[0]
	}
	return o
}

// PlanState is one service plan of an assigned SKU, as a plan-status listing shows it.
type PlanState struct {
	Plan     string
	Name     string
	Disabled bool
}

// PlanStates lists the plans of an assigned SKU in catalog order, marking the disabled ones.
// It returns false for an unknown SKU.
func (c *Catalog) PlanStates(a Assigned) ([]PlanState, bool) {
	s, ok := c.skuByPart[a.SKU]
	if !ok {
		return nil, false
	}
	out := make([]PlanState, 0, len(s.Plans))
	for _, id := range s.Plans {
		out = append(out, PlanState{Plan: id, Name: c.planName(id), Disabled: contains(a.DisabledPlans, id)})
	}
	return out, true
}

// SKUsWithPlan returns the SKUs that include the plan, sorted by part number.
func (c *Catalog) SKUsWithPlan(plan string) []*SKU {
	var out []*SKU
	for _, s := range c.skus {
		if s.HasPlan(plan) {
			out = append(out, s)
		}
	}
	return out
}

// AllowedTerms lists the terms the catalog's term rules allow a purchase of the SKU on, in the
// order of Terms.
func (c *Catalog) AllowedTerms(part string) []string {
	var out []string
	for _, t := range Terms {
		ok := true
		for _, tr := range c.rules.Terms {
			if contains(tr.SKUs, part) && len(tr.Terms) > 0 && !contains(tr.Terms, t) {
				ok = false
			}
		}
		if ok {
			out = append(out, t)
		}
	}
	return out
}

// SKUsFor chooses SKUs that together carry every plan of plans: for each plan not yet carried,
// an add-on before a base, then the SKU with the fewest plans, then the first part number. It
// returns nil when no SKU carries one of the plans, and an empty list for no plans.
func (c *Catalog) SKUsFor(plans []string) []string {
	out := []string{}
	carried := map[string]bool{}
	for _, p := range plans {
		if carried[p] {
			continue
		}
		var best *SKU
		for _, s := range c.SKUsWithPlan(p) {
			if best == nil || (s.Kind == KindAddOn && best.Kind != KindAddOn) ||
				(s.Kind == best.Kind && len(s.Plans) < len(best.Plans)) {
				best = s
			}
		}
		if best == nil {
			return nil
		}
		out = append(out, best.Part)
		for _, q := range best.Plans {
			carried[q] = true
		}
	}
	return out
}

func (c *Catalog) planName(id string) string {
	if p, ok := c.planByID[id]; ok {
		return p.Name
	}
	return id
}

func (c *Catalog) planLabel(id string) string {
	if p, ok := c.planByID[id]; ok {
		return p.Label()
	}
	return id
}

func (c *Catalog) skuLabel(part string) string {
	if s, ok := c.skuByPart[part]; ok {
		return s.Label()
	}
	return part
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
