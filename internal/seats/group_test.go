package seats_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// checkConsumed asserts the seat count's invariant: each pool's consumed units equal the number
// of distinct users holding the SKU actively, from any number of sources.
func checkConsumed(t *testing.T, f *fixture) {
	t.Helper()
	err := f.svc.DB.Read(f.ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(f.ctx, `SELECT p.sku, p.consumed, p.enabled, p.unlimited,
			(SELECT count(DISTINCT a.user_id) FROM assignments a WHERE a.tenant_id = p.tenant_id AND a.sku = p.sku AND a.state = 'Active')
			FROM seat_pools p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = ?`, f.tenant)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sku string
			var consumed, enabled, unlimited, holders int
			if err := rows.Scan(&sku, &consumed, &enabled, &unlimited, &holders); err != nil {
				return err
			}
			if consumed != holders {
				t.Errorf("%s: consumed = %d, want %d (distinct users holding it)", sku, consumed, holders)
			}
			if unlimited == 0 && consumed > enabled {
				t.Errorf("%s: consumed %d > enabled %d", sku, consumed, enabled)
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// group creates a group with members.
func (f *fixture) group(t *testing.T, name string, upns ...string) {
	t.Helper()
	if _, err := f.svc.CreateGroup(f.ctx, f.tenant, licet.Group{Name: name}); err != nil {
		t.Fatal(err)
	}
	if len(upns) > 0 {
		if _, err := f.svc.AddMembers(f.ctx, f.tenant, name, upns); err != nil {
			t.Fatal(err)
		}
	}
}

// states maps each member of a group to its state, with the error code when in Error.
func (f *fixture) states(t *testing.T, group string) map[string]string {
	t.Helper()
	g, err := f.svc.Group(f.ctx, f.tenant, group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range g.MemberStates {
		out[m.UPN] = string(m.State)
		if m.Error != nil {
			out[m.UPN] += " " + m.Error.Code
		}
	}
	return out
}

// license returns the user's license of sku from a source ("" for direct).
func (f *fixture) license(t *testing.T, upn, sku, group string) *licet.License {
	t.Helper()
	u, err := f.svc.User(f.ctx, f.tenant, upn)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range u.Licenses {
		if l.SKU == sku && l.AssignedByGroup == group {
			return &l
		}
	}
	return nil
}

func people(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user%02d@fabrikam.com", i+1)
	}
	return out
}

func (f *fixture) people(t *testing.T, upns []string) {
	t.Helper()
	for _, u := range upns {
		f.users(t, licet.User{UPN: u})
	}
}

func count(states map[string]string) map[string]int {
	out := map[string]int{}
	for _, s := range states {
		out[s]++
	}
	return out
}

// The scenario: 12 members, 10 units → 10 Active and 2 in Error with CountViolation;
// buy 2 more and reprocess → 12 Active; removing a member frees its unit.
func TestGroupLicensingCountAndReprocess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 10, "ENTERPRISEPACK")
		users := people(12)
		f.people(t, users)
		f.group(t, "Sales", users...)

		res, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "Sales", add("ENTERPRISEPACK"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Active != 10 || res.Errors != 2 {
			t.Errorf("after assigning to the group: %d active, %d errors; want 10 and 2", res.Active, res.Errors)
		}
		got := count(f.states(t, "Sales"))
		if want := map[string]int{"Active": 10, "Error CountViolation": 2}; !mapsEqual(got, want) {
			t.Errorf("member states = %v, want %v", got, want)
		}
		if c := f.consumed(t)["ENTERPRISEPACK"]; c != 10 {
			t.Errorf("consumed = %d, want 10", c)
		}
		failed := ""
		for upn, st := range f.states(t, "Sales") {
			if st != "Active" {
				failed = upn
			}
		}
		l := f.license(t, failed, "ENTERPRISEPACK", "Sales")
		if l == nil || l.State != licet.StateError || l.Error == nil || l.Error.Code != licet.CodeCountViolation || !strings.Contains(l.Error.Message, "buy 1 more") {
			t.Errorf("%s's license = %+v, want Error with CountViolation naming the way out", failed, l)
		}
		checkConsumed(t, f)

		f.buy(t, 2, "ENTERPRISEPACK")
		res, err = f.svc.ReprocessGroup(f.ctx, f.tenant, "Sales")
		if err != nil {
			t.Fatal(err)
		}
		if res.Active != 12 || res.Errors != 0 {
			t.Errorf("after reprocess: %d active, %d errors; want 12 and 0", res.Active, res.Errors)
		}
		if c := f.consumed(t)["ENTERPRISEPACK"]; c != 12 {
			t.Errorf("consumed after reprocess = %d, want 12", c)
		}
		checkConsumed(t, f)

		if err := f.svc.RemoveMember(f.ctx, f.tenant, "Sales", users[0]); err != nil {
			t.Fatal(err)
		}
		if c := f.consumed(t)["ENTERPRISEPACK"]; c != 11 {
			t.Errorf("consumed after a member left = %d, want 11", c)
		}
		if got := f.licenses(t, users[0]); len(got) != 0 {
			t.Errorf("the member who left still has %v", got)
		}
		checkConsumed(t, f)

		// Adding a member applies the group's licenses at once.
		g, err := f.svc.AddMembers(f.ctx, f.tenant, "Sales", []string{users[0]})
		if err != nil || g.MemberErrors != 0 {
			t.Fatalf("add back: %+v, %v", g, err)
		}
		if c := f.consumed(t)["ENTERPRISEPACK"]; c != 12 {
			t.Errorf("consumed after adding back = %d, want 12", c)
		}
		// Removing the SKU from the group frees every unit it held.
		if _, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "Sales", licet.LicenseChange{RemoveLicenses: []string{"ENTERPRISEPACK"}}); err != nil {
			t.Fatal(err)
		}
		if c := f.consumed(t)["ENTERPRISEPACK"]; c != 0 {
			t.Errorf("consumed after removing the SKU from the group = %d, want 0", c)
		}
		checkConsumed(t, f)
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A user holding an SKU directly and through one or two groups consumes one unit.
func TestDirectAndInheritedConsumeOneUnit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 1, "ENTERPRISEPACK")
		f.users(t, licet.User{UPN: "a@fabrikam.com"})
		step := func(name string, err error, want int) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if c := f.consumed(t)["ENTERPRISEPACK"]; c != want {
				t.Errorf("%s: consumed = %d, want %d", name, c, want)
			}
			checkConsumed(t, f)
		}
		_, err := f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", add("ENTERPRISEPACK"))
		step("direct", err, 1)
		f.group(t, "One", "a@fabrikam.com")
		f.group(t, "Two", "a@fabrikam.com")
		res, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "One", add("ENTERPRISEPACK"))
		step("direct and group One", err, 1)
		if res.Active != 1 {
			t.Errorf("group One: %d active, want 1 (the only unit is the user's already)", res.Active)
		}
		_, err = f.svc.AssignGroupLicense(f.ctx, f.tenant, "Two", add("ENTERPRISEPACK"))
		step("direct and groups One and Two", err, 1)

		_, err = f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", licet.LicenseChange{RemoveLicenses: []string{"ENTERPRISEPACK"}})
		step("groups One and Two", err, 1)
		_, err = f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", licet.LicenseChange{RemoveLicenses: []string{"ENTERPRISEPACK"}})
		if licet.ErrorCode(err) != licet.CodeInheritedLicense || !strings.Contains(licet.ErrorMessage(err), "One, Two") {
			t.Errorf("removing an inherited license directly: %v, want InheritedLicense naming the groups", err)
		}
		// Assigning directly what a group gives takes no unit: the pool is full, and it works.
		_, err = f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", add("ENTERPRISEPACK"))
		step("direct again with the pool full", err, 1)
		_, err = f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", licet.LicenseChange{RemoveLicenses: []string{"ENTERPRISEPACK"}})
		step("direct removed again", err, 1)

		step("left One", f.svc.RemoveMember(f.ctx, f.tenant, "One", "a@fabrikam.com"), 1)
		step("left Two", f.svc.RemoveMember(f.ctx, f.tenant, "Two", "a@fabrikam.com"), 0)
		if got := f.licenses(t, "a@fabrikam.com"); len(got) != 0 {
			t.Errorf("licenses after leaving both groups = %v, want none", got)
		}
	})
}

// A member whose inherited licenses cannot be applied is in Error with Graph's code, none of the
// group's SKUs apply to it, and the other members are not affected.
func TestGroupMemberErrorLeavesOthersAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 5, "ENTERPRISEPACK", "MCOEV", "MCOPSTN1", "MCOPSTN2")
		f.users(t, licet.User{UPN: "intl@fabrikam.com"}, licet.User{UPN: "b@fabrikam.com"}, licet.User{UPN: "hybrid@fabrikam.com", OnPremisesPSTN: true})
		if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "intl@fabrikam.com", add("ENTERPRISEPACK", "MCOEV", "MCOPSTN2")); err != nil {
			t.Fatal(err)
		}
		f.group(t, "Voice", "intl@fabrikam.com", "b@fabrikam.com", "hybrid@fabrikam.com")
		res, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "Voice", add("ENTERPRISEPACK", "MCOEV", "MCOPSTN1"))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"intl@fabrikam.com":   "Error " + licet.CodeMutuallyExclusiveViolation,
			"b@fabrikam.com":      "Active",
			"hybrid@fabrikam.com": "Error " + licet.CodeHybridCallingPlanViolation,
		}
		if got := f.states(t, "Voice"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("states = %v, want %v", got, want)
		}
		if res.Active != 1 || res.Errors != 2 {
			t.Errorf("result: %d active, %d errors; want 1 and 2", res.Active, res.Errors)
		}
		// intl holds E3 and Phone System directly: the group's copies are ActiveWithError; the
		// Calling Plan only the group gives is in Error.
		for _, c := range []struct {
			sku   string
			state licet.LicenseState
		}{
			{"ENTERPRISEPACK", licet.StateActiveWithError}, {"MCOEV", licet.StateActiveWithError}, {"MCOPSTN1", licet.StateError},
		} {
			l := f.license(t, "intl@fabrikam.com", c.sku, "Voice")
			if l == nil || l.State != c.state || l.Error == nil || l.Error.Code != licet.CodeMutuallyExclusiveViolation {
				t.Errorf("intl's %s via Voice = %+v, want %s with MutuallyExclusiveViolation", c.sku, l, c.state)
			}
		}
		if l := f.license(t, "intl@fabrikam.com", "MCOPSTN2", ""); l == nil || l.State != licet.StateActive {
			t.Errorf("intl's direct MCOPSTN2 = %+v, want Active", l)
		}
		got := f.consumed(t)
		if want := map[string]int{"ENTERPRISEPACK": 2, "MCOEV": 2, "MCOPSTN1": 1, "MCOPSTN2": 1}; !mapsEqual(got, want) {
			t.Errorf("consumed = %v, want %v", got, want)
		}
		checkConsumed(t, f)

		// The admin fixes the cause and reprocesses.
		if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "intl@fabrikam.com", licet.LicenseChange{RemoveLicenses: []string{"MCOPSTN2"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ReprocessGroup(f.ctx, f.tenant, "Voice"); err != nil {
			t.Fatal(err)
		}
		if st := f.states(t, "Voice")["intl@fabrikam.com"]; st != "Active" {
			t.Errorf("intl after the fix and a reprocess: %s, want Active", st)
		}
		checkConsumed(t, f)
	})
}

func TestGroupBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 5, "ENTERPRISEPACK", "MCOEV", "MCOPSTN1", "MCOPSTN2")
		f.users(t, licet.User{UPN: "a@fabrikam.com"})
		f.group(t, "Voice", "a@fabrikam.com")
		tests := []struct {
			name   string
			change licet.LicenseChange
			code   string
			says   []string
		}{
			{"prerequisite missing from the group", add("ENTERPRISEPACK", "MCOPSTN1"), licet.CodeDependencyViolation,
				[]string{"in group Voice", "licet group assign --tenant fabrikam Voice --add MCOEV"}},
			{"two calling plans in one group", add("ENTERPRISEPACK", "MCOEV", "MCOPSTN1", "MCOPSTN2"), licet.CodeMutuallyExclusiveViolation, nil},
			{"not bought", add("MCOMEETADV"), licet.CodeNotPurchased, []string{"buy"}},
			{"unknown SKU", add("NOPE"), licet.CodeUnknownSKU, nil},
			{"nothing to do", licet.LicenseChange{}, licet.EInvalid, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "Voice", tt.change)
				if licet.ErrorCode(err) != tt.code {
					t.Fatalf("err = %v (%s), want %s", err, licet.ErrorCode(err), tt.code)
				}
				for _, s := range tt.says {
					if !strings.Contains(licet.ErrorMessage(err), s) {
						t.Errorf("message %q does not say %q", licet.ErrorMessage(err), s)
					}
				}
				g, _ := f.svc.Group(f.ctx, f.tenant, "Voice")
				if len(g.Licenses) != 0 || len(f.licenses(t, "a@fabrikam.com")) != 0 {
					t.Errorf("half applied: group %+v, member %v", g.Licenses, f.licenses(t, "a@fabrikam.com"))
				}
			})
		}
		if _, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "Nobody", add("ENTERPRISEPACK")); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("unknown group: %v, want NotFound", err)
		}
	})
}

// Leaving a group (or the group dropping an SKU) that would break another license of the member
// is refused, and nothing changes.
func TestLeavingGroupKeepsDependencies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 5, "ENTERPRISEPACK", "MCOEV", "MCOPSTN1")
		f.users(t, licet.User{UPN: "a@fabrikam.com"})
		f.group(t, "Phone", "a@fabrikam.com")
		if _, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "Phone", add("ENTERPRISEPACK", "MCOEV")); err != nil {
			t.Fatal(err)
		}
		// The Calling Plan assigned directly relies on Phone System from the group.
		if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", add("MCOPSTN1")); err != nil {
			t.Fatal(err)
		}
		err := f.svc.RemoveMember(f.ctx, f.tenant, "Phone", "a@fabrikam.com")
		if licet.ErrorCode(err) != licet.CodeDependencyViolation || !strings.Contains(licet.ErrorMessage(err), "a@fabrikam.com") {
			t.Errorf("leaving: %v, want DependencyViolation naming the member", err)
		}
		_, err = f.svc.AssignGroupLicense(f.ctx, f.tenant, "Phone", licet.LicenseChange{RemoveLicenses: []string{"MCOEV"}})
		if licet.ErrorCode(err) != licet.CodeDependencyViolation {
			t.Errorf("dropping MCOEV from the group: %v, want DependencyViolation", err)
		}
		if got := sorted(f.licenses(t, "a@fabrikam.com")); !slices.Equal(got, []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"}) {
			t.Errorf("licenses = %v, want them unchanged", got)
		}
		checkConsumed(t, f)
	})
}

// Group changes, member changes and direct assignments race for the same units, on both
// databases: the count never goes over the enabled units and always equals the users holding
// the SKU.
func TestConcurrentGroupAndDirectAssignment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 15, "ENTERPRISEPACK")
		users := people(30)
		f.people(t, users)
		f.group(t, "A", users[:10]...)
		f.group(t, "B", users[5:15]...) // 5 members in both groups
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		run := func(fn func() error) {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- fn() }()
		}
		run(func() error {
			_, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "A", add("ENTERPRISEPACK"))
			return err
		})
		run(func() error {
			_, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "B", add("ENTERPRISEPACK"))
			return err
		})
		run(func() error {
			_, err := f.svc.AssignBatch(f.ctx, f.tenant, licet.BatchAssignment{Users: users[10:25], LicenseChange: add("ENTERPRISEPACK")})
			return err
		})
		run(func() error { _, err := f.svc.AddMembers(f.ctx, f.tenant, "A", users[25:]); return err })
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if c := f.consumed(t)["ENTERPRISEPACK"]; c != 15 {
			t.Errorf("consumed = %d, want all 15 units taken (25 users asked)", c)
		}
		checkConsumed(t, f)
		// Reprocessing after every unit is taken changes nothing.
		if _, err := f.svc.ReprocessGroup(f.ctx, f.tenant, "A"); err != nil {
			t.Fatal(err)
		}
		checkConsumed(t, f)
	})
}
