package console_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/server/servertest"
)

// The product key pages and the offline activation form, over HTTP.

// demoKeys returns contoso's demo MAK and kms-host key.
func demoKeys(t *testing.T, s *servertest.Server) (mak, host licet.ProductKey) {
	t.Helper()
	ks, err := s.Operator.Keys(context.Background(), "contoso")
	mustOK(t, err)
	for _, k := range ks {
		switch k.Type {
		case "mak":
			mak = k
		case "kms-host":
			host = k
		}
	}
	if mak.ID == 0 || host.ID == 0 {
		t.Fatalf("the demo has no MAK or kms-host key: %+v", ks)
	}
	return mak, host
}

// keyNow reads a key's record through the API.
func keyNow(t *testing.T, s *servertest.Server, id int64) licet.ProductKey {
	t.Helper()
	k, err := s.Operator.Key(context.Background(), id)
	mustOK(t, err)
	return *k
}

// activateHost activates a KMS host with the key, named hostname.
func activateHost(t *testing.T, s *servertest.Server, key, hostname string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	mustOK(t, err)
	_, err = s.Operator.ActivateHost(context.Background(), licet.KMSHostRequest{Key: key, HostID: "host-" + hostname, HostKey: pub, Hostname: hostname})
	mustOK(t, err)
}

// installationID is the installation ID of a machine with the key installed for the product.
func installationID(t *testing.T, key, product, machine string) string {
	t.Helper()
	k, err := keys.Parse(key)
	mustOK(t, err)
	return keys.NewInstallationID(k, keys.ProductNumber(product), keys.MachineFingerprint(machine)).String()
}

// TestKeyPages: the key page by agreement and pool, a key's activations and hosts, the overview's
// panels, for the operator and the key's tenant admin.
func TestKeyPages(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	mak, host := demoKeys(t, s)
	_, err := s.Operator.Activate(ctx, licet.ActivationRequest{Key: mak.Key, Product: "contoso-desktop-11", Machine: licet.Machine{ID: "pc-0001", Hostname: "reception-pc"}})
	mustOK(t, err)
	activateHost(t, s, host.Key, "kms-paris")
	contoso, _ := fabrikam(t, s)
	op, admin := signIn(t, s, s.Token), signIn(t, s, contoso.Secret)
	makPage, hostPage := fmt.Sprintf("/tenants/contoso/keys/%d", mak.ID), fmt.Sprintf("/tenants/contoso/keys/%d", host.ID)
	masked := "XXXXX-XXXXX-XXXXX-XXXXX-" + mak.Key[len(mak.Key)-5:]
	tests := []struct {
		who        *user
		path       string
		want, lack []string
	}{
		{op, "/tenants/contoso/keys", []string{mak.Key, host.Key, "Agreement <code>CONTOSO-OL-0001</code>", "program open-license", "Pool: systems</th>", "Pool: servers</th>",
			`<td class="num">50</td>`, `<td class="num">49</td>`, "kms-host"}, nil},
		{op, makPage, []string{mak.Key, "reception-pc", "method-online", "contoso-desktop-11", `id="extend"`, "Block the key", "1 in all"}, nil},
		{op, hostPage, []string{"KMS hosts", "kms-paris", "licet kms status", "Host limit"}, nil},
		{op, "/", []string{"MAK keys", masked, "<strong>49</strong> of 50 remaining", "KMS hosts", "<strong>1</strong> of 6 hosts", "kms-paris",
			"Activations per day", "Activations per day: 1 over the last 14 days"}, []string{mak.Key}},
		{admin, "/tenants/contoso/keys", []string{mak.Key, "Pool: systems"}, nil},
		{admin, makPage, []string{mak.Key, "reception-pc", "is the operator's"}, []string{`id="extend"`, "Block the key"}},
		{admin, "/", []string{"MAK keys", masked, "Activations per day: 1"}, []string{mak.Key}},
	}
	for _, tt := range tests {
		st, body, _ := tt.who.do(t, "GET", tt.path, nil)
		if st != http.StatusOK {
			t.Fatalf("GET %s: status %d, want 200:\n%s", tt.path, st, body)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tt.path, w)
			}
		}
		for _, l := range tt.lack {
			if strings.Contains(body, l) {
				t.Errorf("GET %s shows %q", tt.path, l)
			}
		}
	}
}

// TestKeyIsolationAndRights: a tenant admin cannot open another tenant's keys or a key's
// activations (404, whether the URL names the other tenant or its own), nor extend or block
// them (404); its own key it may see but not extend or block (403, as the API answers).
func TestKeyIsolationAndRights(t *testing.T) {
	servertest.Each(t, servertest.Options{}, func(t *testing.T, s *servertest.Server) {
		mak, _ := demoKeys(t, s)
		contoso, fab := fabrikam(t, s)
		other, own := signIn(t, s, fab.Secret), signIn(t, s, contoso.Secret)
		id := fmt.Sprint(mak.ID)
		for _, path := range []string{"/tenants/contoso/keys", "/tenants/contoso/keys/" + id, "/tenants/fabrikam/keys/" + id} {
			st, body, _ := other.do(t, "GET", path, nil)
			if st != http.StatusNotFound || strings.Contains(body, mak.Key) {
				t.Errorf("fabrikam's admin GET %s: status %d (key shown: %v), want 404 without the key", path, st, strings.Contains(body, mak.Key))
			}
		}
		if _, body, _ := other.do(t, "GET", "/", nil); strings.Contains(body, mak.Key[len(mak.Key)-5:]) {
			t.Error("fabrikam's overview shows contoso's MAK")
		}
		posts := []struct {
			who    *user
			path   string
			form   url.Values
			status int
		}{
			{other, "/tenants/contoso/keys/" + id + "/extend", url.Values{"by": {"10"}}, http.StatusNotFound},
			{other, "/tenants/fabrikam/keys/" + id + "/extend", url.Values{"by": {"10"}}, http.StatusNotFound},
			{other, "/tenants/contoso/keys/" + id + "/block", url.Values{"blocked": {"true"}}, http.StatusNotFound},
			{other, "/tenants/fabrikam/keys/" + id + "/block", url.Values{"blocked": {"true"}}, http.StatusNotFound},
			{own, "/tenants/contoso/keys/" + id + "/extend", url.Values{"by": {"10"}}, http.StatusForbidden},
			{own, "/tenants/contoso/keys/" + id + "/block", url.Values{"blocked": {"true"}}, http.StatusForbidden},
		}
		for _, p := range posts {
			if st, _ := p.who.post(t, p.path, p.form); st != p.status {
				t.Errorf("POST %s: status %d, want %d", p.path, st, p.status)
			}
		}
		if k := keyNow(t, s, mak.ID); k.Limit != mak.Limit || k.Blocked {
			t.Errorf("after the refused posts the key has limit %d, blocked %v; want %d, not blocked", k.Limit, k.Blocked, mak.Limit)
		}
	})
}

// TestExtendAndBlockKey: the operator extends and blocks a key; a count out of range is shown
// beside its field and changes nothing.
func TestExtendAndBlockKey(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	mak, _ := demoKeys(t, s)
	op := signIn(t, s, s.Token)
	base := fmt.Sprintf("/tenants/contoso/keys/%d", mak.ID)
	for _, tt := range []struct{ by, want string }{
		{"0", "extend by 1 to 100000000 activations"},
		{"-3", "extend by 1 to 100000000 activations"},
		{"abc", "&#34;abc&#34; is not a whole number"},
		{"", "type how many activations to add"},
		{"99999999999999999999", "is not a whole number"},
		{"100000000", "MAK extension limit exceeded"},
	} {
		st, body := op.post(t, base+"/extend", url.Values{"by": {tt.by}})
		if st/100 != 4 || !strings.Contains(body, tt.want) {
			t.Errorf("extend by %q: status %d; want 4xx with %q", tt.by, st, tt.want)
		}
		if tt.by != "100000000" && !strings.Contains(body, `id="f-by-err"`) {
			t.Errorf("extend by %q: the message is not beside the field", tt.by)
		}
	}
	if k := keyNow(t, s, mak.ID); k.Limit != mak.Limit {
		t.Fatalf("after refused extensions the limit is %d, want %d", k.Limit, mak.Limit)
	}
	if st, _ := op.post(t, base+"/extend", url.Values{"by": {"25"}}); st != http.StatusSeeOther {
		t.Fatalf("extend by 25: status %d, want 303", st)
	}
	if body := op.get(t, base); !strings.Contains(body, "extended by 25 activations: its limit is 75, 75 remaining") || !strings.Contains(body, `id="key-limit">75<`) {
		t.Errorf("the key page after extending does not say so:\n%s", body)
	}
	if st, _ := op.post(t, base+"/block", url.Values{"blocked": {"maybe"}}); st != http.StatusBadRequest {
		t.Errorf("block with a bad value: status %d, want 400", st)
	}
	if st, _ := op.post(t, base+"/block", url.Values{"blocked": {"true"}}); st != http.StatusSeeOther || !keyNow(t, s, mak.ID).Blocked {
		t.Errorf("block: status %d, blocked %v; want 303 and blocked", st, keyNow(t, s, mak.ID).Blocked)
	}
	if body := op.get(t, base); !strings.Contains(body, "Unblock the key") || !strings.Contains(body, ">blocked<") {
		t.Error("a blocked key's page does not offer to unblock it")
	}
	if st, _ := op.post(t, base+"/block", url.Values{"blocked": {"false"}}); st != http.StatusSeeOther || keyNow(t, s, mak.ID).Blocked {
		t.Error("unblock did not unblock")
	}
	entries, err := s.Operator.Audit(context.Background(), licet.AuditFilter{Tenant: "contoso", Action: "key."})
	mustOK(t, err)
	var actions []string
	for _, e := range entries {
		if e.Object == fmt.Sprintf("key:%d", mak.ID) {
			actions = append(actions, e.Action+" "+e.Before+"→"+e.After)
		}
	}
	want := "key.unblock true→false,key.block false→true,key.extend 50→75"
	if got := strings.Join(actions[:min(3, len(actions))], ","); got != want {
		t.Errorf("audit = %q, want %q first", got, want)
	}
}

// TestOfflineActivationForm: an installation ID in, a confirmation ID that verifies for it out;
// a replay uses nothing; a mistyped group is named; a key with nothing left is explained; a tenant
// admin cannot activate with another tenant's key.
func TestOfflineActivationForm(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	mak, _ := demoKeys(t, s)
	_, fab := fabrikam(t, s)
	op := signIn(t, s, s.Token)
	pub := s.App.Key.Public().(ed25519.PublicKey)
	iid := installationID(t, mak.Key, "contoso-desktop-11", "isolated-1")

	st, body := op.post(t, "/offline", url.Values{"installationId": {strings.ReplaceAll(iid, "-", " ")}})
	if st != http.StatusOK {
		t.Fatalf("offline activation: status %d, want 200:\n%s", st, body)
	}
	m := regexpCID.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no confirmation ID on the page:\n%s", body)
	}
	parsedIID, err := keys.ParseInstallationID(iid)
	mustOK(t, err)
	cid, err := keys.ParseConfirmationID(m[1])
	mustOK(t, err)
	if err := cid.Verify(pub, parsedIID); err != nil {
		t.Errorf("the confirmation ID does not verify for the installation ID: %v", err)
	}
	if !strings.Contains(body, "one activation of the key used") || keyNow(t, s, mak.ID).Used != 1 {
		t.Errorf("the activation was not counted once (used %d)", keyNow(t, s, mak.ID).Used)
	}
	if _, body := op.post(t, "/offline", url.Values{"installationId": {iid}}); !strings.Contains(body, "no activation used") || keyNow(t, s, mak.ID).Used != 1 {
		t.Error("a replayed installation ID was counted again")
	}

	// Group 4 mistyped: its check digit no longer matches.
	groups := strings.Split(iid, "-")
	g := []byte(groups[3])
	g[0] = '0' + (g[0]-'0'+1)%10
	groups[3] = string(g)
	limited, err := s.Operator.IssueKey(ctx, licet.KeyRequest{Agreement: "CONTOSO-OL-0001", Group: "desktop-11", Type: "mak", Limit: 1})
	mustOK(t, err)
	_, err = s.Operator.Activate(ctx, licet.ActivationRequest{Key: limited.Key, Product: "contoso-desktop-11", Machine: licet.Machine{ID: "first"}})
	mustOK(t, err)
	refusals := []struct {
		name, iid string
		status    int
		want      []string
	}{
		{"a mistyped group", strings.Join(groups, "-"), http.StatusBadRequest, []string{"group 4 of the installation ID is mistyped", `class="group mistyped"><span class="group-no">4<`, "read group 4 again"}},
		{"not digits", "12345-abcde", http.StatusBadRequest, []string{"is not a digit", `id="f-installationId-err"`}},
		{"too short", "1234567-1234567", http.StatusBadRequest, []string{`id="f-installationId-err"`}},
		{"empty", "", http.StatusBadRequest, []string{"type the installation ID"}},
		{"too long", strings.Repeat("1", 300), http.StatusBadRequest, []string{"longer than 256 characters"}},
		{"no activations left", installationID(t, limited.Key, "contoso-desktop-11", "second"), http.StatusUnprocessableEntity,
			[]string{`data-code="ActivationLimitExceeded"`, "No activations left", "The operator extends the key on its key page", "nothing was changed"}},
		{"a product outside the key's group", installationID(t, mak.Key, "contoso-server-2026", "srv"), http.StatusNotFound, []string{"not a product of the key&#39;s group"}},
	}
	for _, r := range refusals {
		st, body := op.post(t, "/offline", url.Values{"installationId": {r.iid}})
		if st != r.status {
			t.Errorf("%s: status %d, want %d", r.name, st, r.status)
		}
		for _, w := range r.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q", r.name, w)
			}
		}
		if regexpCID.MatchString(body) {
			t.Errorf("%s: the page shows a confirmation ID", r.name)
		}
	}
	if used := keyNow(t, s, mak.ID).Used; used != 1 {
		t.Errorf("after the refusals the MAK has %d used, want 1", used)
	}
	if used := keyNow(t, s, limited.ID).Used; used != 1 {
		t.Errorf("the exhausted key has %d used, want 1", used)
	}
	other := signIn(t, s, fab.Secret)
	st, body = other.post(t, "/offline", url.Values{"installationId": {installationID(t, mak.Key, "contoso-desktop-11", "isolated-2")}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "InvalidProductKey") || keyNow(t, s, mak.ID).Used != 1 {
		t.Errorf("fabrikam's admin with contoso's key: status %d, used %d; want 422 InvalidProductKey and nothing used", st, keyNow(t, s, mak.ID).Used)
	}
}

// TestForgedCSRFOnKeyForms: extend, block and the offline form refuse a missing or foreign CSRF
// token with 403, and nothing changes: the limit, the block, the count of activations.
func TestForgedCSRFOnKeyForms(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	mak, _ := demoKeys(t, s)
	op, other := signIn(t, s, s.Token), signIn(t, s, s.Token)
	base := fmt.Sprintf("/tenants/contoso/keys/%d", mak.ID)
	forms := []struct {
		path string
		form url.Values
	}{
		{base + "/extend", url.Values{"by": {"10"}}},
		{base + "/block", url.Values{"blocked": {"true"}}},
		{"/offline", url.Values{"installationId": {installationID(t, mak.Key, "contoso-desktop-11", "forged")}}},
	}
	for _, f := range forms {
		for _, token := range []string{"", other.csrf, "forged"} {
			form := url.Values{"csrf": {token}}
			for k, v := range f.form {
				form[k] = v
			}
			st, body := op.post(t, f.path, form)
			if st != http.StatusForbidden || !strings.Contains(body, "security token is missing or wrong") || regexpCID.MatchString(body) {
				t.Errorf("%s with csrf %q: status %d, want 403 with the reason", f.path, token, st)
			}
		}
	}
	if k := keyNow(t, s, mak.ID); k.Limit != mak.Limit || k.Blocked || k.Used != mak.Used {
		t.Errorf("forged forms changed the key: %+v, was %+v", k, mak)
	}
}
