package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/server/servertest"
)

func TestHealthReadyMetrics(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	for _, path := range []string{"/healthz", "/readyz", "/v1/signing-key"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d, want 200", path, resp.StatusCode)
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noRedirect.Get(s.URL + "/"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`licet_http_requests_total{code="200",route="GET /healthz"} 1`, "licet_http_request_duration_seconds_bucket", `licet_http_requests_total{code="303",route="console"} 1`, `go_sql_max_open_connections{db_name="licet"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestTenantTokenSeesOnlyItsTenant: over HTTP, a tenant token gets 404 for another tenant.
func TestTenantTokenSeesOnlyItsTenant(t *testing.T) {
	servertest.Each(t, servertest.Options{}, func(t *testing.T, s *servertest.Server) {
		ctx := context.Background()
		if _, err := s.Operator.CreateTenant(ctx, licet.Tenant{Slug: "fabrikam", Name: "Fabrikam"}); err != nil {
			t.Fatal(err)
		}
		tok, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "contoso"})
		if err != nil {
			t.Fatal(err)
		}
		c := client.New(s.URL, tok.Secret)
		if _, err := c.Tenant(ctx, "contoso"); err != nil {
			t.Fatalf("own tenant: %v", err)
		}
		err = c.Do(ctx, "GET", "/v1/tenants/fabrikam", nil, nil)
		if licet.ErrorCode(err) != licet.ENotFound {
			t.Fatalf("GET another tenant: %v, want NotFound", err)
		}
		if st := status(t, s.URL+"/v1/tenants/fabrikam", "GET", tok.Secret, ""); st != 404 {
			t.Fatalf("status %d, want 404", st)
		}
	})
}

func TestBadRequests(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	big := `{"slug":"x","name":"` + strings.Repeat("a", 2<<20) + `"}`
	tests := []struct {
		name, method, path, token, body string
		want                            int
		code                            string
	}{
		{"no token", "GET", "/v1/tenants", "", "", 401, licet.EUnauthorized},
		{"wrong token", "GET", "/v1/tenants", "licet_nope", "", 401, licet.EUnauthorized},
		{"body over limit", "POST", "/v1/tenants", s.Token, big, 413, licet.ETooLarge},
		{"not json", "POST", "/v1/tenants", s.Token, "slug=x", 400, licet.EInvalid},
		{"unknown field", "POST", "/v1/tenants", s.Token, `{"slug":"x","name":"X","color":"red"}`, 400, licet.EInvalid},
		{"two values", "POST", "/v1/tenants", s.Token, `{"slug":"x","name":"X"}{}`, 400, licet.EInvalid},
		{"wrong type", "POST", "/v1/tenants", s.Token, `{"slug":7}`, 400, licet.EInvalid},
		{"empty", "POST", "/v1/tenants", s.Token, ``, 400, licet.EInvalid},
		{"no route", "GET", "/v1/nothing", s.Token, "", 404, licet.ENotFound},
		{"bad id", "DELETE", "/v1/tokens/abc", s.Token, "", 400, licet.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, s.URL+tt.path, strings.NewReader(tt.body))
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want || !strings.Contains(string(body), `"code": "`+tt.code+`"`) {
				t.Fatalf("%s %s: %d %s, want %d with code %s", tt.method, tt.path, resp.StatusCode, body, tt.want, tt.code)
			}
		})
	}
}

func status(t *testing.T, url, method, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
