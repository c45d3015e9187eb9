package catalog

import (
	"errors"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load parses and validates a catalog. name is the file name used in error positions. On any
// problem it returns a ValidationErrors listing all of them as file:line:col: message.
func Load(name string, data []byte) (cat *Catalog, err error) {
	var root yaml.Node
	if e := yaml.Unmarshal(data, &root); e != nil {
		return nil, ValidationErrors{parseError(name, e)}
	}
	d := &decoder{file: name}
	if len(root.Content) == 0 {
		d.errorf(Pos{1, 1}, "empty catalog")
		return nil, d.errs
	}
	var raw rawCatalog
	d.decode(root.Content[0], reflect.ValueOf(&raw).Elem(), 0)
	b := &builder{decoder: d, c: newCatalog()}
	b.build(&raw)
	if len(d.errs) > 0 {
		errs := d.errs
		sort.SliceStable(errs, func(i, j int) bool {
			if errs[i].Line != errs[j].Line {
				return errs[i].Line < errs[j].Line
			}
			return errs[i].Col < errs[j].Col
		})
		return nil, errs
	}
	b.c.source = append([]byte(nil), data...)
	return b.c, nil
}

// AsValidationErrors extracts the ValidationErrors from an error returned by Load.
func AsValidationErrors(err error) (ValidationErrors, bool) {
	var ve ValidationErrors
	ok := errors.As(err, &ve)
	return ve, ok
}

func newCatalog() *Catalog {
	return &Catalog{
		planByID:     map[string]*Plan{},
		skuByPart:    map[string]*SKU{},
		featureByID:  map[string]*Feature{},
		externalByID: map[string]*External{},
		depsByPlan:   map[string][]*Dependency{},
	}
}

type builder struct {
	*decoder
	c        *Catalog
	families map[string]bool
	ruleIDs  map[string]bool
}

func (b *builder) build(r *rawCatalog) {
	c := b.c
	if r.Pos == (Pos{}) {
		return // the document is not a mapping; the decoder said so
	}
	if r.Name.V == "" {
		b.errorf(r.Pos, "missing field \"name\"")
	}
	c.Name, c.Description = r.Name.V, r.Description.V
	c.orgTypes = b.declared("org_types", "org type", r.OrgTypes)
	c.clouds = b.declared("clouds", "cloud", r.Clouds)

	b.families = map[string]bool{}
	for _, f := range r.Families {
		if !b.requireID(f.Pos, "family", f.ID) {
			continue
		}
		if b.families[f.ID.V] {
			b.errorf(f.ID.Pos, "duplicate family %q", f.ID.V)
			continue
		}
		b.families[f.ID.V] = true
		c.families = append(c.families, &Family{ID: f.ID.V, Name: f.Name.V, Source: f.Source.V})
	}

	for _, p := range r.Plans {
		if !b.requireID(p.Pos, "plan", p.ID) {
			continue
		}
		if p.Name.V == "" {
			b.errorf(p.Pos, "plan %q: missing field \"name\"", p.ID.V)
		}
		if _, dup := c.planByID[p.ID.V]; dup {
			b.errorf(p.ID.Pos, "duplicate plan id %q", p.ID.V)
			continue
		}
		pl := &Plan{ID: p.ID.V, Name: p.Name.V, Description: p.Description.V}
		c.planByID[pl.ID] = pl
		c.plans = append(c.plans, pl)
	}
	sort.Slice(c.plans, func(i, j int) bool { return c.plans[i].ID < c.plans[j].ID })

	for _, e := range r.Externals {
		if !b.requireID(e.Pos, "external", e.ID) {
			continue
		}
		if _, dup := c.externalByID[e.ID.V]; dup {
			b.errorf(e.ID.Pos, "duplicate external id %q", e.ID.V)
			continue
		}
		if _, clash := c.planByID[e.ID.V]; clash {
			b.errorf(e.ID.Pos, "external id %q is also a plan id", e.ID.V)
			continue
		}
		x := &External{ID: e.ID.V, Name: e.Name.V, Description: e.Description.V, Source: e.Source.V}
		c.externalByID[x.ID] = x
		c.externals = append(c.externals, x)
	}

	for _, s := range r.SKUs {
		b.buildSKU(s)
	}
	sort.Slice(c.skus, func(i, j int) bool { return c.skus[i].Part < c.skus[j].Part })

	b.ruleIDs = map[string]bool{}
	if r.Rules != nil {
		b.buildRules(r.Rules)
	}
	b.checkCycles(r.Rules)

	for _, f := range r.Features {
		b.buildFeature(f)
	}
	for _, s := range r.RoomScenarios {
		b.buildRoom(s)
	}
	if r.Telephony != nil {
		b.buildTelephony(r.Telephony)
	}
}

// declared checks a top-level list of ids the catalog declares (org types, clouds).
func (b *builder) declared(field, what string, list []str) []string {
	var out []string
	for _, s := range list {
		switch {
		case s.V == "" || strings.ContainsAny(s.V, " \t\r\n"):
			b.errorf(s.Pos, "%s: %s %q must be a non-empty id without spaces", field, what, s.V)
		case contains(out, s.V):
			b.errorf(s.Pos, "%s: %s %q listed twice", field, what, s.V)
		default:
			out = append(out, s.V)
		}
	}
	return out
}

// buildTelephony checks the telephony bindings: features and an SKU of the catalog.
func (b *builder) buildTelephony(t *rawTelephony) {
	c := b.c
	for _, f := range []str{t.Numbers, t.Conferencing} {
		if f.V == "" {
			continue
		}
		ft, ok := c.featureByID[f.V]
		if !ok {
			b.errorf(f.Pos, "telephony: unknown feature %q", f.V)
			continue
		}
		if !slices.ContainsFunc(ft.SatisfiedBy, func(o Option) bool { return len(o.External) == 0 && len(o.Plans) > 0 }) {
			b.errorf(f.Pos, "telephony: feature %q has no option of plans alone", f.V)
		}
	}
	if t.Credits.V != "" {
		if _, ok := c.skuByPart[t.Credits.V]; !ok {
			b.errorf(t.Credits.Pos, "telephony: unknown SKU %q", t.Credits.V)
		}
	}
	c.telephony = Telephony{NumberFeature: t.Numbers.V, ConferencingFeature: t.Conferencing.V, CreditsSKU: t.Credits.V}
}

// scope checks a purchase rule's scope; empty reads as organisation.
func (b *builder) scope(rule string, s str) string {
	switch s.V {
	case "", ScopeOrganisation:
		return ScopeOrganisation
	case ScopeUser:
		return ScopeUser
	}
	b.errorf(s.Pos, "rule %q: scope %q is neither organisation nor user", rule, s.V)
	return ScopeOrganisation
}

// declaredRefs checks a rule's or feature's list of org types or clouds against what the catalog
// declares under field.
func (b *builder) declaredRefs(rule, what, field string, list []str, declared []string) []string {
	if len(list) > 0 && len(declared) == 0 {
		b.errorf(list[0].Pos, "%s: names %s %q but the catalog declares no %s (add a top-level %s list)", rule, what, list[0].V, field, field)
		return nil
	}
	var out []string
	for _, s := range list {
		if !contains(declared, s.V) {
			b.errorf(s.Pos, "%s: %s %q is not declared in %s (declared: %s)", rule, what, s.V, field, strings.Join(declared, ", "))
			continue
		}
		out = append(out, s.V)
	}
	return out
}

func (b *builder) requireID(p Pos, what string, id str) bool {
	if id.V == "" {
		b.errorf(p, "%s: missing field \"id\"", what)
		return false
	}
	if strings.ContainsAny(id.V, " \t\r\n") {
		b.errorf(id.Pos, "%s id %q must not contain spaces", what, id.V)
		return false
	}
	return true
}

func (b *builder) buildSKU(s rawSKU) {
	c := b.c
	if s.Part.V == "" {
		b.errorf(s.Pos, "sku: missing field \"part\"")
		return
	}
	if strings.ContainsAny(s.Part.V, " \t\r\n") {
		b.errorf(s.Part.Pos, "part number %q must not contain spaces", s.Part.V)
		return
	}
	if s.Name.V == "" {
		b.errorf(s.Pos, "sku %q: missing field \"name\"", s.Part.V)
	}
	switch s.Kind.V {
	case KindBase, KindAddOn:
	case "":
		b.errorf(s.Pos, "sku %q: missing field \"kind\" (base or addon)", s.Part.V)
	default:
		b.errorf(s.Kind.Pos, "sku %q: kind %q is neither base nor addon", s.Part.V, s.Kind.V)
	}
	if s.Family.V != "" && !b.families[s.Family.V] {
		b.errorf(s.Family.Pos, "sku %q: unknown family %q", s.Part.V, s.Family.V)
	}
	var price *Price
	if s.Price != nil {
		price = &Price{Amount: s.Price.Amount.V, Currency: s.Price.Currency.V}
		if s.Price.Amount.Pos == (Pos{}) {
			b.errorf(s.Price.Pos, "sku %q: price: missing field \"amount\"", s.Part.V)
		} else if s.Price.Amount.V < 0 {
			b.errorf(s.Price.Amount.Pos, "sku %q: negative price %d", s.Part.V, s.Price.Amount.V)
		}
		if !isUpperAlpha(s.Price.Currency.V, 3) {
			p := s.Price.Currency.Pos
			if p == (Pos{}) {
				p = s.Price.Pos
			}
			b.errorf(p, "sku %q: currency %q is not an ISO 4217 code (three capital letters)", s.Part.V, s.Price.Currency.V)
		}
	}
	var plans []string
	for _, p := range s.Plans {
		if _, ok := c.planByID[p.V]; !ok {
			b.errorf(p.Pos, "sku %q: unknown plan %q", s.Part.V, p.V)
			continue
		}
		if contains(plans, p.V) {
			b.errorf(p.Pos, "sku %q: plan %q listed twice", s.Part.V, p.V)
			continue
		}
		plans = append(plans, p.V)
	}
	if _, dup := c.skuByPart[s.Part.V]; dup {
		b.errorf(s.Part.Pos, "duplicate part number %q", s.Part.V)
		return
	}
	sku := &SKU{Part: s.Part.V, Name: s.Name.V, Kind: s.Kind.V, Family: s.Family.V, Unlimited: s.Unlimited,
		Price: price, Plans: plans, Note: s.Note.V}
	c.skuByPart[sku.Part] = sku
	c.skus = append(c.skus, sku)
}

func isUpperAlpha(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// info validates the common fields of a rule and registers its id.
func (b *builder) info(kind string, p Pos, r rawRule) (RuleInfo, bool) {
	if r.ID.V == "" {
		b.errorf(p, "%s rule: missing field \"id\"", kind)
		return RuleInfo{}, false
	}
	if b.ruleIDs[r.ID.V] {
		b.errorf(r.ID.Pos, "duplicate rule id %q", r.ID.V)
		return RuleInfo{}, false
	}
	b.ruleIDs[r.ID.V] = true
	return RuleInfo{ID: r.ID.V, Source: r.Source.V, Message: r.Message.V, WayOut: r.WayOut.V}, true
}

func (b *builder) skuRefs(rule string, field string, p Pos, list []str, required bool) []string {
	return refs(b, rule, field, "SKU", p, list, required, b.c.skuByPart)
}

func (b *builder) planRefs(rule, field string, p Pos, list []str, required bool) []string {
	return refs(b, rule, field, "plan", p, list, required, b.c.planByID)
}

// refs checks that a rule's list names known things (SKUs or plans, by their keys in known),
// and returns them without repeats.
func refs[V any](b *builder, rule, field, what string, p Pos, list []str, required bool, known map[string]V) []string {
	if required && len(list) == 0 {
		b.errorf(p, "rule %q: %s must list at least one %s", rule, field, what)
	}
	var out []string
	for _, s := range list {
		if _, ok := known[s.V]; !ok {
			b.errorf(s.Pos, "rule %q: unknown %s %q", rule, what, s.V)
			continue
		}
		if !contains(out, s.V) {
			out = append(out, s.V)
		}
	}
	return out
}

func (b *builder) anyOf(rule string, p Pos, sets [][]str) [][]string {
	if len(sets) == 0 {
		b.errorf(p, "rule %q: any_of must list at least one set of plans", rule)
	}
	var out [][]string
	for _, set := range sets {
		if len(set) == 0 {
			b.errorf(p, "rule %q: any_of has an empty set", rule)
			continue
		}
		out = append(out, b.planRefs(rule, "any_of", p, set, true))
	}
	return out
}

func (b *builder) enumRefs(rule, what string, list []str, allowed []string) []string {
	var out []string
	for _, s := range list {
		if !contains(allowed, s.V) {
			b.errorf(s.Pos, "rule %q: unknown %s %q (known: %s)", rule, what, s.V, strings.Join(allowed, ", "))
			continue
		}
		out = append(out, s.V)
	}
	return out
}

func (b *builder) countryRefs(rule string, list []str) []string {
	var out []string
	for _, s := range list {
		if !isUpperAlpha(s.V, 2) {
			b.errorf(s.Pos, "rule %q: country %q is not an ISO 3166 alpha-2 code (two capital letters)", rule, s.V)
			continue
		}
		out = append(out, s.V)
	}
	return out
}

// validChannel reports whether ch is direct, partner or reseller:NAME.
func validChannel(ch string) bool {
	if ch == "direct" || ch == "partner" {
		return true
	}
	name, ok := strings.CutPrefix(ch, "reseller:")
	return ok && strings.TrimSpace(name) != ""
}

func (b *builder) channelRef(rule string, s str) string {
	if !validChannel(s.V) {
		b.errorf(s.Pos, "rule %q: channel %q is not direct, partner or reseller:NAME", rule, s.V)
		return ""
	}
	return s.V
}

func (b *builder) buildRules(r *rawRules) {
	c := b.c
	for _, x := range r.Prerequisites {
		ri, ok := b.info("prerequisite", x.Pos, x.rawRule)
		if !ok {
			continue
		}
		pr := Prerequisite{RuleInfo: ri, SKUs: b.skuRefs(ri.ID, "skus", x.Pos, x.SKUs, true),
			Bases: b.skuRefs(ri.ID, "bases", x.Pos, x.Bases, false), Scope: b.scope(ri.ID, x.Scope)}
		if len(x.AnyOf) > 0 || len(x.Bases) == 0 {
			pr.AnyOf = b.anyOf(ri.ID, x.Pos, x.AnyOf)
		}
		for _, base := range x.Bases {
			if s, ok := c.skuByPart[base.V]; ok && s.Kind != KindBase {
				b.errorf(base.Pos, "rule %q: %q is not a base SKU", ri.ID, base.V)
			}
		}
		c.rules.Prerequisites = append(c.rules.Prerequisites, pr)
	}
	for _, x := range r.AddOnBars {
		ri, ok := b.info("addon_bar", x.Pos, x.rawRule)
		if !ok {
			continue
		}
		bar := AddOnBar{RuleInfo: ri, Bases: b.skuRefs(ri.ID, "bases", x.Pos, x.Bases, true),
			AddOns: b.skuRefs(ri.ID, "addons", x.Pos, x.AddOns, true), SwitchTo: b.skuRefs(ri.ID, "switch_to", x.Pos, x.SwitchTo, false),
			Scope: b.scope(ri.ID, x.Scope)}
		if x.ViaChannel.V != "" {
			bar.ViaChannel = b.channelRef(ri.ID, x.ViaChannel)
			if bar.Scope == ScopeUser {
				b.errorf(x.Scope.Pos, "rule %q: a bar on a channel applies to the organisation's purchases: scope user does not go with via_channel", ri.ID)
			}
		}
		for _, base := range x.Bases {
			if s, ok := c.skuByPart[base.V]; ok && s.Kind != KindBase {
				b.errorf(base.Pos, "rule %q: %q is not a base SKU", ri.ID, base.V)
			}
		}
		for _, a := range x.AddOns {
			if s, ok := c.skuByPart[a.V]; ok && s.Kind != KindAddOn {
				b.errorf(a.Pos, "rule %q: %q is not an add-on SKU", ri.ID, a.V)
			}
		}
		c.rules.AddOnBars = append(c.rules.AddOnBars, bar)
	}
	for _, x := range r.Channels {
		ri, ok := b.info("channel", x.Pos, x.rawRule)
		if !ok {
			continue
		}
		cr := ChannelRule{RuleInfo: ri, SKUs: b.skuRefs(ri.ID, "skus", x.Pos, x.SKUs, true)}
		if len(x.NotThrough) == 0 {
			b.errorf(x.Pos, "rule %q: not_through must list at least one channel", ri.ID)
		}
		for _, ch := range x.NotThrough {
			if v := b.channelRef(ri.ID, ch); v != "" {
				cr.NotThrough = append(cr.NotThrough, v)
			}
		}
		c.rules.Channels = append(c.rules.Channels, cr)
	}
	for _, x := range r.Terms {
		ri, ok := b.info("term", x.Pos, x.rawRule)
		if !ok {
			continue
		}
		if len(x.BaseTerms)+len(x.Terms) == 0 {
			b.errorf(x.Pos, "rule %q: give terms (of the SKU's own purchase) or base_terms (of the base's), at least one term", ri.ID)
		}
		c.rules.Terms = append(c.rules.Terms, TermRule{RuleInfo: ri, SKUs: b.skuRefs(ri.ID, "skus", x.Pos, x.SKUs, true),
			Terms: b.enumRefs(ri.ID, "term", x.Terms, Terms), BaseTerms: b.enumRefs(ri.ID, "term", x.BaseTerms, Terms)})
	}
	for _, x := range r.Availability {
		ri, ok := b.info("availability", x.Pos, x.rawRule)
		if !ok {
			continue
		}
		what := "rule " + strconv.Quote(ri.ID)
		a := Availability{RuleInfo: ri, SKUs: b.skuRefs(ri.ID, "skus", x.Pos, x.SKUs, true),
			Countries: b.countryRefs(ri.ID, x.Countries), NotCountries: b.countryRefs(ri.ID, x.NotCountries),
			OrgTypes:    b.declaredRefs(what, "org type", "org_types", x.OrgTypes, c.orgTypes),
			NotOrgTypes: b.declaredRefs(what, "org type", "org_types", x.NotOrgTypes, c.orgTypes),
			Clouds:      b.declaredRefs(what, "cloud", "clouds", x.Clouds, c.clouds),
			NotClouds:   b.declaredRefs(what, "cloud", "clouds", x.NotClouds, c.clouds)}
		if len(x.Countries)+len(x.NotCountries)+len(x.OrgTypes)+len(x.NotOrgTypes)+len(x.Clouds)+len(x.NotClouds) == 0 {
			b.errorf(x.Pos, "rule %q: restricts nothing (give countries, not_countries, org_types, not_org_types, clouds or not_clouds)", ri.ID)
		}
		c.rules.Availability = append(c.rules.Availability, a)
	}
	for _, x := range r.Dependencies {
		ri, ok := b.info("dependency", x.Pos, x.rawRule)
		if !ok {
			continue
		}
		c.rules.Dependencies = append(c.rules.Dependencies, Dependency{RuleInfo: ri,
			Plans: b.planRefs(ri.ID, "plans", x.Pos, x.Plans, true), AnyOf: b.anyOf(ri.ID, x.Pos, x.AnyOf)})
	}
	for i := range c.rules.Dependencies {
		d := &c.rules.Dependencies[i]
		for _, p := range d.Plans {
			c.depsByPlan[p] = append(c.depsByPlan[p], d)
		}
	}
	for _, x := range r.Exclusions {
		ri, ok := b.info("exclusion", x.Pos, x.rawRule)
		if !ok {
			continue
		}
		ex := Exclusion{RuleInfo: ri}
		switch {
		case len(x.Plans) > 0 && len(x.SKUs) > 0:
			b.errorf(x.Pos, "rule %q: an exclusion gives plans or skus, not both (write two rules)", ri.ID)
		case len(x.SKUs) > 0:
			ex.SKUs = b.skuRefs(ri.ID, "skus", x.Pos, x.SKUs, true)
			if len(x.SKUs) < 2 {
				b.errorf(x.Pos, "rule %q: an exclusion needs at least two SKUs", ri.ID)
			}
		default:
			ex.Plans = b.planRefs(ri.ID, "plans", x.Pos, x.Plans, true)
			if len(x.Plans) < 2 {
				b.errorf(x.Pos, "rule %q: an exclusion needs at least two plans", ri.ID)
			}
		}
		c.rules.Exclusions = append(c.rules.Exclusions, ex)
	}
	for _, x := range r.Hybrid {
		ri, ok := b.info("hybrid", x.Pos, x.rawRule)
		if !ok {
			continue
		}
		c.rules.Hybrid = append(c.rules.Hybrid, HybridRule{RuleInfo: ri, Plans: b.planRefs(ri.ID, "plans", x.Pos, x.Plans, true)})
	}
}

// checkCycles reports cycles in the assignment dependency graph (plan → plans it may depend on).
// A cycle is reported once, at the position of the reference that closes it.
func (b *builder) checkCycles(r *rawRules) {
	if r == nil {
		return
	}
	type edge struct {
		to  string
		pos Pos
	}
	graph := map[string][]edge{}
	for _, d := range r.Dependencies {
		for _, from := range d.Plans {
			for _, set := range d.AnyOf {
				for _, to := range set {
					if _, ok := b.c.planByID[to.V]; ok {
						graph[from.V] = append(graph[from.V], edge{to.V, to.Pos})
					}
				}
			}
		}
	}
	nodes := make([]string, 0, len(graph))
	for n := range graph {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(n string)
	visit = func(n string) {
		color[n] = grey
		stack = append(stack, n)
		for _, e := range graph[n] {
			switch color[e.to] {
			case white:
				visit(e.to)
			case grey:
				i := len(stack) - 1
				for stack[i] != e.to {
					i--
				}
				path := append(append([]string(nil), stack[i:]...), e.to)
				b.errorf(e.pos, "cycle in assignment dependencies: %s", strings.Join(path, " -> "))
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, n := range nodes {
		if color[n] == white {
			visit(n)
		}
	}
}

func (b *builder) externalRefs(what string, list []str) []string {
	var out []string
	for _, s := range list {
		if _, ok := b.c.externalByID[s.V]; !ok {
			b.errorf(s.Pos, "%s: unknown external %q", what, s.V)
			continue
		}
		out = append(out, s.V)
	}
	return out
}

func (b *builder) buildFeature(f rawFeature) {
	c := b.c
	if !b.requireID(f.Pos, "feature", f.ID) {
		return
	}
	what := "feature " + `"` + f.ID.V + `"`
	if _, dup := c.featureByID[f.ID.V]; dup {
		b.errorf(f.ID.Pos, "duplicate feature id %q", f.ID.V)
		return
	}
	if f.Name.V == "" {
		b.errorf(f.Pos, "%s: missing field \"name\"", what)
	}
	ft := &Feature{ID: f.ID.V, Name: f.Name.V, Description: f.Description.V, Source: f.Source.V,
		For: b.enumRefs(f.ID.V, "user kind", f.For, UserKinds), OrgTypes: b.declaredRefs(what, "org type", "org_types", f.OrgTypes, c.orgTypes),
		Clouds: b.declaredRefs(what, "cloud", "clouds", f.Clouds, c.clouds)}
	if len(ft.For) == 0 && len(f.For) == 0 {
		ft.For = []string{"person"}
	}
	if len(f.SatisfiedBy) == 0 {
		b.errorf(f.Pos, "%s: satisfied_by must list at least one option", what)
	}
	for _, o := range f.SatisfiedBy {
		if len(o.Plans)+len(o.External) == 0 {
			b.errorf(o.Pos, "%s: an option needs plans or external", what)
			continue
		}
		opt := Option{Note: o.Note.V, External: b.externalRefs(what, o.External)}
		for _, p := range o.Plans {
			if _, ok := c.planByID[p.V]; !ok {
				b.errorf(p.Pos, "%s: unknown plan %q", what, p.V)
				continue
			}
			opt.Plans = append(opt.Plans, p.V)
		}
		ft.SatisfiedBy = append(ft.SatisfiedBy, opt)
	}
	c.featureByID[ft.ID] = ft
	c.features = append(c.features, ft)
}

func (b *builder) buildRoom(s rawRoomScenario) {
	c := b.c
	if !b.requireID(s.Pos, "room scenario", s.ID) {
		return
	}
	what := "room scenario " + `"` + s.ID.V + `"`
	for _, r := range c.roomScenarios {
		if r.ID == s.ID.V {
			b.errorf(s.ID.Pos, "duplicate room scenario id %q", s.ID.V)
			return
		}
	}
	if s.Feature.V != "" {
		if _, ok := c.featureByID[s.Feature.V]; !ok {
			b.errorf(s.Feature.Pos, "%s: unknown feature %q", what, s.Feature.V)
		}
	}
	rs := &RoomScenario{ID: s.ID.V, Name: s.Name.V, Feature: s.Feature.V, Source: s.Source.V, Note: s.Note.V}
	skus := func(list []str) []string {
		var out []string
		for _, x := range list {
			if _, ok := c.skuByPart[x.V]; !ok {
				b.errorf(x.Pos, "%s: unknown SKU %q", what, x.V)
				continue
			}
			out = append(out, x.V)
		}
		return out
	}
	for _, col := range s.Columns {
		rc := RoomColumn{}
		if len(col.Have) == 0 {
			b.errorf(col.Pos, "%s: a column needs \"have\" (plan families)", what)
		}
		for _, h := range col.Have {
			if !b.families[h.V] {
				b.errorf(h.Pos, "%s: unknown family %q", what, h.V)
				continue
			}
			rc.Have = append(rc.Have, h.V)
		}
		for _, o := range col.Options {
			if len(o.SKUs)+len(o.External) == 0 {
				b.errorf(o.Pos, "%s: an option needs skus or external", what)
			}
			rc.Options = append(rc.Options, RoomOption{SKUs: skus(o.SKUs), External: b.externalRefs(what, o.External),
				Optional: skus(o.Optional), Note: o.Note.V})
		}
		rs.Columns = append(rs.Columns, rc)
	}
	c.roomScenarios = append(c.roomScenarios, rs)
}
