package console_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

// The seat pages: licenses, users, groups, bulk assignment, and the advisor, over HTTP.

const adele = "adele.vance@contoso.com"

// TestSeatPagesRender: every new page answers 200 with the demo data and shows it.
func TestSeatPagesRender(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	op := signIn(t, s, s.Token)
	tests := []struct {
		path string
		want []string
	}{
		{"/", []string{"Licenses by SKU", "ENTERPRISEPACK", "13</strong> of 25 assigned", "4</strong> of 5 assigned", "1 of 1 tenant(s) hold subscriptions"}},
		{"/tenants/contoso", []string{"Licenses by SKU", "Licenses of Contoso Ltd."}},
		{"/tenants/contoso/licenses", []string{"Buy a subscription", "MCOPSTN1", "Enabled", "unlimited", `id="subscriptions"`, "Set</button>"}},
		{"/tenants/contoso/users", []string{adele, "Nestor Wilke", "room.boardroom@contoso.com"}},
		{"/tenants/contoso/users?q=VANCE", []string{adele}},
		{"/tenants/contoso/users/" + adele, []string{"Adele Vance", "MCOPSTN1", "Phone System", "Success", "direct", "Sales", "Assign a license", "(not purchased)"}},
		{"/tenants/contoso/groups", []string{"Sales", "the sales team"}},
		{"/tenants/contoso/groups/Sales", []string{adele, "Licenses of the group", "The group gives no licenses yet", `id="add-group-sku"`}},
		{"/tenants/contoso/groups/Meeting%20hosts", []string{"isaiah.langer@contoso.com", `id="group-sku-ENTERPRISEPACK"`, `id="group-sku-MCOMEETADV"`, "4 member(s) active · 0 in error", `id="reprocess"`}},
		{"/tenants/contoso/bulk", []string{"Upload a list of users", "SKUs to add", "SKUs to remove", "MCOEV"}},
		{"/advisor", []string{"Room systems", "Room joins a scheduled meeting", "The feature wanted", "the rules add MCOPSTN1"}},
		{"/advisor?plan=ENTERPRISEPACK&feature=pstn-calling-domestic&country=US", []string{
			"Buy add-ons on the current plan.", "MCOEV", "MCOPSTN1", "prereq-calling-plan-needs-phone-system", "40.00 USD",
			"Cheaper: the add-ons on the current plan, 40.00 USD against 44.00 USD for ENTERPRISEPREMIUM_NOPSTNCONF", "avail-small-calling-plans-not-us"}},
		{"/advisor?plan=O365_BUSINESS_PREMIUM&feature=phone-system", []string{"switch to another plan", "bar-business-premium-cloud-voice", "STANDARDPACK"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			st, body, _ := op.do(t, "GET", tt.path, nil)
			if st != http.StatusOK {
				t.Fatalf("status %d, want 200:\n%s", st, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
	t.Run("search filters", func(t *testing.T) {
		_, body, _ := op.do(t, "GET", "/tenants/contoso/users?q=vance", nil)
		if strings.Contains(body, "nestor.wilke@contoso.com") {
			t.Error("a search for vance lists Nestor")
		}
	})
	t.Run("advisor unknown plan", func(t *testing.T) {
		st, body, _ := op.do(t, "GET", "/advisor?plan=NOPE&feature=phone-system", nil)
		if st != http.StatusOK || !strings.Contains(body, "Unknown SKU") || !strings.Contains(body, `unknown SKU &#34;NOPE&#34;`) {
			t.Errorf("status %d; want the unknown SKU explained:\n%s", st, body)
		}
	})
}

// TestAssignErrorsExplained: each refusal of the API shows on the user's page with its code,
// what it means and the way out, with the API's status; the user keeps its licenses.
func TestAssignErrorsExplained(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	api := s.Operator
	// MCOPSTN1 has 5 units and 4 are assigned: Isaiah takes the last; Johanna gets Phone System.
	_, err := api.AssignBatch(ctx, "contoso", licet.BatchAssignment{Users: []string{"isaiah.langer@contoso.com", "johanna.lorenz@contoso.com"}, LicenseChange: licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "MCOEV"}}}})
	mustOK(t, err)
	_, err = api.AssignLicense(ctx, "contoso", "isaiah.langer@contoso.com", licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "MCOPSTN1"}}})
	mustOK(t, err)
	_, err = api.BuySubscription(ctx, "contoso", licet.Subscription{SKU: "MCOPSTN2", Quantity: 5})
	mustOK(t, err)
	_, err = api.CreateTenant(ctx, licet.Tenant{Slug: "nowhere", Name: "Nowhere Ltd."}) // no usage location
	mustOK(t, err)
	_, err = api.BuySubscription(ctx, "nowhere", licet.Subscription{SKU: "ENTERPRISEPACK", Quantity: 5})
	mustOK(t, err)
	_, err = api.CreateUser(ctx, "nowhere", licet.User{UPN: "ann@nowhere.com"})
	mustOK(t, err)
	op := signIn(t, s, s.Token)
	tests := []struct {
		code, tenant, upn, sku string
		remove                 bool
		title, message, wayOut string
	}{
		{"CountViolation", "contoso", "johanna.lorenz@contoso.com", "MCOPSTN1", false, "No units left",
			"no units of Domestic Calling Plan", "buy 1 more unit(s) of MCOPSTN1"},
		{"DependencyViolation", "contoso", "lee.gu@contoso.com", "MCOPSTN1", false, "A service plan needs another",
			"requires Phone System (MCOEV)", "Add the required SKU in the same change"},
		{"DependencyViolation", "contoso", adele, "MCOEV", true, "A service plan needs another",
			"without Phone System", "remove the dependent SKU too"},
		{"MutuallyExclusiveViolation", "contoso", adele, "MCOPSTN2", false, "Plans that exclude each other",
			"MCOPSTN", "Keep one of them"},
		{"ProhibitedInUsageLocationViolation", "nowhere", "ann@nowhere.com", "ENTERPRISEPACK", false, "Not allowed where the user is",
			"usage location", "Set the user&#39;s usage location"},
		{"HybridCallingPlanViolation", "contoso", "nestor.wilke@contoso.com", "MCOPSTN1", false, "Hybrid user: no Calling Plan",
			"Phone System only", "Assign Phone System without a Calling Plan"},
		{"NotPurchased", "contoso", adele, "ENTERPRISEPREMIUM", false, "Not purchased",
			"ENTERPRISEPREMIUM", "Buy a subscription of the SKU on the Licenses page first"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			before, err := api.User(ctx, tt.tenant, tt.upn)
			mustOK(t, err)
			action := "/assign"
			if tt.remove {
				action = "/remove"
			}
			st, body := op.post(t, "/tenants/"+tt.tenant+"/users/"+tt.upn+action, url.Values{"sku": {tt.sku}})
			if st != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", st)
			}
			i := strings.Index(body, `id="problem" data-code="`+tt.code+`"`)
			if i < 0 {
				t.Fatalf("no %s explained on the page:\n%s", tt.code, body)
			}
			box := body[i:]
			box = box[:strings.Index(box, "</div>")]
			for _, w := range []string{tt.title, "nothing was changed", tt.message, "Way out:", tt.wayOut} {
				if !strings.Contains(box, w) {
					t.Errorf("the explanation lacks %q:\n%s", w, box)
				}
			}
			after, err := api.User(ctx, tt.tenant, tt.upn)
			mustOK(t, err)
			if fmt.Sprint(skusOf(after)) != fmt.Sprint(skusOf(before)) {
				t.Errorf("licenses changed from %v to %v", skusOf(before), skusOf(after))
			}
		})
	}
	t.Run("assign and remove", func(t *testing.T) {
		st, _, loc := op.do(t, "POST", "/tenants/contoso/users/lee.gu@contoso.com/assign", url.Values{"csrf": {op.csrf}, "sku": {"MCOMEETADV"}, "disabled": {" "}})
		if st != http.StatusSeeOther || loc != "/tenants/contoso/users/lee.gu@contoso.com" {
			t.Fatalf("assign: %d to %q, want 303 to the user's page", st, loc)
		}
		_, body, _ := op.do(t, "GET", loc, nil)
		if !strings.Contains(body, "Assigned MCOMEETADV to lee.gu@contoso.com.") || !strings.Contains(body, `id="license-MCOMEETADV"`) {
			t.Errorf("the user's page does not show the new license:\n%s", body)
		}
		st, _, _ = op.do(t, "POST", "/tenants/contoso/users/lee.gu@contoso.com/remove", url.Values{"csrf": {op.csrf}, "sku": {"MCOMEETADV"}})
		if u, _ := api.User(ctx, "contoso", "lee.gu@contoso.com"); st != http.StatusSeeOther || fmt.Sprint(skusOf(u)) != "[ENTERPRISEPACK]" {
			t.Errorf("remove: status %d, licenses %v; want 303 and ENTERPRISEPACK only", st, skusOf(u))
		}
	})
	t.Run("plans turned off", func(t *testing.T) {
		st, _, _ := op.do(t, "POST", "/tenants/contoso/users/lee.gu@contoso.com/plans", url.Values{"csrf": {op.csrf}, "sku": {"ENTERPRISEPACK"}, "plan": {"EXCHANGE_S_ENTERPRISE"}})
		u, err := api.User(ctx, "contoso", "lee.gu@contoso.com")
		mustOK(t, err)
		if st != http.StatusSeeOther || len(u.Licenses) != 1 || len(u.Licenses[0].DisabledPlans) == 0 {
			t.Fatalf("status %d, license %+v; want 303 and plans disabled", st, u.Licenses)
		}
		for _, p := range u.Licenses[0].ServicePlans {
			if want := map[bool]string{true: "Success", false: "Disabled"}[p.Plan == "EXCHANGE_S_ENTERPRISE"]; p.ProvisioningStatus != want {
				t.Errorf("plan %s: %s, want %s", p.Plan, p.ProvisioningStatus, want)
			}
		}
	})
}

// skusOf lists the SKUs a user holds, sorted, each once whatever its sources (direct, groups).
func skusOf(u *licet.User) []string {
	var out []string
	for _, l := range u.Licenses {
		out = append(out, l.SKU)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestSeatFormsOutOfRange: a negative or malformed quantity, an unknown SKU, a tenant admin
// buying: a clear message on the page, and nothing changes.
func TestSeatFormsOutOfRange(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	contoso, _ := fabrikam(t, s)
	op := signIn(t, s, s.Token)
	admin := signIn(t, s, contoso.Secret)
	subs, err := s.Operator.Subscriptions(ctx, "contoso")
	mustOK(t, err)
	var pstn int64
	for _, sub := range subs {
		if sub.SKU == "MCOPSTN1" {
			pstn = sub.ID
		}
	}
	tests := []struct {
		name   string
		who    *user
		path   string
		form   url.Values
		status int
		want   string
	}{
		{"negative quantity", op, "/tenants/contoso/licenses/buy", url.Values{"sku": {"MCOEV"}, "quantity": {"-3"}}, 400, "quantity -3 is negative"},
		{"zero quantity", op, "/tenants/contoso/licenses/buy", url.Values{"sku": {"MCOEV"}, "quantity": {"0"}}, 400, "buy at least 1 unit"},
		{"quantity not a number", op, "/tenants/contoso/licenses/buy", url.Values{"sku": {"MCOEV"}, "quantity": {"ten"}}, 400, "quantity &#34;ten&#34; is not a whole number"},
		{"huge quantity", op, "/tenants/contoso/licenses/buy", url.Values{"sku": {"MCOEV"}, "quantity": {"99999999999"}}, 400, "over the limit of 10000000 units"},
		{"unknown SKU", op, "/tenants/contoso/licenses/buy", url.Values{"sku": {"NOPE"}, "quantity": {"5"}}, 422, "Unknown SKU"},
		{"purchase rule", op, "/tenants/contoso/licenses/buy", url.Values{"sku": {"MCOPSTN5"}, "quantity": {"5"}}, 422, "Not sold to this tenant"},
		{"bad channel", op, "/tenants/contoso/licenses/buy", url.Values{"sku": {"MCOEV"}, "quantity": {"5"}, "channel": {"black market"}}, 422, "Unknown term or channel"},
		{"tenant admin buys", admin, "/tenants/contoso/licenses/buy", url.Values{"sku": {"MCOEV"}, "quantity": {"5"}}, 403, "only the operator buys subscriptions"},
		{"negative new quantity", op, fmt.Sprintf("/tenants/contoso/licenses/%d/quantity", pstn), url.Values{"units": {"-1"}}, 400, fmt.Sprintf("Subscription %d: quantity -1 is negative", pstn)},
		{"below assigned", op, fmt.Sprintf("/tenants/contoso/licenses/%d/quantity", pstn), url.Values{"units": {"2"}}, 409, "but 4 are assigned; remove 2 license(s) first"},
		{"tenant admin changes quantity", admin, fmt.Sprintf("/tenants/contoso/licenses/%d/quantity", pstn), url.Values{"units": {"50"}}, 403, "only the operator changes quantities"},
		{"unknown subscription", op, "/tenants/contoso/licenses/999999/quantity", url.Values{"units": {"5"}}, 404, "subscription 999999 not found"},
		{"assign unknown SKU", op, "/tenants/contoso/users/" + adele + "/assign", url.Values{"sku": {"NOPE"}}, 422, "Unknown SKU"},
		{"assign no SKU", op, "/tenants/contoso/users/" + adele + "/assign", url.Values{}, 400, "choose the SKU to assign"},
		{"assign to unknown user", op, "/tenants/contoso/users/nobody@contoso.com/assign", url.Values{"sku": {"MCOEV"}}, 404, "not found"},
		{"group members not UPNs", op, "/tenants/contoso/groups/Sales/members", url.Values{"upns": {"alex.wilber@contoso.com\nnot a upn"}}, 400, "are not user principal names"},
		{"group name empty", op, "/tenants/contoso/groups", url.Values{"name": {""}}, 400, "group name"},
	}
	skusBefore, err := s.Operator.SubscribedSKUs(ctx, "contoso")
	mustOK(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := tt.who.post(t, tt.path, tt.form)
			if st != tt.status {
				t.Errorf("status %d, want %d", st, tt.status)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("the page does not say %q:\n%s", tt.want, body)
			}
		})
	}
	skusAfter, err := s.Operator.SubscribedSKUs(ctx, "contoso")
	mustOK(t, err)
	if a, b := jsonOf(skusBefore), jsonOf(skusAfter); a != b {
		t.Errorf("the SKUs changed:\n%s\n%s", a, b)
	}
	if subs2, _ := s.Operator.Subscriptions(ctx, "contoso"); len(subs2) != len(subs) {
		t.Errorf("%d subscriptions, want %d", len(subs2), len(subs))
	}
	if g, _ := s.Operator.Group(ctx, "contoso", "Sales"); g.Members != 4 {
		t.Errorf("Sales has %d members, want 4", g.Members)
	}
	t.Run("operator buys and changes", func(t *testing.T) {
		st, _, loc := op.do(t, "POST", "/tenants/contoso/licenses/buy", url.Values{"csrf": {op.csrf}, "sku": {"MCOPSTN2"}, "quantity": {"3"}, "term": {"annual"}})
		if st != http.StatusSeeOther || loc != "/tenants/contoso/licenses" {
			t.Fatalf("buy: %d to %q", st, loc)
		}
		st, _, _ = op.do(t, "POST", fmt.Sprintf("/tenants/contoso/licenses/%d/quantity", pstn), url.Values{"csrf": {op.csrf}, "units": {"8"}})
		_, body, _ := op.do(t, "GET", loc, nil)
		if st != http.StatusSeeOther || !strings.Contains(body, fmt.Sprintf("Subscription %d of MCOPSTN1 now has 8 unit(s).", pstn)) || !strings.Contains(body, "MCOPSTN2") {
			t.Errorf("status %d; the licenses page does not show the changes:\n%s", st, body)
		}
	})
}

// TestForgedCSRFOnSeatForms: every new form refuses a missing or foreign CSRF token with 403,
// and nothing changes.
func TestForgedCSRFOnSeatForms(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	op := signIn(t, s, s.Token)
	other := signIn(t, s, s.Token)
	st, _, loc := op.upload(t, "/tenants/contoso/bulk", url.Values{"add": {"MCOMEETADV"}}, "users", "u.txt", []byte("lee.gu@contoso.com\n"))
	if st != http.StatusSeeOther {
		t.Fatalf("upload: status %d", st)
	}
	job := strings.TrimPrefix(loc, "/tenants/contoso/bulk?job=")
	subs, err := s.Operator.Subscriptions(ctx, "contoso")
	mustOK(t, err)
	forms := []struct {
		path string
		form url.Values
	}{
		{"/tenants/contoso/licenses/buy", url.Values{"sku": {"MCOEV"}, "quantity": {"5"}}},
		{fmt.Sprintf("/tenants/contoso/licenses/%d/quantity", subs[0].ID), url.Values{"units": {"99"}}},
		{"/tenants/contoso/users/lee.gu@contoso.com/assign", url.Values{"sku": {"MCOMEETADV"}}},
		{"/tenants/contoso/users/" + adele + "/remove", url.Values{"sku": {"MCOPSTN1"}}},
		{"/tenants/contoso/users/" + adele + "/plans", url.Values{"sku": {"ENTERPRISEPACK"}}},
		{"/tenants/contoso/groups", url.Values{"name": {"Forged"}}},
		{"/tenants/contoso/groups/Sales/members", url.Values{"upns": {"lee.gu@contoso.com"}}},
		{"/tenants/contoso/groups/Sales/members/remove", url.Values{"upn": {adele}}},
		{"/tenants/contoso/bulk/" + job + "/apply", url.Values{}},
		{"/tenants/contoso/bulk/" + job + "/step", url.Values{"from": {"0"}}},
		{"/tenants/contoso/groups/Sales/licenses", url.Values{"sku": {"MCOEV"}}},
		{"/tenants/contoso/groups/Meeting%20hosts/licenses/remove", url.Values{"sku": {"MCOMEETADV"}}},
		{"/tenants/contoso/groups/Meeting%20hosts/reprocess", url.Values{}},
	}
	snapshot := func() string {
		skus, err := s.Operator.SubscribedSKUs(ctx, "contoso")
		mustOK(t, err)
		gs, err := s.Operator.Groups(ctx, "contoso")
		mustOK(t, err)
		a, err := s.Operator.User(ctx, "contoso", adele)
		mustOK(t, err)
		l, err := s.Operator.User(ctx, "contoso", "lee.gu@contoso.com")
		mustOK(t, err)
		b, _ := json.Marshal([]any{skus, gs, a.Licenses, l.Licenses, a.Groups})
		return string(b)
	}
	before := snapshot()
	for _, f := range forms {
		for _, token := range []string{"", other.csrf} {
			form := url.Values{}
			for k, v := range f.form {
				form[k] = v
			}
			form["csrf"] = []string{token}
			st, body := op.post(t, f.path, form)
			if st != http.StatusForbidden || !strings.Contains(body, "security token is missing or wrong") {
				t.Errorf("%s with csrf %q: status %d, want 403 with the reason", f.path, token, st)
			}
		}
	}
	st, body, _ := op.upload(t, "/tenants/contoso/bulk", url.Values{"csrf": {other.csrf}, "add": {"MCOMEETADV"}}, "users", "u.txt", []byte("lee.gu@contoso.com\n"))
	if st != http.StatusForbidden || !strings.Contains(body, "security token is missing or wrong") {
		t.Errorf("upload with another session's token: status %d, want 403", st)
	}
	if after := snapshot(); after != before {
		t.Errorf("forged forms changed something:\n%s\n%s", before, after)
	}
}

// bulkJobRE finds the job id in a bulk page's URL.
var bulkJobRE = regexp.MustCompile(`/tenants/contoso/bulk\?job=([A-Za-z0-9_-]+)`)

// TestBulkAssignmentHTTP: upload, dry run, apply in chunks (htmx steps), the report; a file that
// is not a UPN list; another session's job; expiry.
func TestBulkAssignmentHTTP(t *testing.T) {
	clk := newClock()
	s := servertest.Start(t, servertest.Options{Now: clk.Now})
	ctx := context.Background()
	_, err := s.Operator.BuySubscription(ctx, "contoso", licet.Subscription{SKU: "STANDARDPACK", Quantity: 1200})
	mustOK(t, err)
	var users []licet.User
	var list strings.Builder
	list.WriteString("UserPrincipalName,DisplayName\n")
	for i := range 1100 {
		u := fmt.Sprintf("user%04d@contoso.com", i)
		users = append(users, licet.User{UPN: u})
		fmt.Fprintf(&list, "%s,User %d\n", u, i)
	}
	_, err = s.Operator.ImportUsers(ctx, "contoso", users)
	mustOK(t, err)
	list.WriteString("user0001@contoso.com,again\nnobody@contoso.com,Nobody\n")
	op := signIn(t, s, s.Token)

	st, body, loc := op.upload(t, "/tenants/contoso/bulk", url.Values{"add": {"STANDARDPACK"}}, "users", "users.csv", []byte(list.String()))
	if st != http.StatusSeeOther || !bulkJobRE.MatchString(loc) {
		t.Fatalf("upload: %d to %q:\n%s", st, loc, body)
	}
	job := bulkJobRE.FindStringSubmatch(loc)[1]
	_, body, _ = op.do(t, "GET", loc, nil)
	for _, w := range []string{"Dry run: users.csv, 1101 user(s)", "1100</span> assigned", "1</span> failed", "1 duplicate line(s) skipped",
		"Dry run: nothing was changed", "Would change", "&#43;1100", "Apply to 1101 user(s)", "… and 601 more users"} {
		if !strings.Contains(body, w) {
			t.Errorf("dry run page lacks %q", w)
		}
	}
	if skus, _ := s.Operator.SubscribedSKUs(ctx, "contoso"); consumedOf(skus, "STANDARDPACK") != 0 {
		t.Fatalf("the dry run consumed units")
	}
	dry := op.report(t, "/tenants/contoso/bulk/"+job+"/report.csv")
	if len(dry) != 1+1101+1 || dry[1][2] != "assigned" || dry[1101][0] != "1103" || dry[1101][2] != "failed" || dry[1102][2] != "duplicate" {
		t.Errorf("dry-run report: %d rows, first %v, last %v", len(dry), dry[1], dry[len(dry)-1])
	}

	// Apply as htmx does: the apply answers the page, then one step per chunk.
	htmx := func(path string, form url.Values) (int, string) {
		t.Helper()
		form.Set("csrf", op.csrf)
		req, _ := http.NewRequest("POST", op.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		resp, err := op.c.Do(req)
		mustOK(t, err)
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, readAll(t, resp))
		return resp.StatusCode, b.String()
	}
	if st, _ := htmx("/tenants/contoso/bulk/"+job+"/apply", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("apply: status %d, want 303", st)
	}
	_, body, _ = op.do(t, "GET", loc, nil)
	if !strings.Contains(body, `value="0">0 of 1101`) || !strings.Contains(body, `hx-trigger="load"`) {
		t.Fatalf("after apply: no progress at 0 with a step to run:\n%s", body)
	}
	for i, want := range []int{500, 1000, 1101} {
		st, body := htmx("/tenants/contoso/bulk/"+job+"/step", url.Values{"from": {fmt.Sprint(i * 500)}})
		if st != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`value="%d">%d of 1101`, want, want)) {
			t.Fatalf("step %d: status %d, want progress %d:\n%s", i, st, want, body)
		}
		if skus, _ := s.Operator.SubscribedSKUs(ctx, "contoso"); consumedOf(skus, "STANDARDPACK") != min(want, 1100) {
			t.Errorf("after step %d: %d consumed, want %d", i, consumedOf(skus, "STANDARDPACK"), min(want, 1100))
		}
		if want == 1101 && (strings.Contains(body, `hx-trigger="load"`) || !strings.Contains(body, "done")) {
			t.Errorf("the last step still asks for another:\n%s", body)
		}
	}
	if st, _ := htmx("/tenants/contoso/bulk/"+job+"/step", url.Values{"from": {"500"}}); st != http.StatusOK {
		t.Errorf("a repeated step: status %d, want 200", st)
	}
	if skus, _ := s.Operator.SubscribedSKUs(ctx, "contoso"); consumedOf(skus, "STANDARDPACK") != 1100 {
		t.Errorf("a repeated step changed the count: %d", consumedOf(skus, "STANDARDPACK"))
	}
	applied := op.report(t, "/tenants/contoso/bulk/"+job+"/report.csv")
	if len(applied) != 1+1101+1 || applied[1][2] != "assigned" || applied[1101][6] != "NotFound" {
		t.Errorf("applied report: %d rows, %v … %v", len(applied), applied[1], applied[1101])
	}
	var js struct {
		DryRun  bool `json:"dryRun"`
		Results []struct {
			Line    int    `json:"line"`
			Outcome string `json:"outcome"`
		} `json:"results"`
		Seats []licet.SeatChange `json:"seats"`
	}
	mustOK(t, json.Unmarshal([]byte(op.get(t, "/tenants/contoso/bulk/"+job+"/report.json")), &js))
	if js.DryRun || len(js.Results) != 1101 || js.Results[0].Line != 2 || len(js.Seats) != 1 || js.Seats[0].Delta != 1100 {
		t.Errorf("JSON report: dryRun %v, %d results, seats %+v", js.DryRun, len(js.Results), js.Seats)
	}

	t.Run("not a UPN list", func(t *testing.T) {
		st, body, _ := op.upload(t, "/tenants/contoso/bulk", url.Values{"add": {"MCOEV"}}, "users", "notes.txt", []byte("# team\nadele.vance@contoso.com\nplease license these people\n\nbob at contoso\n"))
		if st != http.StatusBadRequest {
			t.Errorf("status %d, want 400", st)
		}
		for _, w := range []string{"notes.txt is not a UPN list", "2 line(s)", "line 3", "line 5", "nothing was stored or changed"} {
			if !strings.Contains(body, w) {
				t.Errorf("the page lacks %q", w)
			}
		}
		st, body, _ = op.upload(t, "/tenants/contoso/bulk", url.Values{"add": {"MCOEV"}}, "users", "photo.png", []byte("\x89PNG\r\n\x1a\n\x00\x00"))
		if st != http.StatusBadRequest || !strings.Contains(body, "photo.png is not a UPN list: the file is not text") {
			t.Errorf("binary file: status %d:\n%s", st, body)
		}
		st, body, _ = op.upload(t, "/tenants/contoso/bulk", url.Values{"add": {"NOPE"}}, "users", "u.txt", []byte(adele))
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Unknown SKU") {
			t.Errorf("unknown SKU: status %d:\n%s", st, body)
		}
		st, body, _ = op.upload(t, "/tenants/contoso/bulk", url.Values{}, "users", "u.txt", []byte(adele))
		if st != http.StatusBadRequest || !strings.Contains(body, "choose at least one SKU") {
			t.Errorf("no SKU: status %d", st)
		}
		st, body, _ = op.upload(t, "/tenants/contoso/bulk", url.Values{"add": {"MCOEV"}}, "", "", nil)
		if st != http.StatusBadRequest || !strings.Contains(body, "choose a file") {
			t.Errorf("no file: status %d", st)
		}
	})
	t.Run("another session", func(t *testing.T) {
		other := signIn(t, s, s.Token)
		for _, p := range []string{loc, "/tenants/contoso/bulk/" + job + "/report.csv"} {
			if st, _, _ := other.do(t, "GET", p, nil); st != http.StatusNotFound {
				t.Errorf("GET %s from another session: %d, want 404", p, st)
			}
		}
		if st, _ := other.post(t, "/tenants/contoso/bulk/"+job+"/apply", nil); st != http.StatusNotFound {
			t.Errorf("apply from another session: %d, want 404", st)
		}
	})
	t.Run("expires", func(t *testing.T) {
		clk.Add(29 * time.Minute)
		if st, _, _ := op.do(t, "GET", loc, nil); st != http.StatusOK {
			t.Fatalf("after 29 minutes: %d, want 200", st)
		}
		clk.Add(30 * time.Minute)
		st, body, _ := op.do(t, "GET", loc, nil)
		if st != http.StatusNotFound || !strings.Contains(body, "upload the file again") {
			t.Errorf("30 minutes after the last use: %d, want 404 saying to upload again", st)
		}
	})
}

func consumedOf(skus []licet.SubscribedSKU, sku string) int {
	for _, s := range skus {
		if s.SKU == sku {
			return s.Consumed
		}
	}
	return -1
}

// get returns the body of a GET that must answer 200.
func (u *user) get(t *testing.T, path string) string {
	t.Helper()
	st, body, _ := u.do(t, "GET", path, nil)
	if st != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, st)
	}
	return body
}

// report downloads a CSV report and parses it.
func (u *user) report(t *testing.T, path string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(u.get(t, path))).ReadAll()
	if err != nil {
		t.Fatalf("report %s: %v", path, err)
	}
	return rows
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b strings.Builder
	_, err := fmt.Fprint(&b, "")
	mustOK(t, err)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
