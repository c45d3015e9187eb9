package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

// larkspur is an invented vendor's catalog (music-production software): its own organisation
// types and clouds, two exclusive editions whose plans nest, an add-on only for schools, an
// add-on not for government sold on an annual term only, an add-on a Studio Pro user alone may
// hold, and telephony (numbers, conferencing, credits) bound to its own SKUs.
const larkspur = "../catalog/testdata/larkspur.yaml"

// refused checks that err is a refusal with code whose message or rule says each of says.
func refused(t *testing.T, what string, err error, code string, says ...string) {
	t.Helper()
	if licet.ErrorCode(err) != code {
		t.Errorf("%s: got %v, want %s", what, err, code)
		return
	}
	text := err.Error()
	if rule, ok := licet.AsError(err).Details["rule"].(string); ok {
		text += " [rule " + rule + "]"
	}
	for _, s := range says {
		if !strings.Contains(text, s) {
			t.Errorf("%s: %q does not say %q", what, text, s)
		}
	}
}

// cliRefused checks that `licet args…` exits 1 naming code and each of says.
func cliRefused(t *testing.T, s *servertest.Server, code string, says []string, args ...string) {
	t.Helper()
	out, exit := run(t, s, args...)
	if exit != 1 || !strings.Contains(out, code) {
		t.Errorf("licet %s: exit %d, want 1 and %s:\n%s", strings.Join(args, " "), exit, code, out)
		return
	}
	for _, w := range says {
		if !strings.Contains(out, w) {
			t.Errorf("licet %s: output does not say %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
}

func cliOK(t *testing.T, s *servertest.Server, args ...string) string {
	t.Helper()
	out, exit := run(t, s, args...)
	if exit != 0 {
		t.Fatalf("licet %s: exit %d:\n%s", strings.Join(args, " "), exit, out)
	}
	return out
}

// TestVendorCatalogEndToEnd runs the real server on another vendor's catalog and shows each of
// its rules refusing what it should, with its code, through the API and through the CLI.
func TestVendorCatalogEndToEnd(t *testing.T) {
	servertest.Each(t, servertest.Options{CatalogFile: larkspur}, func(t *testing.T, s *servertest.Server) {
		ctx := context.Background()
		api := s.Operator

		// Organisation types are the catalog's.
		_, err := api.CreateTenant(ctx, licet.Tenant{Slug: "acoustic", Name: "Acoustic", OrgType: "commercial"})
		refused(t, "a tenant of an org type the catalog does not declare", err, licet.EInvalid, "studio, school, label, government")
		tn, err := api.CreateTenant(ctx, licet.Tenant{Slug: "acoustic", Name: "Acoustic", UsageLocation: "DE"})
		if err != nil || tn.OrgType != "studio" || tn.Cloud != "eu" {
			t.Fatalf("create tenant: %+v, %v; want the catalog's first org type and cloud", tn, err)
		}
		cliOK(t, s, "tenant", "create", "conservatory", "--name", "Conservatory", "--org-type", "school", "--usage-location", "DE")
		cliOK(t, s, "tenant", "create", "ministry", "--name", "Ministry", "--org-type", "government", "--usage-location", "DE")
		for _, sku := range []string{"LS-STUDIO", "LS-STUDIO-PRO", "LS-FARM"} {
			if _, err := api.BuySubscription(ctx, "acoustic", licet.Subscription{SKU: sku, Quantity: 5}); err != nil {
				t.Fatalf("buy %s: %v", sku, err)
			}
		}

		// An add-on only for schools.
		_, err = api.BuySubscription(ctx, "acoustic", licet.Subscription{SKU: "LS-CLASSROOM", Quantity: 5})
		refused(t, "classroom for a studio (API)", err, "NotAvailable", "classroom-for-schools", "available to school organisations")
		cliRefused(t, s, "NotAvailable", []string{"available to school organisations"}, "subscription", "buy", "LS-CLASSROOM", "--tenant", "acoustic", "--quantity", "5")
		cliOK(t, s, "subscription", "buy", "LS-STUDIO", "--tenant", "conservatory", "--quantity", "5")
		cliOK(t, s, "subscription", "buy", "LS-CLASSROOM", "--tenant", "conservatory", "--quantity", "5")

		// An add-on not for government, with its own term rule.
		cliOK(t, s, "subscription", "buy", "LS-STUDIO", "--tenant", "ministry", "--quantity", "5")
		cliRefused(t, s, "NotAvailable", []string{"not available to government organisations"}, "subscription", "buy", "LS-VAULT", "--tenant", "ministry", "--quantity", "5")
		_, err = api.BuySubscription(ctx, "acoustic", licet.Subscription{SKU: "LS-VAULT", Quantity: 5, Term: "monthly"})
		refused(t, "vault bought monthly (API)", err, "TermRestriction", "vault-annual", "--term annual")
		cliRefused(t, s, "TermRestriction", []string{"sold only with term annual, not monthly"}, "subscription", "buy", "LS-VAULT", "--tenant", "acoustic", "--quantity", "5", "--term", "monthly")
		cliOK(t, s, "subscription", "buy", "LS-VAULT", "--tenant", "acoustic", "--quantity", "5", "--term", "annual")

		// Two exclusive editions whose plans nest: disabling plans does not get around it.
		if _, err := api.CreateUser(ctx, "acoustic", licet.User{UPN: "ann@acoustic.example"}); err != nil {
			t.Fatal(err)
		}
		if _, err := api.AssignLicense(ctx, "acoustic", "ann@acoustic.example", licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "LS-STUDIO"}}}); err != nil {
			t.Fatal(err)
		}
		_, err = api.AssignLicense(ctx, "acoustic", "ann@acoustic.example", licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "LS-STUDIO-PRO", DisabledPlans: []string{"LS_MIX", "LS_SYNC", "LS_MASTER"}}}})
		refused(t, "Pro on top of Studio, every plan disabled (API)", err, "MutuallyExclusiveViolation", "one-edition", "remove LS-STUDIO")
		cliRefused(t, s, "MutuallyExclusiveViolation", []string{"remove LS-STUDIO in the same request"},
			"assign", "--tenant", "acoustic", "--user", "ann@acoustic.example", "--add", "LS-STUDIO-PRO", "--disabled-plans", "LS_MIX,LS_SYNC,LS_MASTER")

		// A purchase rule on the user who would hold the add-on: the tenant owns Pro, Ann does not.
		_, err = api.AssignLicense(ctx, "acoustic", "ann@acoustic.example", licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "LS-FARM"}}})
		refused(t, "farm to a Studio user (API)", err, "PrerequisiteMissing", "farm-for-pro-users", "Studio Pro (LS-STUDIO-PRO)")
		cliRefused(t, s, "PrerequisiteMissing", []string{"assign Studio Pro (LS-STUDIO-PRO) to the user first"},
			"assign", "--tenant", "acoustic", "--user", "ann@acoustic.example", "--add", "LS-FARM")
		cliOK(t, s, "assign", "--tenant", "acoustic", "--user", "ann@acoustic.example", "--remove", "LS-STUDIO", "--add", "LS-STUDIO-PRO,LS-FARM")

		// Telephony bound to the catalog's own SKUs.
		_, err = api.SignUpCredits(ctx, "acoustic")
		refused(t, "credits before a line or a bridge (API)", err, "PrerequisiteMissing", "minutes-need-a-line-or-a-bridge")
		cliOK(t, s, "number", "add", "+493012345678", "--tenant", "acoustic", "--country", "DE")
		_, err = api.AssignNumber(ctx, "acoustic", "+493012345678", "ann@acoustic.example")
		refused(t, "a number without a line (API)", err, licet.CodeNumberNeedsCallingPlan, "LS_TALKBACK+LS_DIALTONE", "--add LS-TALKBACK,LS-DIALTONE")
		cliRefused(t, s, licet.CodeNumberNeedsCallingPlan, []string{"licet assign --tenant acoustic --user ann@acoustic.example --add LS-TALKBACK,LS-DIALTONE"},
			"number", "assign", "+493012345678", "ann@acoustic.example", "--tenant", "acoustic")
		cliRefused(t, s, licet.CodeProviderNeedsLicense, []string{"--add LS-SESSION"},
			"user", "set-provider", "ann@acoustic.example", "--tenant", "acoustic", "--provider", "operator")
		for _, sku := range []string{"LS-TALKBACK", "LS-DIALTONE"} {
			cliOK(t, s, "subscription", "buy", sku, "--tenant", "acoustic", "--quantity", "5")
		}
		cliRefused(t, s, "DependencyViolation", []string{"Talkback (LS_TALKBACK)"},
			"assign", "--tenant", "acoustic", "--user", "ann@acoustic.example", "--add", "LS-DIALTONE")
		cliOK(t, s, "assign", "--tenant", "acoustic", "--user", "ann@acoustic.example", "--add", "LS-TALKBACK,LS-DIALTONE")
		cliOK(t, s, "number", "assign", "+493012345678", "ann@acoustic.example", "--tenant", "acoustic")
		out := cliOK(t, s, "credits", "signup", "--tenant", "acoustic", "--json")
		var acct licet.CreditAccount
		if err := json.Unmarshal([]byte(out), &acct); err != nil || acct.Currency != "EUR" {
			t.Errorf("credits signup: %v, %+v; want an account in the catalog's currency", err, acct)
		}
		subs, err := api.Subscriptions(ctx, "acoustic")
		if err != nil {
			t.Fatal(err)
		}
		var minutes bool
		for _, sub := range subs {
			minutes = minutes || sub.SKU == "LS-MINUTES"
		}
		if !minutes {
			t.Errorf("credits signup did not buy the catalog's credits SKU LS-MINUTES: %+v", subs)
		}
	})
}

// TestAdviseReadsTheServersCatalog: `licet advise --tenant` answers from the catalog of the
// server (started with `licet serve --catalog`), not from the embedded one.
func TestAdviseReadsTheServersCatalog(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	url, _ := Serve(t, "--catalog", larkspur, "--db", db)
	tok, err := os.ReadFile(db + ".token")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LICET_SERVER": url, "LICET_TOKEN": strings.TrimSpace(string(tok))}
	do := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := Run(t, env, args...)
		if code != 0 {
			t.Fatalf("licet %s: exit %d: %s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	do("tenant", "create", "acoustic", "--name", "Acoustic", "--usage-location", "DE")
	do("subscription", "buy", "LS-STUDIO", "--tenant", "acoustic", "--quantity", "5")
	do("subscription", "buy", "LS-STUDIO-PRO", "--tenant", "acoustic", "--quantity", "5")
	do("user", "create", "ann@acoustic.example", "--tenant", "acoustic")
	do("assign", "--tenant", "acoustic", "--user", "ann@acoustic.example", "--add", "LS-STUDIO")

	out := do("advise", "--tenant", "acoustic", "--user", "ann@acoustic.example", "--feature", "mastering", "--json")
	var ans struct {
		Status string `json:"status"`
		Switch []struct {
			To struct {
				SKU string `json:"skuPartNumber"`
			} `json:"switchTo"`
			Drop []string `json:"drop"`
		} `json:"switch"`
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatalf("advise --json: %v\n%s", err, out)
	}
	if ans.Status != "switch" || len(ans.Switch) == 0 || ans.Switch[0].To.SKU != "LS-STUDIO-PRO" || len(ans.Switch[0].Drop) != 1 || ans.Switch[0].Drop[0] != "LS-STUDIO" {
		t.Errorf("advise --tenant on the server's catalog: got %s", out)
	}
	// Owning both editions, the question needs the user: the advisor will not guess.
	code, _, stderr := Run(t, env, "advise", "--tenant", "acoustic", "--feature", "mastering")
	if code != 1 || !strings.Contains(stderr, "one-edition") {
		t.Errorf("advise without --user on a tenant owning both editions: exit %d, %s", code, stderr)
	}
	if out := do("advise", "features", "--tenant", "acoustic"); !strings.Contains(out, "render-farm") || strings.Contains(out, "pstn-calling") {
		t.Errorf("advise features --tenant lists another catalog's features:\n%s", out)
	}
}
