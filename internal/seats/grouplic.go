package seats

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/store"
)

// groupTx is the state of one group licensing transaction: the tenant, the group, its licenses,
// and a planner over the tenant's pools, locked.
type groupTx struct {
	s     *Service
	tx    *store.Tx
	cat   *catalog.Catalog
	t     licet.Tenant
	g     licet.Group
	set   []catalog.Assigned // the group's licenses
	pl    *Planner
	start map[string]int // the pools' consumed units when the transaction began
	now   int64
}

// beginGroup reads the tenant and the group and locks the tenant's pools, so that group
// licensing is decided one transaction at a time per tenant, like direct assignment.
func (s *Service) beginGroup(ctx context.Context, tx *store.Tx, cat *catalog.Catalog, tenant, group string) (*groupTx, error) {
	t, err := lookup(ctx, tx, tenant)
	if err != nil {
		return nil, err
	}
	g, err := groupByName(ctx, tx, t, group)
	if err != nil {
		return nil, err
	}
	pools, err := lockPools(ctx, tx, t.ID)
	if err != nil {
		return nil, err
	}
	set, err := groupLicenses(ctx, tx, g.ID)
	if err != nil {
		return nil, err
	}
	return &groupTx{s: s, tx: tx, cat: cat, t: t, g: g, set: set, now: s.now(), start: consumedFrom(pools),
		pl: &Planner{Catalog: cat, Org: org(t), Tenant: t.Slug, Purchased: sortedKeys(pools), Pools: pools}}, nil
}

// groupLicenses reads the SKUs assigned to a group, by SKU.
func groupLicenses(ctx context.Context, tx *store.Tx, groupID int64) ([]catalog.Assigned, error) {
	rows, err := tx.Query(ctx, `SELECT sku, disabled_plans FROM group_licenses WHERE group_id = ? ORDER BY sku`, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Assigned
	for rows.Next() {
		var a catalog.Assigned
		var disabled string
		if err := rows.Scan(&a.SKU, &disabled); err != nil {
			return nil, err
		}
		a.DisabledPlans = splitPlans(disabled)
		out = append(out, a)
	}
	return out, rows.Err()
}

// AssignGroupLicense changes a group's SKUs and applies them to every member.
func (s *Service) AssignGroupLicense(ctx context.Context, tenant, group string, c licet.LicenseChange) (*licet.GroupLicenseResult, error) {
	cat, err := s.catalog()
	if err != nil {
		return nil, err
	}
	change := ToChange(c)
	if err := checkChange(cat, change); err != nil {
		return nil, err
	}
	var out *licet.GroupLicenseResult
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		gt, err := s.beginGroup(ctx, tx, cat, tenant, group)
		if err != nil {
			return err
		}
		set := applyToGroup(gt.set, change)
		if err := gt.checkSet(set); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM group_licenses WHERE group_id = ?`, gt.g.ID); err != nil {
			return err
		}
		for _, a := range set {
			if _, err := tx.Exec(ctx, `INSERT INTO group_licenses (group_id, sku, disabled_plans, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				gt.g.ID, a.SKU, joinPlans(a.DisabledPlans), gt.now, gt.now); err != nil {
				return err
			}
		}
		old := gt.set
		gt.set = set
		out, err = gt.apply(ctx, nil, "group.license", describeSets(old, set))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReprocessGroup applies a group's SKUs again to every member.
func (s *Service) ReprocessGroup(ctx context.Context, tenant, group string) (*licet.GroupLicenseResult, error) {
	cat, err := s.catalog()
	if err != nil {
		return nil, err
	}
	var out *licet.GroupLicenseResult
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		gt, err := s.beginGroup(ctx, tx, cat, tenant, group)
		if err != nil {
			return err
		}
		out, err = gt.apply(ctx, nil, "group.reprocess", "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyToGroup applies a change to a group's licenses, in SKU order.
func applyToGroup(set []catalog.Assigned, change catalog.Change) []catalog.Assigned {
	out := slices.DeleteFunc(slices.Clone(set), func(a catalog.Assigned) bool { return slices.Contains(change.Remove, a.SKU) })
	for _, a := range change.Add {
		a = catalog.Assigned{SKU: a.SKU, DisabledPlans: normalizePlans(a.DisabledPlans)}
		if i := slices.IndexFunc(out, func(o catalog.Assigned) bool { return o.SKU == a.SKU }); i >= 0 {
			out[i] = a
		} else {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b catalog.Assigned) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

// describeSets is the audit line of a change of a group's SKUs: "+ADDED -REMOVED".
func describeSets(before, after []catalog.Assigned) string {
	ch := diff(before, after)
	var parts []string
	for _, a := range ch.Add {
		parts = append(parts, "+"+a.SKU)
	}
	for _, r := range ch.Remove {
		parts = append(parts, "-"+r)
	}
	return strings.Join(parts, " ")
}

// checkSet refuses a set of group licenses that no member could hold: unknown or unbought SKUs,
// plans that conflict within the group, and an SKU whose prerequisite the group lacks (a group
// must carry the prerequisites of its SKUs itself, so that its members never depend on
// licenses from elsewhere for it).
func (gt *groupTx) checkSet(set []catalog.Assigned) error {
	if len(set) == 0 {
		return nil
	}
	_, found := gt.cat.CheckAssignment(gt.pl.Org, gt.pl.Purchased, catalog.User{Kind: string(licet.UserPerson)}, nil, catalog.Change{Add: set})
	var vs []catalog.Violation
	for _, v := range found {
		if licet.CodeScope(v.Code) == licet.ScopeMember {
			continue // about a member, not the group: decided per member
		}
		switch v.Code {
		case licet.CodeDependencyViolation:
			v.Message = fmt.Sprintf("in group %s: %s", gt.g.Name, v.Message)
			v.WayOut = gt.prerequisiteWayOut(v, set)
		}
		vs = append(vs, v)
	}
	if len(vs) > 0 {
		return ViolationError(vs).With("group", gt.g.Name)
	}
	return nil
}

// prerequisiteWayOut names the command that adds a missing prerequisite to the group: the first
// SKU the tenant owns (or else the catalog's first) that provides each plan of the rule's first
// alternative.
func (gt *groupTx) prerequisiteWayOut(v catalog.Violation, set []catalog.Assigned) string {
	var anyOf [][]string
	for _, d := range gt.cat.Rules().Dependencies {
		if d.ID == v.Rule {
			anyOf = d.AnyOf
		}
	}
	if len(anyOf) == 0 {
		return "add the SKU that provides it to the group as well: " + v.WayOut
	}
	var add []string
	for _, plan := range anyOf[0] {
		var pick string
		for _, sku := range gt.cat.SKUsWithPlan(plan) {
			if pick == "" || (slices.Contains(gt.pl.Purchased, sku.Part) && !slices.Contains(gt.pl.Purchased, pick)) {
				pick = sku.Part
			}
		}
		if pick != "" && !slices.Contains(add, pick) {
			add = append(add, pick)
		}
	}
	return fmt.Sprintf("a group must carry the prerequisites of its SKUs: add one to the group as well, e.g. licet group assign --tenant %s %s --add %s",
		gt.t.Slug, shellWord(gt.g.Name), strings.Join(add, ","))
}

// shellWord quotes a word for a command line when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"$`\\!*?&;|<>()[]{}#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// memberChange is how one member's rows of the group change.
type memberChange struct {
	h     *Holder
	state licet.LicenseState // StateActive or StateError; "" when the group has no licenses
	err   *licet.Error
}

// apply applies the group's licenses to members (all of them when nil), writes what changed,
// the pools and the audit record, and returns the group with every member's state.
func (gt *groupTx) apply(ctx context.Context, members []*Holder, action, what string) (*licet.GroupLicenseResult, error) {
	if members == nil {
		var err error
		if members, err = groupMembers(ctx, gt.tx, gt.g.ID); err != nil {
			return nil, err
		}
	}
	var changes []memberChange
	bridge := map[int64]int{}
	var errs []string
	for _, h := range members {
		d := gt.pl.DecideGroup(*h, gt.g.ID, gt.set)
		if d.Blocked != nil {
			e := licet.Errorf(d.Blocked.Code, "%s: %s", h.UPN, d.Blocked.Message)
			for k, v := range d.Blocked.Details {
				e = e.With(k, v)
			}
			return nil, e.With("userPrincipalName", h.UPN).With("group", gt.g.Name)
		}
		c := memberChange{h: h}
		switch {
		case d.Active:
			c.state = licet.StateActive
		case d.Error != nil:
			c.state, c.err = licet.StateError, d.Error
			errs = append(errs, h.UPN+" "+d.Error.Code)
		}
		if d.Bridge != 0 {
			bridge[h.UserID] = d.Bridge
		}
		if gt.changes(h, c) {
			changes = append(changes, c)
		}
	}
	if err := gt.write(ctx, changes); err != nil {
		return nil, err
	}
	if err := setBridges(ctx, gt.tx, bridge); err != nil {
		return nil, err
	}
	if _, err := savePools(ctx, gt.tx, gt.t.ID, gt.pl.Pools, gt.start); err != nil {
		return nil, err
	}
	if len(changes) > 0 || what != "" {
		after := fmt.Sprintf("%d members changed, %d in error", len(changes), len(errs))
		if what != "" {
			after = what + "; " + after
		}
		if err := audit.Write(ctx, gt.tx, gt.now, audit.Record{TenantID: gt.t.ID, Action: action, Object: "group:" + gt.g.Name,
			After: after, Details: strings.Join(errs, "\n")}); err != nil {
			return nil, err
		}
	}
	if err := poolEvents(ctx, gt.tx, gt.t.ID, gt.now, gt.pl.Pools, gt.start); err != nil {
		return nil, err
	}
	if newErrors := slices.ContainsFunc(changes, func(c memberChange) bool { return c.state == licet.StateError }); newErrors {
		ev := GroupErrorsEvent{Group: gt.g.Name, MembersInError: len(errs), Members: errs[:min(len(errs), 20)]}
		if _, err := outbox.Emit(ctx, gt.tx, gt.now, outbox.Record{TenantID: gt.t.ID, Type: licet.EventGroupMembersInError, Object: ev}); err != nil {
			return nil, err
		}
	}
	g, err := groupByName(ctx, gt.tx, gt.t, gt.g.Name)
	if err != nil {
		return nil, err
	}
	res := &licet.GroupLicenseResult{Group: g, Seats: []licet.SeatChange{}}
	for _, m := range g.MemberStates {
		switch m.State {
		case licet.StateActive:
			res.Active++
		case licet.StateError:
			res.Errors++
		}
	}
	for _, a := range gt.set {
		if p := gt.pl.Pools[a.SKU]; p != nil {
			res.Seats = append(res.Seats, licet.SeatChange{SKU: a.SKU, Delta: p.Consumed - gt.start[a.SKU], Consumed: p.Consumed, Enabled: p.Enabled, Unlimited: p.Unlimited})
		}
	}
	return res, nil
}

// changes reports whether the member's stored rows of the group differ from what c says.
func (gt *groupTx) changes(h *Holder, c memberChange) bool {
	var cur *Inherited
	for i := range h.Inherited {
		if h.Inherited[i].Group == gt.g.ID {
			cur = &h.Inherited[i]
		}
	}
	if cur == nil {
		return len(gt.set) > 0
	}
	if len(gt.set) == 0 || len(cur.Licenses) != len(gt.set) || cur.Active != (c.state == licet.StateActive) {
		return true
	}
	if c.err != nil && (cur.Code != c.err.Code || cur.Message != c.err.Message) {
		return true
	}
	have := bySKU(cur.Licenses)
	for _, a := range gt.set {
		o, ok := have[a.SKU]
		if !ok || joinPlans(o.DisabledPlans) != joinPlans(a.DisabledPlans) {
			return true
		}
	}
	return false
}

// write replaces the group's rows of the changed members.
func (gt *groupTx) write(ctx context.Context, changes []memberChange) error {
	return chunks(changes, max(1, inRows/max(1, len(gt.set))), func(part []memberChange) error {
		ids := make([]int64, len(part))
		for i, c := range part {
			ids[i] = c.h.UserID
		}
		in, inArgs := oneOf(gt.tx, "user_id", ids)
		if _, err := gt.tx.Exec(ctx, `DELETE FROM assignments WHERE group_id = ? AND `+in, append([]any{gt.g.ID}, inArgs...)...); err != nil {
			return err
		}
		var args []any
		n := 0
		for _, c := range part {
			if c.state == "" {
				continue
			}
			code, msg := "", ""
			if c.err != nil {
				code, msg = c.err.Code, c.err.Message
			}
			for _, a := range gt.set {
				args = append(args, gt.t.ID, c.h.UserID, a.SKU, joinPlans(a.DisabledPlans), gt.g.ID, c.state, code, msg, gt.now, gt.now)
				n++
			}
		}
		if n == 0 {
			return nil
		}
		_, err := gt.tx.Exec(ctx, `INSERT INTO assignments (tenant_id, user_id, sku, disabled_plans, group_id, state, error_code, error_message, created_at, updated_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", n), ", "), args...)
		return err
	})
}

// groupMembers reads a group's members with their licenses, in UPN order.
func groupMembers(ctx context.Context, tx *store.Tx, groupID int64) ([]*Holder, error) {
	rows, err := tx.Query(ctx, `SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id`, groupID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return holdersByID(ctx, tx, ids)
}
