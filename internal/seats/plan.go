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

// Holder is a user about to be changed: its attributes as the rules see them and the licenses it
// holds directly.
type Holder struct {
	UserID  int64
	User    catalog.User
	Current []catalog.Assigned
}

// Decision is what the planner decided for one user: the outcome, and the rows to write when the
// change is accepted (none when it is refused or changes nothing).
type Decision struct {
	Result licet.AssignResult
	Insert []catalog.Assigned // new direct licenses
	Update []catalog.Assigned // direct licenses whose disabled plans change
	Delete []string           // SKUs of direct licenses to remove
}

// Planner decides, user by user, what a license change does. It holds the units of every SKU of
// the tenant and consumes them as it accepts changes, so a batch never hands out more units than
// are enabled. It is pure; the caller loads its inputs and writes its decisions in one transaction.
type Planner struct {
	Catalog   *catalog.Catalog
	Org       catalog.Org
	Purchased []string         // SKUs the tenant has a subscription for
	Pools     map[string]*Pool // by SKU; consumed is updated by Decide
}

// Decide applies change to h atomically: either every part of it is accepted (and the pools'
// consumed units change) or none is and the result carries the error.
func (p *Planner) Decide(h Holder, change catalog.Change) Decision {
	result, vs := p.Catalog.CheckAssignment(p.Org, p.Purchased, h.User, h.Current, change)
	if len(vs) > 0 {
		return failed(ViolationError(vs))
	}
	var d Decision
	before := make(map[string]catalog.Assigned, len(h.Current))
	for _, a := range h.Current {
		before[a.SKU] = a
	}
	after := make(map[string]bool, len(result))
	for _, a := range result {
		after[a.SKU] = true
		old, had := before[a.SKU]
		switch {
		case !had:
			d.Insert = append(d.Insert, a)
		case !slices.Equal(normalizePlans(old.DisabledPlans), normalizePlans(a.DisabledPlans)):
			d.Update = append(d.Update, a)
		}
	}
	for _, a := range h.Current {
		if !after[a.SKU] {
			d.Delete = append(d.Delete, a.SKU)
		}
	}
	var short []catalog.Violation
	for _, a := range d.Insert {
		pool := p.Pools[a.SKU]
		if pool == nil || (!pool.Unlimited && pool.Consumed+1 > pool.Enabled) {
			short = append(short, p.countViolation(a.SKU, pool))
		}
	}
	if len(short) > 0 {
		return failed(ViolationError(short))
	}
	for _, a := range d.Insert {
		p.Pools[a.SKU].Consumed++
		d.Result.Added = append(d.Result.Added, a.SKU)
	}
	for _, a := range d.Update {
		d.Result.Updated = append(d.Result.Updated, a.SKU)
	}
	for _, sku := range d.Delete {
		if pool := p.Pools[sku]; pool != nil && pool.Consumed > 0 {
			pool.Consumed--
		}
		d.Result.Removed = append(d.Result.Removed, sku)
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
		for k, s := range map[string]string{"rule": v.Rule, "sku": v.SKU, "plan": v.Plan, "way_out": v.WayOut, "source": v.Source} {
			if s != "" {
				d[k] = s
			}
		}
		details = append(details, d)
	}
	e := licet.Errorf(vs[0].Code, "%s", strings.Join(msgs, "; ")).With("violations", details)
	if vs[0].SKU != "" {
		e = e.With("sku", vs[0].SKU)
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
