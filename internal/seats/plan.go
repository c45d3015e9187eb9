package seats

import (
	"fmt"
	"slices"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// Pool is one SKU's units as the planner sees them: enabled units and the units consumed so far.
type Pool struct {
	SKU       string
	Enabled   int
	Consumed  int
	Unlimited bool
}

// Holder is a user about to be changed: its attributes as the rules see them, the licenses it
// holds directly, what its groups give it, and its phone number.
type Holder struct {
	UserID    int64
	UPN       string
	User      catalog.User
	Current   []catalog.Assigned // direct licenses
	Inherited []Inherited        // one entry per group that gives the user licenses
	Number    string             // E.164 number assigned to the user, if any
}

// Inherited is what one group gives a user: the group's licenses, and whether they apply
// (Active) or not (state Error, with the error stored).
type Inherited struct {
	Group    int64
	Name     string
	Licenses []catalog.Assigned
	Active   bool
	Code     string // the stored error when not active
	Message  string
}

// inherited merges the licenses of the user's active groups, leaving out one group (0: none).
func (h Holder) inherited(except int64) []catalog.Assigned {
	var sets [][]catalog.Assigned
	for _, in := range h.Inherited {
		if in.Active && in.Group != except {
			sets = append(sets, in.Licenses)
		}
	}
	return merge(sets...)
}

// Effective is the set of licenses that apply to the user: its direct licenses and those of
// its active groups, one entry per SKU (a plan disabled in one source and enabled in another is
// enabled).
func (h Holder) Effective() []catalog.Assigned { return merge(h.Current, h.inherited(0)) }

// Decision is what the planner decided for one user: the outcome, and the rows to write when the
// change is accepted (none when it is refused or changes nothing).
type Decision struct {
	Result licet.AssignResult
	Insert []catalog.Assigned // new direct licenses
	Update []catalog.Assigned // direct licenses whose disabled plans change
	Delete []string           // SKUs of direct licenses to remove
	Bridge int                // +1: the user gets the operator's conference bridge; -1: loses it
}

// Planner decides, user by user, what a license change does. It holds the units of every SKU of
// the tenant and consumes them as it accepts changes, so a batch never hands out more units than
// are enabled. A user consumes one unit of an SKU however many sources (direct, groups) give it.
// It is pure; the caller loads its inputs and writes its decisions in one transaction.
type Planner struct {
	Catalog   *catalog.Catalog
	Org       catalog.Org
	Tenant    string           // the tenant's slug, for the commands errors name
	Purchased []string         // SKUs the tenant has a subscription for
	Pools     map[string]*Pool // by SKU; consumed is updated by Decide and DecideGroup
}

// Decide applies a change of h's direct licenses atomically: either every part of it is accepted
// (and the pools' consumed units change) or none is and the result carries the error. The rules
// are checked on the licenses that apply to the user (direct and inherited together).
func (p *Planner) Decide(h Holder, change catalog.Change) Decision {
	direct, vs := applyDirect(p.Catalog, h, change)
	if len(vs) > 0 {
		return failed(ViolationError(vs))
	}
	inherited := h.inherited(0)
	before, after := merge(h.Current, inherited), merge(direct, inherited)
	if vs := p.check(h, before, after); len(vs) > 0 {
		return failed(ViolationError(vs))
	}
	if short := p.short(before, after); len(short) > 0 {
		return failed(ViolationError(short))
	}
	p.take(before, after)
	d := Decision{Bridge: bridgeChange(p.Catalog, before, after)}
	old := bySKU(h.Current)
	kept := bySKU(direct)
	for _, a := range direct {
		o, had := old[a.SKU]
		switch {
		case !had:
			d.Insert = append(d.Insert, a)
			d.Result.Added = append(d.Result.Added, a.SKU)
		case !slices.Equal(normalizePlans(o.DisabledPlans), normalizePlans(a.DisabledPlans)):
			d.Update = append(d.Update, a)
			d.Result.Updated = append(d.Result.Updated, a.SKU)
		}
	}
	for _, a := range h.Current {
		if _, ok := kept[a.SKU]; !ok {
			d.Delete = append(d.Delete, a.SKU)
			d.Result.Removed = append(d.Result.Removed, a.SKU)
		}
	}
	switch {
	case len(d.Insert) > 0 || len(d.Update) > 0:
		d.Result.Outcome = licet.OutcomeAssigned
	case len(d.Delete) > 0:
		d.Result.Outcome = licet.OutcomeRemoved
	default:
		d.Result.Outcome = licet.OutcomeAlreadyAssigned
	}
	return d
}

// applyDirect applies change to h's direct licenses. Removing an SKU the user holds only through
// a group is refused: it is the group's to remove.
func applyDirect(cat *catalog.Catalog, h Holder, change catalog.Change) ([]catalog.Assigned, []catalog.Violation) {
	direct := bySKU(h.Current)
	var vs []catalog.Violation
	removed := map[string]bool{}
	for _, r := range change.Remove {
		removed[r] = true
		if _, ok := direct[r]; ok {
			continue
		}
		var groups []string
		for _, in := range h.Inherited {
			if _, ok := bySKU(in.Licenses)[r]; ok && in.Active {
				groups = append(groups, in.Name)
			}
		}
		if len(groups) > 0 {
			vs = append(vs, catalog.Violation{Code: licet.CodeInheritedLicense, SKU: r,
				Message: fmt.Sprintf("%s comes to %s through group %s and cannot be removed from the user directly", skuLabel(cat, r), orUser(h.UPN), strings.Join(groups, ", ")),
				WayOut:  fmt.Sprintf("remove the user from the group (licet group remove), or %s from the group (licet group assign --remove %s)", r, r)})
		}
	}
	var out []catalog.Assigned
	for _, a := range h.Current {
		if !removed[a.SKU] {
			out = append(out, a)
		}
	}
	for _, a := range change.Add {
		a = catalog.Assigned{SKU: a.SKU, DisabledPlans: normalizePlans(a.DisabledPlans)}
		if i := slices.IndexFunc(out, func(o catalog.Assigned) bool { return o.SKU == a.SKU }); i >= 0 {
			out[i] = a
		} else {
			out = append(out, a)
		}
	}
	return out, vs
}

func orUser(upn string) string {
	if upn == "" {
		return "the user"
	}
	return upn
}

func skuLabel(cat *catalog.Catalog, part string) string {
	if s, ok := cat.SKU(part); ok {
		return s.Label()
	}
	return part
}

// GroupDecision is what applying a group's licenses to one member comes to: they apply
// (Active), or they cannot (Error: none of the group's SKUs apply to the member), or the change
// cannot be made at all (Blocked: taking the group's licenses away would break another license
// of the member, or leave its phone number without a Calling Plan).
type GroupDecision struct {
	Active  bool
	Error   *licet.Error
	Blocked *licet.Error
	Bridge  int // as in Decision
}

// DecideGroup applies set, the licenses of group, to member h: all of them or none. Units are
// taken and freed in the pools as the decision says.
func (p *Planner) DecideGroup(h Holder, group int64, set []catalog.Assigned) GroupDecision {
	others := merge(h.Current, h.inherited(group))
	before := others
	wasActive := false
	for _, in := range h.Inherited {
		if in.Group == group && in.Active {
			before, wasActive = merge(others, in.Licenses), true
		}
	}
	after := merge(others, set)
	vs := p.check(h, before, after)
	if len(vs) == 0 {
		vs = p.short(before, after)
	}
	if len(vs) == 0 {
		p.take(before, after)
		return GroupDecision{Active: len(set) > 0, Bridge: bridgeChange(p.Catalog, before, after)}
	}
	if len(set) == 0 {
		return GroupDecision{Blocked: ViolationError(vs)}
	}
	if wasActive {
		if bvs := p.check(h, before, others); len(bvs) > 0 {
			return GroupDecision{Blocked: ViolationError(bvs)}
		}
		p.take(before, others)
	}
	return GroupDecision{Error: ViolationError(vs), Bridge: bridgeChange(p.Catalog, before, others)}
}

// check applies the catalog's assignment rules to the move from before to after (both the
// licenses that apply to h), and keeps a user's phone number covered by the plans the catalog's
// number feature asks for.
func (p *Planner) check(h Holder, before, after []catalog.Assigned) []catalog.Violation {
	ch := diff(before, after)
	if len(ch.Add) == 0 && len(ch.Remove) == 0 {
		return nil
	}
	_, vs := p.Catalog.CheckAssignment(p.Org, p.Purchased, h.User, before, ch)
	if len(vs) == 0 && h.Number != "" && CanHoldNumber(p.Catalog, before) && !CanHoldNumber(p.Catalog, after) {
		vs = append(vs, catalog.Violation{Code: licet.CodeNumberNeedsCallingPlan,
			Message: fmt.Sprintf("%s has the phone number %s and this change would leave it without what a number needs (%s)", orUser(h.UPN), h.Number, numberPlans(p.Catalog)),
			WayOut:  fmt.Sprintf("take the number back first (licet number unassign %s --tenant %s), or keep those plans on the user", h.Number, p.Tenant)})
	}
	return vs
}

// short lists the SKUs that after adds to before and that have no unit left.
func (p *Planner) short(before, after []catalog.Assigned) []catalog.Violation {
	had := bySKU(before)
	var vs []catalog.Violation
	for _, a := range after {
		if _, ok := had[a.SKU]; ok {
			continue
		}
		if pool := p.Pools[a.SKU]; pool == nil || (!pool.Unlimited && pool.Consumed+1 > pool.Enabled) {
			vs = append(vs, p.countViolation(a.SKU, pool))
		}
	}
	return vs
}

// take moves the pools' consumed units from before to after: one unit per SKU that appears, one
// freed per SKU that goes.
func (p *Planner) take(before, after []catalog.Assigned) {
	had, has := bySKU(before), bySKU(after)
	for sku := range has {
		if _, ok := had[sku]; !ok {
			if pool := p.Pools[sku]; pool != nil {
				pool.Consumed++
			}
		}
	}
	for sku := range had {
		if _, ok := has[sku]; !ok {
			if pool := p.Pools[sku]; pool != nil && pool.Consumed > 0 {
				pool.Consumed--
			}
		}
	}
}

// merge unions sets of licenses into one entry per SKU, in order of first appearance; a plan
// stays disabled only when every source of the SKU disables it.
func merge(sets ...[]catalog.Assigned) []catalog.Assigned {
	idx := map[string]int{}
	var out []catalog.Assigned
	for _, set := range sets {
		for _, a := range set {
			if i, ok := idx[a.SKU]; ok {
				out[i].DisabledPlans = slices.DeleteFunc(out[i].DisabledPlans, func(p string) bool { return !slices.Contains(a.DisabledPlans, p) })
				continue
			}
			idx[a.SKU] = len(out)
			out = append(out, catalog.Assigned{SKU: a.SKU, DisabledPlans: normalizePlans(a.DisabledPlans)})
		}
	}
	return out
}

// diff is the change that turns before into after: SKUs added or whose disabled plans change,
// and SKUs removed.
func diff(before, after []catalog.Assigned) catalog.Change {
	var ch catalog.Change
	had, has := bySKU(before), bySKU(after)
	for _, a := range after {
		o, ok := had[a.SKU]
		if !ok || !slices.Equal(normalizePlans(o.DisabledPlans), normalizePlans(a.DisabledPlans)) {
			ch.Add = append(ch.Add, a)
		}
	}
	for _, a := range before {
		if _, ok := has[a.SKU]; !ok {
			ch.Remove = append(ch.Remove, a.SKU)
		}
	}
	return ch
}

func bySKU(set []catalog.Assigned) map[string]catalog.Assigned {
	m := make(map[string]catalog.Assigned, len(set))
	for _, a := range set {
		m[a.SKU] = a
	}
	return m
}

func failed(err *licet.Error) Decision {
	return Decision{Result: licet.AssignResult{Outcome: licet.OutcomeFailed, Error: err}}
}

// countViolation says that an SKU has no unit left, and how many to buy.
func (p *Planner) countViolation(sku string, pool *Pool) catalog.Violation {
	label := sku
	if s, ok := p.Catalog.SKU(sku); ok {
		label = s.Label()
	}
	enabled, consumed := 0, 0
	if pool != nil {
		enabled, consumed = pool.Enabled, pool.Consumed
	}
	need := consumed + 1 - enabled
	return catalog.Violation{
		Code: licet.CodeCountViolation, SKU: sku,
		Message: fmt.Sprintf("no units of %s are left: %d of %d enabled units are assigned", label, consumed, enabled),
		WayOut:  fmt.Sprintf("buy %d more unit(s) of %s (licet subscription set-quantity or buy), or remove it from a user who does not need it", need, sku),
	}
}

// ViolationError turns rule violations into one error: the first violation's code, every
// violation's message, and the violations (code, rule, SKU, plan, message, way out, source) in
// the details.
func ViolationError(vs []catalog.Violation) *licet.Error {
	msgs := make([]string, 0, len(vs))
	details := make([]map[string]string, 0, len(vs))
	for _, v := range vs {
		msg := v.Message
		if v.WayOut != "" {
			msg += " — " + v.WayOut
		}
		msgs = append(msgs, msg)
		d := map[string]string{"code": v.Code, "message": v.Message}
		for k, s := range map[string]string{"rule": v.Rule, "skuPartNumber": v.SKU, "plan": v.Plan, "wayOut": v.WayOut, "source": v.Source} {
			if s != "" {
				d[k] = s
			}
		}
		details = append(details, d)
	}
	e := licet.Errorf(vs[0].Code, "%s", strings.Join(msgs, "; ")).With("violations", details)
	if vs[0].SKU != "" {
		e = e.With("skuPartNumber", vs[0].SKU)
	}
	if vs[0].Rule != "" {
		e = e.With("rule", vs[0].Rule)
	}
	return e
}

// normalizePlans sorts plan ids and drops duplicates and blanks.
func normalizePlans(plans []string) []string {
	out := make([]string, 0, len(plans))
	for _, p := range plans {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// joinPlans is the stored form of disabled plans.
func joinPlans(plans []string) string { return strings.Join(normalizePlans(plans), ",") }

// splitPlans reads the stored form of disabled plans.
func splitPlans(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// ToChange turns an API license change into the catalog's form, with disabled plans normalized.
func ToChange(c licet.LicenseChange) catalog.Change {
	var ch catalog.Change
	for _, a := range c.AddLicenses {
		ch.Add = append(ch.Add, catalog.Assigned{SKU: strings.TrimSpace(a.SKU), DisabledPlans: normalizePlans(a.DisabledPlans)})
	}
	for _, r := range c.RemoveLicenses {
		ch.Remove = append(ch.Remove, strings.TrimSpace(r))
	}
	return ch
}
