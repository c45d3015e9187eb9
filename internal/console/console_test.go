package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/console"
	"github.com/licet/licet/internal/server/servertest"
)

// TestForgedCSRFChangesNothing: a POST without the session's CSRF token is refused with a message
// on the page, and the tenant is not created.
func TestForgedCSRFChangesNothing(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	op := signIn(t, s, s.Token)
	other := signIn(t, s, s.Token) // a second session: its token is valid, but not for op
	tests := []struct {
		name string
		csrf []string
	}{
		{"missing", nil},
		{"empty", []string{""}},
		{"forged", []string{"Zm9yZ2VkLXRva2VuLXRoYXQtbG9va3MtcmlnaHQtMDEyMzQ1"}},
		{"not base64", []string{"%%%"}},
		{"of another session", []string{other.csrf}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slug := fmt.Sprintf("forged%d", i)
			form := url.Values{"slug": {slug}, "name": {"Forged"}}
			if tt.csrf != nil {
				form["csrf"] = tt.csrf
			} else {
				form["csrf"] = nil // post sends no csrf field at all
			}
			st, body := op.post(t, "/tenants", form)
			if st != http.StatusForbidden {
				t.Errorf("status %d, want 403", st)
			}
			if !strings.Contains(body, "security token is missing or wrong") || !strings.Contains(body, "nothing was changed") {
				t.Errorf("the page does not explain the refusal:\n%s", body)
			}
			if _, err := s.Operator.Tenant(context.Background(), slug); licet.ErrorCode(err) != licet.ENotFound {
				t.Errorf("tenant %s: %v, want NotFound (nothing created)", slug, err)
			}
		})
	}
	t.Run("header token works", func(t *testing.T) {
		// htmx sends the token in X-CSRF-Token: the same check, another carrier.
		req, _ := http.NewRequest("POST", s.URL+"/tenants", strings.NewReader("slug=viaheader&name=Header"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", op.csrf)
		resp, err := op.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", resp.StatusCode)
		}
	})
	t.Run("cross-site browser post", func(t *testing.T) {
		req, _ := http.NewRequest("POST", s.URL+"/tenants", strings.NewReader(url.Values{"slug": {"crosssite"}, "name": {"X"}, "csrf": {op.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := op.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
	})
}

// TestExpiredSession: after SessionTTL the session is refused: a GET goes to the sign-in page
// with the reason, a POST changes nothing and says why.
func TestExpiredSession(t *testing.T) {
	clk := newClock()
	s := servertest.Start(t, servertest.Options{Now: clk.Now})
	op := signIn(t, s, s.Token)
	clk.Add(console.SessionTTL - 1)
	if st, _, _ := op.do(t, "GET", "/tenants", nil); st != http.StatusOK {
		t.Fatalf("just before expiry: status %d, want 200", st)
	}
	clk.Add(1)
	st, _, loc := op.do(t, "GET", "/tenants", nil)
	if st != http.StatusSeeOther || loc != "/signin?next=%2Ftenants&reason=expired" {
		t.Fatalf("GET after expiry: %d to %q, want 303 to the sign-in page with reason=expired", st, loc)
	}
	st, body, _ := op.do(t, "GET", loc, nil)
	if st != http.StatusOK || !strings.Contains(body, "Your session has expired") {
		t.Fatalf("sign-in page: status %d, want 200 with the expiry notice:\n%s", st, body)
	}
	op2 := signIn(t, s, s.Token)
	clk.Add(console.SessionTTL)
	st, body = op2.post(t, "/tenants", url.Values{"slug": {"late"}, "name": {"Late"}})
	if st != http.StatusUnauthorized || !strings.Contains(body, "Your session has expired. Sign in again. Nothing was changed.") {
		t.Fatalf("POST after expiry: status %d, want 401 with the reason:\n%s", st, body)
	}
	if _, err := s.Operator.Tenant(context.Background(), "late"); licet.ErrorCode(err) != licet.ENotFound {
		t.Fatalf("tenant late: %v, want NotFound", err)
	}
}

// TestRevokingTheTokenEndsItsSessions: the console re-reads the token on every request.
func TestRevokingTheTokenEndsItsSessions(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	tok, _ := fabrikam(t, s)
	admin := signIn(t, s, tok.Secret)
	if err := s.Operator.RevokeToken(context.Background(), tok.ID); err != nil {
		t.Fatal(err)
	}
	st, _, loc := admin.do(t, "GET", "/", nil)
	if st != http.StatusSeeOther || !strings.Contains(loc, "reason=revoked") {
		t.Fatalf("GET / after revocation: %d to %q, want 303 to sign-in with reason=revoked", st, loc)
	}
}

// TestSignIn: wrong, empty and partner tokens get a message on the page and no session.
func TestSignIn(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	partner, err := s.Operator.CreateToken(context.Background(), licet.Token{Role: licet.RolePartner, Partner: "Northwind"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token string
		status      int
		message     string
	}{
		{"wrong", "licet_thisisnotarealtoken", http.StatusUnauthorized, "That token is unknown or revoked"},
		{"not a token", "hunter2", http.StatusUnauthorized, "That token is unknown or revoked"},
		{"empty", "", http.StatusBadRequest, "Enter an API token"},
		{"partner", partner.Secret, http.StatusForbidden, "Only operator and tenant tokens can sign in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUser(t, s)
			st, body, _ := u.do(t, "POST", "/signin", url.Values{"token": {tt.token}})
			if st != tt.status || !strings.Contains(body, tt.message) {
				t.Fatalf("status %d, want %d with %q:\n%s", st, tt.status, tt.message, body)
			}
			if strings.Contains(body, tt.token) && tt.token != "" {
				t.Error("the sign-in page repeats the token")
			}
			if st, _, _ := u.do(t, "GET", "/", nil); st != http.StatusSeeOther {
				t.Errorf("GET / after a refused sign-in: status %d, want 303 (no session)", st)
			}
		})
	}
	t.Run("next stays on this site", func(t *testing.T) {
		u := newUser(t, s)
		for next, want := range map[string]string{"/audit?action=token.": "/audit?action=token.", "//evil.example/": "/", "https://evil.example/": "/", "/\\evil.example": "/"} {
			_, _, loc := u.do(t, "POST", "/signin", url.Values{"token": {s.Token}, "next": {next}})
			if loc != want {
				t.Errorf("next=%q: redirected to %q, want %q", next, loc, want)
			}
		}
	})
}

// TestSessionCookie: HttpOnly, SameSite=Strict, and never the token's secret.
func TestSessionCookie(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := sessionCookie(t, s, "")
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/", c)
	}
	if c.Secure {
		t.Error("cookie is Secure over plain HTTP: the browser would drop it")
	}
	secretPart := strings.TrimPrefix(s.Token, "licet_")
	if strings.Contains(c.Value, secretPart[:16]) {
		t.Error("the cookie holds the token's secret")
	}
}

// sessionCookie signs in with the operator token, as a client that used forwardedProto
// (X-Forwarded-Proto) when it is not empty, and returns the session cookie set; it fails t when
// none is.
func sessionCookie(t *testing.T, s *servertest.Server, forwardedProto string) *http.Cookie {
	t.Helper()
	u := newUser(t, s)
	req, _ := http.NewRequest("POST", s.URL+"/signin", strings.NewReader(url.Values{"token": {s.Token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if forwardedProto != "" {
		req.Header.Set("X-Forwarded-Proto", forwardedProto)
	}
	resp, err := u.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "licet_session" {
			return c
		}
	}
	t.Fatal("no session cookie set")
	return nil
}

// TestTenantAdminSeesOnlyItsTenant: every console URL naming another tenant answers 404, on both
// databases, and nothing of the other tenant shows on the admin's own pages.
func TestTenantAdminSeesOnlyItsTenant(t *testing.T) {
	servertest.Each(t, servertest.Options{}, func(t *testing.T, s *servertest.Server) {
		contoso, fab := fabrikam(t, s)
		admin := signIn(t, s, contoso.Secret)
		tests := []struct {
			method, path string
			want         int
		}{
			{"GET", "/", 200},
			{"GET", "/tenants/contoso", 200},
			{"GET", "/tokens", 200},
			{"GET", "/tokens?tenant=contoso", 200},
			{"GET", "/audit", 200},
			{"GET", "/audit?tenant=contoso", 200},
			{"GET", "/catalog", 200},
			{"GET", "/tenants/fabrikam", 404},
			{"GET", "/tenants/nosuchtenant", 404},
			{"GET", "/tenants", 404},
			{"GET", "/tokens?tenant=fabrikam", 404},
			{"GET", "/audit?tenant=fabrikam", 404},
			{"POST", "/tenants", 404},
			{"GET", "/tenants/contoso/licenses", 200},
			{"GET", "/tenants/contoso/users", 200},
			{"GET", "/tenants/contoso/bulk", 200},
			{"GET", "/tenants/contoso/groups", 200},
			{"GET", "/advisor", 200},
			{"GET", "/tenants/fabrikam/licenses", 404},
			{"GET", "/tenants/fabrikam/users", 404},
			{"GET", "/tenants/fabrikam/users/someone@fabrikam.com", 404},
			{"GET", "/tenants/fabrikam/bulk", 404},
			{"GET", "/tenants/fabrikam/bulk/somejob/report.csv", 404},
			{"GET", "/tenants/fabrikam/groups", 404},
			{"POST", "/tenants/fabrikam/licenses/buy", 404},
			{"POST", "/tenants/fabrikam/users/someone@fabrikam.com/assign", 404},
			{"POST", "/tenants/fabrikam/bulk", 404},
			{"POST", "/tenants/fabrikam/groups", 404},
			{"POST", fmt.Sprintf("/tokens/%d/revoke", fab.ID), 404},
		}
		for _, tt := range tests {
			var st int
			var body string
			if tt.method == "POST" {
				st, body = admin.post(t, tt.path, url.Values{"slug": {"sneaky"}, "name": {"Sneaky"}})
			} else {
				st, body, _ = admin.do(t, "GET", tt.path, nil)
			}
			if st != tt.want {
				t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, st, tt.want)
			}
			if strings.Contains(strings.ToLower(body), "fabrikam") && !strings.Contains(tt.path, "fabrikam") {
				t.Errorf("%s %s shows fabrikam to contoso's admin", tt.method, tt.path)
			}
		}
		toks, err := s.Operator.Tokens(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range toks {
			if k.ID == fab.ID && k.RevokedAt != nil {
				t.Error("contoso's admin revoked fabrikam's token")
			}
		}
		if _, err := s.Operator.Tenant(context.Background(), "sneaky"); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("tenant sneaky: %v, want NotFound", err)
		}
	})
}

// TestTenantForm: errors appear beside the field they concern, with what was typed kept.
func TestTenantForm(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	op := signIn(t, s, s.Token)
	tests := []struct {
		name   string
		form   url.Values
		status int
		field  string
		msg    string
	}{
		{"bad slug", url.Values{"slug": {"Bad Slug"}, "name": {"Kept Name"}}, 400, "slug", "use 1 to 63 lowercase letters"},
		{"no name", url.Values{"slug": {"noname"}}, 400, "name", "name is required"},
		{"bad usage location", url.Values{"slug": {"ul"}, "name": {"Kept Name"}, "usageLocation": {"XX"}}, 400, "usageLocation", "is not an ISO 3166-1 alpha-2 country code"},
		{"bad cloud", url.Values{"slug": {"cl"}, "name": {"Kept Name"}, "cloud": {"mars"}}, 400, "cloud", "is unknown: use one of global, 21vianet"},
		{"slug taken", url.Values{"slug": {"contoso"}, "name": {"Kept Name"}}, 409, "slug", "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := op.post(t, "/tenants", tt.form)
			if st != tt.status {
				t.Errorf("status %d, want %d", st, tt.status)
			}
			errID := `id="f-` + tt.field + `-err"`
			i := strings.Index(body, errID)
			if i < 0 || !strings.Contains(body[i:min(len(body), i+400)], tt.msg) {
				t.Errorf("no error %q beside field %s:\n%s", tt.msg, tt.field, body)
			}
			if !strings.Contains(body, `aria-invalid="true"`) {
				t.Error("the invalid field is not marked aria-invalid")
			}
			if name := tt.form.Get("name"); name != "" && !strings.Contains(body, `value="`+name+`"`) {
				t.Error("what was typed is lost")
			}
		})
	}
	st, body, loc := op.do(t, "POST", "/tenants", url.Values{"csrf": {op.csrf}, "slug": {"northwind"}, "name": {"Northwind Traders"}, "usageLocation": {"GB"}})
	if st != http.StatusSeeOther || loc != "/tenants/northwind" {
		t.Fatalf("create: %d to %q, want 303 to /tenants/northwind:\n%s", st, loc, body)
	}
	st, body, _ = op.do(t, "GET", loc, nil)
	if st != 200 || !strings.Contains(body, "Tenant Northwind Traders (northwind) created.") {
		t.Fatalf("tenant page: %d, want the notice of creation:\n%s", st, body)
	}
}

// TestTokensPage: a created token's secret is shown once, then only its record; revoking works
// and is audited.
func TestTokensPage(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	op := signIn(t, s, s.Token)
	st, body := op.post(t, "/tokens", url.Values{"role": {"tenant"}, "tenant": {"contoso"}, "label": {"from the console"}})
	if st != http.StatusCreated {
		t.Fatalf("create token: status %d, want 201:\n%s", st, body)
	}
	m := regexpSecret.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the new token's secret is not shown:\n%s", body)
	}
	tok := m[1]
	if _, _, loc := newUser(t, s).do(t, "POST", "/signin", url.Values{"token": {tok}}); loc != "/" {
		t.Fatalf("signing in with the new token went to %q", loc)
	}
	_, list, _ := op.do(t, "GET", "/tokens", nil)
	if strings.Contains(list, tok) {
		t.Fatal("the tokens page shows a secret again")
	}
	toks, err := s.Operator.Tokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id := toks[len(toks)-1].ID
	if st, _ := op.post(t, fmt.Sprintf("/tokens/%d/revoke", id), nil); st != http.StatusSeeOther {
		t.Fatalf("revoke: status %d, want 303", st)
	}
	es, err := s.Operator.Audit(context.Background(), licet.AuditFilter{Action: "token.revoke"})
	if err != nil || len(es) != 1 || es[0].Object != fmt.Sprintf("token:%d", id) {
		t.Fatalf("audit of the revocation: %+v, %v", es, err)
	}
	st, body = op.post(t, "/tokens", url.Values{"role": {"tenant"}, "tenant": {"nosuch"}})
	if st != http.StatusNotFound || !strings.Contains(body, `id="f-tenant-err"`) {
		t.Fatalf("token for an unknown tenant: status %d, want 404 with the error on the tenant field", st)
	}
}

// TestAPIUnchanged: the console takes only what the API does not; /v1 keeps its JSON errors.
func TestAPIUnchanged(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	for path, want := range map[string]string{"/v1/nope": "application/json", "/v1": "application/json", "/healthz": "application/json", "/nope": "text/html; charset=utf-8", "/static/console.css": "text/css; charset=utf-8"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Type"); got != want {
			t.Errorf("GET %s: Content-Type %q, want %q", path, got, want)
		}
	}
}

// TestSessionCookieBehindTLSProxy: the session cookie is Secure when a trusted proxy says the
// client used HTTPS, and not when the same header comes from a peer that is not trusted.
func TestSessionCookieBehindTLSProxy(t *testing.T) {
	for _, tt := range []struct {
		name    string
		trusted []string
		want    bool
	}{
		{"trusted proxy", []string{"127.0.0.1/32"}, true},
		{"untrusted peer", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := servertest.Start(t, servertest.Options{TrustedProxies: tt.trusted})
			if c := sessionCookie(t, s, "https"); c.Secure != tt.want {
				t.Errorf("session cookie Secure = %v, want %v", c.Secure, tt.want)
			}
		})
	}
}
