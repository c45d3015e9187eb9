package seats

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/listfile"
	"github.com/licet/licet/internal/store"
)

// errDryRun rolls back the transaction of a dry run once its decisions are made.
var errDryRun = errors.New("dry run: roll back")

// inRows is how many values one IN list or multi-row INSERT of a batch carries.
const inRows = 500

// AssignLicense applies a change to one user atomically: Graph's assignLicense.
func (s *Service) AssignLicense(ctx context.Context, tenant, upn string, c licet.LicenseChange) (*licet.User, error) {
	res, err := s.AssignBatch(ctx, tenant, licet.BatchAssignment{Users: []string{upn}, LicenseChange: c})
	if err != nil {
		return nil, err
	}
	if e := res.Results[0].Error; e != nil {
		return nil, e
	}
	return s.User(ctx, tenant, upn)
}

// checkChange refuses, for the whole request, a change that no user could take: an unknown SKU,
// a disabled plan the SKU does not include, an SKU both added and removed: the codes the registry
// gives the batch scope.
func checkChange(cat *catalog.Catalog, change catalog.Change) error {
	if len(change.Add) == 0 && len(change.Remove) == 0 {
		return licet.Errorf(licet.EInvalid, "give licenses to add or SKUs to remove")
	}
	var all []string
	for _, s := range cat.SKUs() {
		all = append(all, s.Part)
	}
	var vs []catalog.Violation
	for _, r := range change.Remove {
		if _, ok := cat.SKU(r); !ok {
			vs = append(vs, catalog.Violation{Code: licet.CodeUnknownSKU, SKU: r, Message: fmt.Sprintf("unknown SKU %q", r),
				WayOut: "choose an SKU from the catalog (licet catalog show)"})
		}
	}
	_, found := cat.CheckAssignment(catalog.Org{}, all, catalog.User{UsageLocation: "US"}, nil, change)
	for _, v := range found {
		if licet.CodeScope(v.Code) == licet.ScopeBatch {
			vs = append(vs, v)
		}
	}
	if len(vs) > 0 {
		return ViolationError(vs)
	}
	return nil
}

// AssignBatch applies one change to many users. Users are handled in chunks, one transaction per
// chunk; within a chunk each user's change is decided on its own (atomic per user) against the
// units left, and the accepted ones are written together with the pools' new consumed counts.
func (s *Service) AssignBatch(ctx context.Context, tenant string, b licet.BatchAssignment) (*licet.BatchResult, error) {
	cat, err := s.catalog()
	if err != nil {
		return nil, err
	}
	if len(b.Users) == 0 {
		return nil, licet.Errorf(licet.EInvalid, "no users given").With("field", "users")
	}
	if len(b.Users) > MaxBatch {
		return nil, licet.Errorf(licet.EInvalid, "%d users in one request is over the limit of %d: split the list", len(b.Users), MaxBatch).With("field", "users")
	}
	change := ToChange(b.LicenseChange)
	if err := checkChange(cat, change); err != nil {
		return nil, err
	}
	out := &licet.BatchResult{DryRun: b.DryRun, Results: make([]licet.AssignResult, len(b.Users))}
	var todo []int
	upns := make([]string, len(b.Users))
	seen := map[string]int{}
	for i, raw := range b.Users {
		out.Results[i].UPN = raw
		upn, err := listfile.NormalizeUPN(raw)
		if err != nil {
			out.Results[i].Outcome, out.Results[i].Error = licet.OutcomeFailed, licet.AsError(err)
			continue
		}
		if first, dup := seen[upn]; dup {
			out.Results[i].Outcome = licet.OutcomeFailed
			out.Results[i].Error = licet.Errorf(licet.EInvalid, "%s is listed twice (first at entry %d); it was handled once", upn, first+1)
			continue
		}
		seen[upn] = i
		upns[i], out.Results[i].UPN = upn, upn
		todo = append(todo, i)
	}
	seats := map[string]*licet.SeatChange{}
	for _, a := range change.Add {
		seats[a.SKU] = &licet.SeatChange{SKU: a.SKU}
	}
	for _, r := range change.Remove {
		seats[r] = &licet.SeatChange{SKU: r}
	}
	carry := map[string]int{} // consumption decided by earlier chunks of a dry run
	err = chunks(todo, s.chunk(), func(part []int) error {
		var res []licet.AssignResult
		var pools map[string]*Pool
		var delta map[string]int
		names := make([]string, len(part))
		for j, i := range part {
			names[j] = upns[i]
		}
		err := s.DB.Write(ctx, func(tx *store.Tx) (err error) {
			res, pools, delta, err = s.assignChunk(ctx, tx, cat, tenant, names, change, carry, b.DryRun)
			if err == nil && b.DryRun {
				return errDryRun
			}
			return err
		})
		switch {
		case err == nil || errors.Is(err, errDryRun):
		case ctx.Err() != nil || licet.ErrorCode(err) == licet.ENotFound:
			return err
		default:
			// The chunk failed as a whole (the database, not a rule): report its users and go on.
			e := licet.AsError(err)
			for _, i := range part {
				out.Results[i].Outcome, out.Results[i].Error = licet.OutcomeFailed, e
			}
			return nil
		}
		for j, i := range part {
			out.Results[i] = res[j]
		}
		for sku, sc := range seats {
			sc.Delta += delta[sku]
			if p := pools[sku]; p != nil {
				sc.Consumed, sc.Enabled, sc.Unlimited = p.Consumed, p.Enabled, p.Unlimited
			}
			if b.DryRun {
				carry[sku] += delta[sku]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, sku := range sortedKeys(seats) {
		out.Seats = append(out.Seats, *seats[sku])
	}
	return out, nil
}

// assignChunk decides and writes the change for the users of one chunk, inside tx. It returns
// the users' results (in the order of upns), the pools after the chunk and the change of consumed
// units per SKU.
func (s *Service) assignChunk(ctx context.Context, tx *store.Tx, cat *catalog.Catalog, tenant string, upns []string, change catalog.Change,
	carry map[string]int, dry bool) ([]licet.AssignResult, map[string]*Pool, map[string]int, error) {
	now := s.now()
	t, err := lookup(ctx, tx, tenant)
	if err != nil {
		return nil, nil, nil, err
	}
	pools, err := lockPools(ctx, tx, t.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	if dry {
		for sku, p := range pools {
			p.Consumed += carry[sku]
		}
	}
	start := consumedFrom(pools)
	holders, err := loadHolders(ctx, tx, t, upns)
	if err != nil {
		return nil, nil, nil, err
	}
	pl := &Planner{Catalog: cat, Org: org(t), Tenant: t.Slug, Purchased: sortedKeys(pools), Pools: pools}
	w := &writes{}
	results := make([]licet.AssignResult, len(upns))
	var log []string
	for i, upn := range upns {
		h, ok := holders[upn]
		if !ok {
			results[i] = licet.AssignResult{UPN: upn, Outcome: licet.OutcomeFailed,
				Error: licet.Errorf(licet.ENotFound, "user %s not found in tenant %s (create it with licet user create or import)", upn, t.Slug).With("userPrincipalName", upn)}
			continue
		}
		d := pl.Decide(*h, change)
		d.Result.UPN = upn
		results[i] = d.Result
		if w.add(h.UserID, d) {
			log = append(log, describeChange(d.Result))
		}
	}
	if dry || len(log) == 0 {
		delta := map[string]int{}
		for sku, p := range pools {
			if d := p.Consumed - start[sku]; d != 0 {
				delta[sku] = d
			}
		}
		return results, pools, delta, nil
	}
	if err := w.apply(ctx, tx, t.ID, now); err != nil {
		return nil, nil, nil, err
	}
	delta, err := savePools(ctx, tx, t.ID, pools, start)
	if err != nil {
		return nil, nil, nil, err
	}
	object := "tenant:" + t.Slug
	if len(upns) == 1 {
		object = "user:" + upns[0]
	}
	err = audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "license.assign", Object: object,
		After: fmt.Sprintf("%d users changed", len(log)), Details: strings.Join(log, "\n")})
	if err != nil {
		return nil, nil, nil, err
	}
	return results, pools, delta, poolEvents(ctx, tx, t.ID, now, pools, start)
}

// describeChange is a user's line in the audit details: "upn +ADDED ~UPDATED -REMOVED".
func describeChange(r licet.AssignResult) string {
	parts := []string{r.UPN}
	for _, l := range []struct {
		sign string
		skus []string
	}{{"+", r.Added}, {"~", r.Updated}, {"-", r.Removed}} {
		if len(l.skus) > 0 {
			parts = append(parts, l.sign+strings.Join(l.skus, ","))
		}
	}
	return strings.Join(parts, " ")
}

// lockPools reads every pool of the tenant in SKU order, locking them on PostgreSQL, so that
// assignments of one tenant are decided one transaction at a time on any number of servers.
func lockPools(ctx context.Context, tx *store.Tx, tenantID int64) (map[string]*Pool, error) {
	rows, err := tx.Query(ctx, `SELECT sku, enabled, consumed, unlimited FROM seat_pools WHERE tenant_id = ? ORDER BY sku`+tx.ForUpdate(), tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pools := map[string]*Pool{}
	for rows.Next() {
		p := &Pool{}
		var unlimited int
		if err := rows.Scan(&p.SKU, &p.Enabled, &p.Consumed, &unlimited); err != nil {
			return nil, err
		}
		p.Unlimited = unlimited == 1
		pools[p.SKU] = p
	}
	return pools, rows.Err()
}

// holderColumns are the columns of users a Holder needs.
const holderColumns = `id, upn, usage_location, kind, onprem_pstn`

func scanHolder(rows store.Scanner) (*Holder, error) {
	h := &Holder{}
	var onprem int
	err := rows.Scan(&h.UserID, &h.UPN, &h.User.UsageLocation, &h.User.Kind, &onprem)
	h.User.OnPremisesPSTN = onprem == 1
	return h, err
}

// loadHolders reads the users named by upns with their licenses and numbers, by UPN.
func loadHolders(ctx context.Context, tx *store.Tx, t licet.Tenant, upns []string) (map[string]*Holder, error) {
	holders := make(map[string]*Holder, len(upns))
	byID := make(map[int64]*Holder, len(upns))
	err := chunks(upns, inRows, func(part []string) error {
		in, args := oneOf(tx, "upn", part)
		hs, err := store.Collect(ctx, tx, scanHolder, `SELECT `+holderColumns+` FROM users WHERE tenant_id = ? AND `+in, append([]any{t.ID}, args...)...)
		for _, h := range hs {
			holders[h.UPN], byID[h.UserID] = h, h
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return holders, loadLicenses(ctx, tx, byID)
}

// holdersByID reads users by id with their licenses and numbers, in UPN order.
func holdersByID(ctx context.Context, tx *store.Tx, ids []int64) ([]*Holder, error) {
	byID := make(map[int64]*Holder, len(ids))
	err := chunks(ids, inRows, func(part []int64) error {
		in, args := oneOf(tx, "id", part)
		hs, err := store.Collect(ctx, tx, scanHolder, `SELECT `+holderColumns+` FROM users WHERE `+in, args...)
		for _, h := range hs {
			byID[h.UserID] = h
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := loadLicenses(ctx, tx, byID); err != nil {
		return nil, err
	}
	out := make([]*Holder, 0, len(byID))
	for _, h := range byID {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b *Holder) int { return strings.Compare(a.UPN, b.UPN) })
	return out, nil
}

// loadLicenses fills the holders' direct and inherited licenses and phone numbers.
func loadLicenses(ctx context.Context, tx *store.Tx, byID map[int64]*Holder) error {
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return chunks(ids, inRows, func(part []int64) error {
		in, args := oneOf(tx, "a.user_id", part)
		rows, err := tx.Query(ctx, `SELECT a.user_id, a.sku, a.disabled_plans, COALESCE(a.group_id, 0), COALESCE(g.name, ''), a.state, a.error_code, a.error_message
			FROM assignments a LEFT JOIN user_groups g ON g.id = a.group_id WHERE `+in+` ORDER BY a.id`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, group int64
			var a catalog.Assigned
			var disabled, name, code, msg string
			var state licet.LicenseState
			if err := rows.Scan(&id, &a.SKU, &disabled, &group, &name, &state, &code, &msg); err != nil {
				rows.Close()
				return err
			}
			a.DisabledPlans = splitPlans(disabled)
			h := byID[id]
			if group == 0 {
				h.Current = append(h.Current, a)
				continue
			}
			i := slices.IndexFunc(h.Inherited, func(in Inherited) bool { return in.Group == group })
			if i < 0 {
				i = len(h.Inherited)
				h.Inherited = append(h.Inherited, Inherited{Group: group, Name: name, Active: state == licet.StateActive, Code: code, Message: msg})
			}
			h.Inherited[i].Licenses = append(h.Inherited[i].Licenses, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		in, args = oneOf(tx, "user_id", part)
		rows, err = tx.Query(ctx, `SELECT user_id, number FROM phone_numbers WHERE `+in, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var number string
			if err := rows.Scan(&id, &number); err != nil {
				return err
			}
			byID[id].Number = number
		}
		return rows.Err()
	})
}

// savePools writes the pools' consumed units where they moved from start, under the pools'
// locks taken by lockPools; the conditional UPDATE refuses to go over the enabled units.
func savePools(ctx context.Context, tx *store.Tx, tenantID int64, pools map[string]*Pool, start map[string]int) (map[string]int, error) {
	delta := map[string]int{}
	for sku, p := range pools {
		if d := p.Consumed - start[sku]; d != 0 {
			delta[sku] = d
		}
	}
	for _, sku := range sortedKeys(delta) {
		d := delta[sku]
		n, err := tx.Exec(ctx, `UPDATE seat_pools SET consumed = consumed + ? WHERE tenant_id = ? AND sku = ? AND (? <= 0 OR unlimited = 1 OR consumed + ? <= enabled)`,
			d, tenantID, sku, d, d)
		if err != nil {
			return nil, err
		}
		if n != 1 {
			return nil, fmt.Errorf("seat pool %s of tenant %d changed under its lock", sku, tenantID)
		}
	}
	return delta, nil
}

// consumedFrom records the pools' consumed units, to compute what a transaction moved.
func consumedFrom(pools map[string]*Pool) map[string]int {
	start := make(map[string]int, len(pools))
	for sku, p := range pools {
		start[sku] = p.Consumed
	}
	return start
}

// setBridges switches the audio conferencing provider of users who got Audio Conferencing to
// the operator's bridge (whatever they had, as seed 002 says), and clears it for users who lost
// it while on the operator's bridge.
func setBridges(ctx context.Context, tx *store.Tx, bridge map[int64]int) error {
	var gain, lose []int64
	for id, b := range bridge {
		switch {
		case b > 0:
			gain = append(gain, id)
		case b < 0:
			lose = append(lose, id)
		}
	}
	slices.Sort(gain)
	slices.Sort(lose)
	for _, l := range []struct {
		ids []int64
		q   string
	}{
		{gain, `UPDATE users SET conferencing_provider = 'operator' WHERE `},
		{lose, `UPDATE users SET conferencing_provider = '' WHERE conferencing_provider = 'operator' AND `},
	} {
		err := chunks(l.ids, inRows, func(part []int64) error {
			in, args := oneOf(tx, "id", part)
			_, err := tx.Exec(ctx, l.q+in, args...)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// row is one license of one user to write.
type row struct {
	user int64
	a    catalog.Assigned
}

// writes collects the accepted decisions of a chunk, to write them in few statements.
type writes struct {
	insert, update []row
	remove         map[string][]int64 // SKU → users
	bridge         map[int64]int      // user → Decision.Bridge
}

// add records a decision's rows and reports whether it changes anything.
func (w *writes) add(user int64, d Decision) bool {
	for _, a := range d.Insert {
		w.insert = append(w.insert, row{user, a})
	}
	for _, a := range d.Update {
		w.update = append(w.update, row{user, a})
	}
	for _, sku := range d.Delete {
		if w.remove == nil {
			w.remove = map[string][]int64{}
		}
		w.remove[sku] = append(w.remove[sku], user)
	}
	if d.Bridge != 0 {
		if w.bridge == nil {
			w.bridge = map[int64]int{}
		}
		w.bridge[user] = d.Bridge
	}
	return len(d.Insert)+len(d.Update)+len(d.Delete) > 0
}

func (w *writes) apply(ctx context.Context, tx *store.Tx, tenantID, now int64) error {
	err := chunks(w.insert, inRows, func(part []row) error {
		args := make([]any, 0, 6*len(part))
		for _, r := range part {
			args = append(args, tenantID, r.user, r.a.SKU, joinPlans(r.a.DisabledPlans), now, now)
		}
		_, err := tx.Exec(ctx, `INSERT INTO assignments (tenant_id, user_id, sku, disabled_plans, created_at, updated_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", len(part)), ", "), args...)
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range w.update {
		if _, err := tx.Exec(ctx, `UPDATE assignments SET disabled_plans = ?, updated_at = ? WHERE user_id = ? AND sku = ? AND group_id IS NULL`,
			joinPlans(r.a.DisabledPlans), now, r.user, r.a.SKU); err != nil {
			return err
		}
	}
	for _, sku := range sortedKeys(w.remove) {
		err := chunks(w.remove[sku], inRows, func(part []int64) error {
			in, args := oneOf(tx, "user_id", part)
			_, err := tx.Exec(ctx, `DELETE FROM assignments WHERE group_id IS NULL AND sku = ? AND `+in, append([]any{sku}, args...)...)
			return err
		})
		if err != nil {
			return err
		}
	}
	return setBridges(ctx, tx, w.bridge)
}
