package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

// TestGroupLicensesAndReprocess: a group's SKUs added from its page; the member left without an
// Audio Conferencing unit is in error with CountViolation explained (on the group's page and the
// member's); after the operator buys a unit, Reprocess clears it.
func TestGroupLicensesAndReprocess(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	op := signIn(t, s, s.Token)
	// Audio Conferencing: 10 units, 5 assigned. Six members without it: one is left without a unit.
	members := []string{adele, "alex.wilber@contoso.com", "diego.siciliani@contoso.com", "grady.archie@contoso.com", "megan.bowen@contoso.com", "miriam.graham@contoso.com"}
	const page = "/tenants/contoso/groups/Conferencing"
	steps := []struct {
		path string
		form url.Values
		want string
	}{
		{"/tenants/contoso/groups", url.Values{"name": {"Conferencing"}}, "Group Conferencing created."},
		{page + "/members", url.Values{"upns": {strings.Join(members, "\n")}}, "Conferencing now has 6 member(s)."},
		{page + "/licenses", url.Values{"sku": {"ENTERPRISEPACK"}}, "ENTERPRISEPACK added to Conferencing: 6 member(s) active."},
		{page + "/licenses", url.Values{"sku": {"MCOMEETADV"}}, "MCOMEETADV added to Conferencing: 5 member(s) active, 1 in error (below)."},
	}
	for _, st := range steps {
		code, body := op.post(t, st.path, st.form)
		if code != http.StatusSeeOther {
			t.Fatalf("POST %s: status %d, want 303:\n%s", st.path, code, body)
		}
		if body := op.get(t, page); !strings.Contains(body, st.want) {
			t.Fatalf("after POST %s the group page lacks %q", st.path, st.want)
		}
	}
	g, err := s.Operator.Group(ctx, "contoso", "Conferencing")
	mustOK(t, err)
	var failed string
	for _, m := range g.MemberStates {
		if m.Error != nil {
			failed = m.UPN
		}
	}
	if g.MemberErrors != 1 || failed == "" {
		t.Fatalf("group = %d member(s) in error, want 1", g.MemberErrors)
	}
	body := op.get(t, page)
	for _, w := range []string{`id="group-sku-ENTERPRISEPACK"`, `id="group-sku-MCOMEETADV"`, "5 member(s) active · 1 in error", `id="errors"`, failed,
		"CountViolation", "No units left", "Way out:</strong> Buy more units", `id="reprocess"`} {
		if !strings.Contains(body, w) {
			t.Errorf("the group page lacks %q", w)
		}
	}
	// The member's page: one row per source, the group's rows in error, the direct one active.
	user := op.get(t, "/tenants/contoso/users/"+failed)
	for _, w := range []string{"via group Conferencing", `state-ActiveWithError">ActiveWithError`, `state-Error">Error`, `state-Active">Active`,
		"CountViolation", "Then reprocess the group.", "The SKU still applies through another source."} {
		if !strings.Contains(user, w) {
			t.Errorf("%s's page lacks %q", failed, w)
		}
	}
	if n := strings.Count(user, `<tr id="license-ENTERPRISEPACK`); n != 2 {
		t.Errorf("%s's page has %d ENTERPRISEPACK row(s), want 2 (direct and via the group)", failed, n)
	}

	// Reprocess before buying changes nothing; after buying one unit it clears the error.
	if code, _ := op.post(t, page+"/reprocess", nil); code != http.StatusSeeOther || !strings.Contains(op.get(t, page), "Reprocessed Conferencing: 5 member(s) active, 1 in error") {
		t.Errorf("reprocess without a new unit: status %d, or the page does not say 1 in error", code)
	}
	subs, err := s.Operator.Subscriptions(ctx, "contoso")
	mustOK(t, err)
	for _, sub := range subs {
		if sub.SKU == "MCOMEETADV" {
			if code, _ := op.post(t, fmt.Sprintf("/tenants/contoso/licenses/%d/quantity", sub.ID), url.Values{"units": {"11"}}); code != http.StatusSeeOther {
				t.Fatalf("buying a unit: status %d", code)
			}
		}
	}
	if code, _ := op.post(t, page+"/reprocess", nil); code != http.StatusSeeOther {
		t.Fatalf("reprocess: status %d", code)
	}
	body = op.get(t, page)
	for _, w := range []string{"Reprocessed Conferencing: 6 member(s) active.", "6 member(s) active · 0 in error", "None: the group's licenses apply to every member."} {
		if !strings.Contains(body, w) {
			t.Errorf("after buying a unit and reprocessing, the group page lacks %q", w)
		}
	}
	u, err := s.Operator.User(ctx, "contoso", failed)
	mustOK(t, err)
	for _, l := range u.Licenses {
		if l.State != licet.StateActive {
			t.Errorf("%s: %s (%s) is %s after reprocessing, want Active", failed, l.SKU, l.AssignedByGroup, l.State)
		}
	}

	// Removing an SKU from the group, and a refusal explained above the license form.
	if code, _ := op.post(t, page+"/licenses/remove", url.Values{"sku": {"MCOMEETADV"}}); code != http.StatusSeeOther || strings.Contains(op.get(t, page), `id="group-sku-MCOMEETADV"`) {
		t.Errorf("remove MCOMEETADV from the group: status %d, or it is still listed", code)
	}
	code, body := op.post(t, page+"/licenses", url.Values{"form": {"licenses"}, "sku": {"MCOPSTN1"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="problem"`) || !strings.Contains(body, "DependencyViolation") {
		t.Errorf("a Calling Plan without Phone System in the group: status %d, want 422 with DependencyViolation explained", code)
	}
	if code, body := op.post(t, page+"/licenses", url.Values{"form": {"licenses"}, "sku": {""}}); code != http.StatusBadRequest || !strings.Contains(body, "choose the SKU to add to the group") {
		t.Errorf("no SKU: status %d, want 400 with the reason", code)
	}
}
