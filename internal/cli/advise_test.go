package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/advisor"
)

// runAdvise runs `licet advise args…` and returns its output and error. It adds the advise
// command to the root only when the root does not have it yet.
func runAdvise(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{ctx: context.Background(), env: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
	root := a.rootCommand()
	if c, _, err := root.Find([]string{"advise"}); err != nil || c == root {
		cmd := a.adviseCommand()
		setUsageArgs(cmd)
		root.AddCommand(cmd)
	}
	root.SetArgs(append([]string{"advise"}, args...))
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(context.Background())
	return stdout.String(), stderr.String(), err
}

func TestAdviseTables(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // regular expressions the output must match
	}{
		{"add-ons in order, with the comparison", []string{"--plan", "ENTERPRISEPACK", "--feature", "pstn-calling-domestic", "--country", "US"}, []string{
			`Answer:  buy add-ons on the current plan`,
			`(?m)^1\s+MCOEV\s+Phone System\s+-\s+8\.00 USD$`,
			`(?m)^2\s+MCOPSTN1\s+.*MCOEV \(prereq-calling-plan-needs-phone-system\)`,
			`Cheaper: the add-ons on the current plan, 40\.00 USD against 44\.00 USD for ENTERPRISEPREMIUM_NOPSTNCONF`,
			`MCOPSTN5 \[NotAvailable avail-small-calling-plans-not-us\]`,
			`existing-carrier\), and buy MCOEV`}},
		{"switch", []string{"--plan", "O365_BUSINESS_PREMIUM", "--feature", "phone-system"}, []string{
			`Answer:  the plan must be switched`,
			`(?m)^STANDARDPACK\s+MCOEV\s+16\.00 USD\s+rule bar-business-premium-cloud-voice$`,
			`Way out: switch to Office 365 Enterprise E5`}},
		{"monthly term", []string{"--plan", "ENTERPRISEPACK", "--term", "monthly", "--feature", "phone-system"}, []string{
			`(?m)^ENTERPRISEPACK \(annual\)\s+MCOEV\s+28\.00 USD\s+rule term-addons-need-annual-base$`}},
		{"satisfied", []string{"--plan", "ENTERPRISEPREMIUM", "--feature", "audio-conferencing"}, []string{
			`Answer:  already satisfied`, `By:      ENTERPRISEPREMIUM`}},
		{"rooms of a plan", []string{"rooms", "--plan", "ENTERPRISEPACK"}, []string{
			`(?m)^room-phone-number\s+enterprise\s+ENTERPRISEPREMIUM\s+-\s+35\.00 USD\s+rules add MCOPSTN1$`,
			`(?m)^room-meeting-dial-out\s+enterprise\s+STANDARDPACK \+ MCOMEETADV\s+-\s+12\.00 USD\s+ok$`}},
		{"all rooms", []string{"rooms"}, []string{
			`(?m)^room-phone-number\s+business,proplus,sfb\s+MCOSTANDARD \+ MCOEV \+ MCOPSTN1\s+MCOPSTNC\s+25\.50 USD\s+ok$`,
			`(?m)^room-ad-hoc-meeting\s+sfb-server\s+sfb-server-standard-cal \+ sfb-server-enterprise-cal\s+-\s+-\s+ok$`}},
		{"features", []string{"features"}, []string{`(?m)^pstn-calling-domestic\s+person\s+Calls`, `(?m)^room-phone-number\s+room\s+`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := runAdvise(t, tc.args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			for _, re := range tc.want {
				if !regexp.MustCompile(re).MatchString(out) {
					t.Errorf("output does not match %s:\n%s", re, out)
				}
			}
		})
	}
	if out, _, _ := runAdvise(t, "rooms", "--plan", "ENTERPRISEPACK"); strings.Count(out, "\n") != 15 {
		t.Errorf("rooms --plan ENTERPRISEPACK: %d lines, want a header and 14 rows:\n%s", strings.Count(out, "\n"), out)
	}
}

func TestAdviseJSON(t *testing.T) {
	out, _, err := runAdvise(t, "--plan", "STANDARDPACK", "--feature", "phone-system-voicemail", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var a advisor.Answer
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if a.Status != advisor.StatusBuy || a.Buy == nil || len(a.Buy.Steps) != 2 || a.Comparison == nil || a.Comparison.BundleSKU != "ENTERPRISEPACK" {
		t.Errorf("answer %+v, want two purchases compared with ENTERPRISEPACK", a)
	}
	if !strings.Contains(out, `"price": {`) || !strings.Contains(out, `"amount": 800`) {
		t.Errorf("JSON without lower-case prices:\n%s", out)
	}
}

func TestAdviseErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\nskus:\n  - part: X\n    name: X\n    kind: plugin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		usage bool
		code  string
		msg   string
	}{
		{"no feature", []string{"--plan", "ENTERPRISEPACK"}, true, "", "licet advise features"},
		{"no plan or tenant", []string{"--feature", "phone-system"}, true, "", "--tenant"},
		{"unknown flag", []string{"--plan", "ENTERPRISEPACK", "--feature", "phone-system", "--bogus"}, true, "", "bogus"},
		{"unknown plan", []string{"--plan", "E3", "--feature", "phone-system"}, false, "UnknownSKU", "ENTERPRISEPACK"},
		{"unknown feature", []string{"--plan", "ENTERPRISEPACK", "--feature", "fax"}, false, licet.CodeUnknownFeature, "pstn-calling-domestic"},
		{"bad country", []string{"--plan", "ENTERPRISEPACK", "--feature", "phone-system", "--country", "XX"}, false, licet.EInvalid, "XX"},
		{"unknown family", []string{"rooms", "--plan", "nope"}, false, licet.CodeUnknownFamily, "enterprise"},
		{"bad catalog", []string{"features", "--catalog", bad}, false, "", "1 error(s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runAdvise(t, tc.args...)
			var ue usageError
			if isUsage := errors.As(err, &ue) || err != nil && isCobraUsage(err); err == nil || isUsage != tc.usage {
				t.Fatalf("error %v, want usage error: %v", err, tc.usage)
			}
			if tc.code != "" && licet.ErrorCode(err) != tc.code {
				t.Errorf("code %q, want %q (%v)", licet.ErrorCode(err), tc.code, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestAdviseOtherCatalog(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tiny.yaml")
	tiny := `name: tiny
plans:
  - {id: CORE, name: Core}
  - {id: EXTRA, name: Extra}
skus:
  - {part: BASIC, name: Basic, kind: base, monthly_price: {amount: 100, currency: CHF}, plans: [CORE]}
  - {part: EXTRA, name: Extra, kind: addon, monthly_price: {amount: 50, currency: CHF}, plans: [EXTRA]}
features:
  - {id: extra, name: Extra things, satisfied_by: [{plans: [CORE, EXTRA]}]}
`
	if err := os.WriteFile(file, []byte(tiny), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runAdvise(t, "--catalog", file, "--plan", "BASIC", "--feature", "extra")
	if err != nil || !regexp.MustCompile(`(?m)^1\s+EXTRA\s+Extra\s+-\s+0\.50 CHF$`).MatchString(out) || !strings.Contains(out, "1.50 CHF") {
		t.Errorf("tiny catalog: %v\n%s", err, out)
	}
}

// TestAdviseTenant covers the --tenant hook: the catalog, the tenant's org and subscriptions
// come from the server; a server error is shown as it is.
func TestAdviseTenant(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/catalog/source", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"name": "m365-teams", "content": string(catalogs.M365Teams())})
	})
	mux.HandleFunc("GET /v1/tenants/contoso", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"slug":"contoso","orgType":"commercial","cloud":"global","usageLocation":"US"}`))
	})
	mux.HandleFunc("GET /v1/tenants/contoso/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`[{"skuPartNumber":"O365_BUSINESS_PREMIUM"},{"skuPartNumber":"ENTERPRISEPACK","term":"annual"}]`))
	})
	mux.HandleFunc("GET /v1/tenants/fabrikam", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"slug":"fabrikam","orgType":"commercial","cloud":"global"}`))
	})
	mux.HandleFunc("GET /v1/tenants/fabrikam/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":"NotFound","message":"no such route"}}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// A Business Premium user in a tenant that also owns E3 may get Phone System (the bar holds
	// only when every base is Business Premium).
	out, _, err := runAdvise(t, "--server", srv.URL, "--token", "licet_x", "--tenant", "contoso", "--plan", "O365_BUSINESS_PREMIUM", "--feature", "phone-system")
	if err != nil || !strings.Contains(out, "buy add-ons on the current plan") || !regexp.MustCompile(`(?m)^1\s+MCOEV\s`).MatchString(out) {
		t.Errorf("tenant contoso: %v\n%s", err, out)
	}
	// The tenant's country (US) applies: the 120-minute plan is not sold there.
	out, _, err = runAdvise(t, "--server", srv.URL, "--token", "licet_x", "--tenant", "contoso", "--plan", "ENTERPRISEPACK", "--feature", "pstn-calling-domestic")
	if err != nil || !strings.Contains(out, "not available in US") {
		t.Errorf("tenant contoso's country: %v\n%s", err, out)
	}
	_, _, err = runAdvise(t, "--server", srv.URL, "--token", "licet_x", "--tenant", "fabrikam", "--feature", "phone-system")
	if licet.ErrorCode(err) != licet.ENotFound || !strings.Contains(err.Error(), "no such route") {
		t.Errorf("missing route: %v, want the server's NotFound error", err)
	}
}
