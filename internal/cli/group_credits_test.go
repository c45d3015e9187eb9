package cli_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/cli"
	"github.com/licet/licet/internal/server/servertest"
)

// TestGroupLicensingSession runs the README's group session: 12 members, 10 units → 10 Active
// and 2 in Error with CountViolation; 2 more units and a reprocess → 12 Active; a member who
// leaves frees its unit.
func TestGroupLicensingSession(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	r := runner{t: t, base: []string{"--server", s.URL, "--token", s.Token}, dir: t.TempDir()}
	r.must("tenant", "create", "fabrikam", "--name", "Fabrikam, Inc.", "--usage-location", "US")
	r.must("subscription", "buy", "ENTERPRISEPACK", "--quantity", "10", "--tenant", "fabrikam")
	var list, upns []string
	for i := 1; i <= 12; i++ {
		upn := fmt.Sprintf("user%02d@fabrikam.com", i)
		list, upns = append(list, upn), append(upns, upn)
	}
	r.must("user", "import", r.file("users.txt", strings.Join(list, "\n")+"\n"), "--tenant", "fabrikam")
	r.must("group", "create", "Sales", "--tenant", "fabrikam")
	r.must(append([]string{"group", "add", "Sales", "--tenant", "fabrikam"}, upns...)...)

	out, errOut, code := r.run("group", "assign", "Sales", "--tenant", "fabrikam", "--add", "ENTERPRISEPACK")
	if code != cli.ExitError || !strings.Contains(out, "10 active, 2 in error") || !strings.Contains(errOut, "2 member(s) in error") {
		t.Errorf("group assign: exit %d\n%s%s", code, out, errOut)
	}
	if n := len(regexp.MustCompile(`(?m)^user\d\d@fabrikam.com\s+Error\s+CountViolation: no units of Office 365 Enterprise E3`).FindAllString(out, -1)); n != 2 {
		t.Errorf("%d members shown in Error with CountViolation, want 2:\n%s", n, out)
	}
	if !hasRow(out, "ENTERPRISEPACK", "+10", "10", "10", "0") {
		t.Errorf("no seat row:\n%s", out)
	}
	out = r.must("user", "show", "user12@fabrikam.com", "--tenant", "fabrikam")
	if !regexp.MustCompile(`ENTERPRISEPACK\s+via group Sales\s+Error\s+MCOSTANDARD Error, EXCHANGE_S_ENTERPRISE Error\s+CountViolation`).MatchString(out) {
		t.Errorf("user show of a member in error:\n%s", out)
	}

	r.must("subscription", "buy", "ENTERPRISEPACK", "--quantity", "2", "--tenant", "fabrikam")
	out = r.must("group", "reprocess", "--tenant", "fabrikam")
	if !strings.Contains(out, "12 active, 0 in error") {
		t.Errorf("reprocess:\n%s", out)
	}
	if got := r.consumed()["ENTERPRISEPACK"]; got != 12 {
		t.Errorf("consumed after reprocess = %d, want 12", got)
	}
	out = r.must("user", "show", "user12@fabrikam.com", "--tenant", "fabrikam")
	if !regexp.MustCompile(`ENTERPRISEPACK\s+via group Sales\s+Active\s+MCOSTANDARD Success`).MatchString(out) {
		t.Errorf("user show after reprocess:\n%s", out)
	}
	r.must("group", "remove", "Sales", "user01@fabrikam.com", "--tenant", "fabrikam")
	if got := r.consumed()["ENTERPRISEPACK"]; got != 11 {
		t.Errorf("consumed after a member left = %d, want 11", got)
	}

	// A group SKU whose prerequisite the group lacks.
	r.must("subscription", "buy", "MCOEV", "--quantity", "5", "--tenant", "fabrikam")
	r.must("subscription", "buy", "MCOPSTN1", "--quantity", "5", "--tenant", "fabrikam")
	_, errOut, code = r.run("group", "assign", "Sales", "--tenant", "fabrikam", "--add", "MCOPSTN1")
	if code != cli.ExitError || !strings.Contains(errOut, "[DependencyViolation]") || !strings.Contains(errOut, "licet group assign --tenant fabrikam Sales --add MCOEV") {
		t.Errorf("a Calling Plan without Phone System in the group: exit %d, %s", code, errOut)
	}
	if _, _, code := r.run("group", "assign", "Sales", "--tenant", "fabrikam"); code != cli.ExitUsage {
		t.Errorf("group assign without --add or --remove: exit %d, want usage", code)
	}
}

// TestCreditsAndNumbersSession runs the README's credits and numbers session.
func TestCreditsAndNumbersSession(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	r := runner{t: t, base: []string{"--server", s.URL, "--token", s.Token}, dir: t.TempDir()}
	r.must("tenant", "create", "fabrikam", "--name", "Fabrikam, Inc.", "--usage-location", "US")
	r.must("subscription", "buy", "ENTERPRISEPACK", "--quantity", "5", "--tenant", "fabrikam")
	_, errOut, code := r.run("credits", "signup", "--tenant", "fabrikam")
	if code != cli.ExitError || !strings.Contains(errOut, "[PrerequisiteMissing]") {
		t.Errorf("sign-up without the prerequisites: exit %d, %s", code, errOut)
	}
	for _, sku := range []string{"MCOEV", "MCOPSTN1", "MCOMEETADV"} {
		r.must("subscription", "buy", sku, "--quantity", "5", "--tenant", "fabrikam")
	}
	r.must("credits", "signup", "--tenant", "fabrikam")
	r.must("credits", "add", "--tenant", "fabrikam", "--amount", "10.00")
	out := r.must("credits", "auto-recharge", "--tenant", "fabrikam", "--threshold", "5.00", "--amount", "20.00")
	if !strings.Contains(out, "auto-recharge: 20.00 USD when a charge takes the balance under 5.00 USD") {
		t.Errorf("auto-recharge:\n%s", out)
	}
	out = r.must("credits", "charge", "--tenant", "fabrikam", "--amount", "6.00", "--reason", "dial-out minutes")
	if !strings.Contains(out, "balance 24.00 USD") || !regexp.MustCompile(`recharge\s+\+20.00\s+30.00\s+USD\s+auto-recharge: 1 × 20.00 \(balance under 5.00\)\n.*charge\s+-6.00\s+24.00`).MatchString(out) {
		t.Errorf("charge with auto-recharge:\n%s", out)
	}
	for _, bad := range [][]string{{"--amount", "-5"}, {"--amount", "12.345"}, {"--amount", "ten"}, {}} {
		if _, errOut, code := r.run(append([]string{"credits", "add", "--tenant", "fabrikam"}, bad...)...); code != cli.ExitUsage {
			t.Errorf("credits add %v: exit %d, want usage; %s", bad, code, errOut)
		}
	}
	var ledger []licet.LedgerEntry
	if err := json.Unmarshal([]byte(r.must("credits", "ledger", "--tenant", "fabrikam", "--json")), &ledger); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, e := range ledger {
		sum += e.Amount
	}
	if sum != 2400 || len(ledger) != 4 {
		t.Errorf("ledger sums to %d over %d entries, want 2400 over 4", sum, len(ledger))
	}

	r.must("number", "add", "+1 206 555 0100", "+12065550101", "--country", "US", "--tenant", "fabrikam")
	_, errOut, code = r.run("number", "add", "+33123456789", "--country", "US", "--tenant", "fabrikam")
	if code != cli.ExitError || !strings.Contains(errOut, "is a number of FR") {
		t.Errorf("a French number for the US: exit %d, %s", code, errOut)
	}
	r.must("user", "create", "ana@fabrikam.com", "--tenant", "fabrikam")
	_, errOut, code = r.run("number", "assign", "+12065550100", "ana@fabrikam.com", "--tenant", "fabrikam")
	if code != cli.ExitError || !strings.Contains(errOut, "[NumberNeedsCallingPlan]") {
		t.Errorf("a number without a Calling Plan: exit %d, %s", code, errOut)
	}
	r.must("assign", "--tenant", "fabrikam", "--user", "ana@fabrikam.com", "--add", "ENTERPRISEPACK,MCOEV,MCOPSTN1")
	r.must("number", "assign", "+12065550100", "ana@fabrikam.com", "--tenant", "fabrikam")
	r.must("assign", "--tenant", "fabrikam", "--user", "ana@fabrikam.com", "--add", "MCOMEETADV")
	out = r.must("user", "show", "ana@fabrikam.com", "--tenant", "fabrikam")
	if !strings.Contains(out, "phone number: +12065550100") || !strings.Contains(out, "audio conferencing provider: the operator's bridge") {
		t.Errorf("user show:\n%s", out)
	}
	out = r.must("user", "set-provider", "ana@fabrikam.com", "--provider", "ACME Conferencing", "--tenant", "fabrikam")
	if !strings.Contains(out, "audio conferencing provider: ACME Conferencing (third party)") {
		t.Errorf("set-provider:\n%s", out)
	}
	if out := r.must("number", "list", "--tenant", "fabrikam", "--free"); !hasRow(out, "+12065550101", "US", "-", "-") || strings.Contains(out, "+12065550100") {
		t.Errorf("free numbers:\n%s", out)
	}
}
