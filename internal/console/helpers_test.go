package console_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

// newClock returns the injected clock of a test server, at the console tests' morning.
func newClock() *servertest.Clock {
	return servertest.NewClock(time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC))
}

// user is a console user without a browser: a cookie jar, and the CSRF token of its session.
type user struct {
	c    *http.Client
	base string
	csrf string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// newUser returns a user that is not signed in; it does not follow redirects, so tests see them.
func newUser(t *testing.T, s *servertest.Server) *user {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &user{base: s.URL, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs in with the token and reads the CSRF token of the new session.
func signIn(t *testing.T, s *servertest.Server, token string) *user {
	t.Helper()
	u := newUser(t, s)
	st, _, loc := u.do(t, "POST", "/signin", url.Values{"token": {token}, "next": {"/"}})
	if st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("sign in: status %d to %q, want 303 to /", st, loc)
	}
	st, body, _ := u.do(t, "GET", "/", nil)
	if st != http.StatusOK {
		t.Fatalf("GET / after sign-in: status %d, want 200", st)
	}
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the overview has no CSRF token")
	}
	u.csrf = m[1]
	return u
}

// do sends a request (a form for POST) and returns the status, body and Location.
func (u *user) do(t *testing.T, method, path string, form url.Values) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := u.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// post sends a form with the session's CSRF token, unless the form sets its own.
func (u *user) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", u.csrf)
	}
	st, body, _ := u.do(t, "POST", path, form)
	return st, body
}

// fabrikam adds a second tenant and a token for each tenant; it returns the contoso token.
func fabrikam(t *testing.T, s *servertest.Server) (contoso, fabrikam *licet.Token) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Operator.CreateTenant(ctx, licet.Tenant{Slug: "fabrikam", Name: "Fabrikam, Inc.", UsageLocation: "FR"}); err != nil {
		t.Fatal(err)
	}
	c, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "contoso", Label: "contoso admin"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "fabrikam", Label: "fabrikam admin"})
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

var regexpSecret = regexp.MustCompile(`<code class="secret" id="secret">(licet_[a-z0-9]+)</code>`)

// upload posts a multipart form with a file, with the session's CSRF token unless the fields set
// their own; it returns the status, body and Location.
func (u *user) upload(t *testing.T, path string, fields url.Values, file, name string, data []byte) (int, string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if _, ok := fields["csrf"]; !ok {
		_ = mw.WriteField("csrf", u.csrf)
	}
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if file != "" {
		w, err := mw.CreateFormFile(file, name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", u.base+path, &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := u.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

// mustOK fails the test on err.
func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var regexpCID = regexp.MustCompile(`<code class="cid" id="confirmation-id">([0-9-]+)</code>`)
