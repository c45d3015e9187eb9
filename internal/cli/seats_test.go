package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/cli"
	"github.com/licet/licet/internal/server/servertest"
)

type runner struct {
	t    *testing.T
	base []string
	dir  string
}

func (r runner) run(args ...string) (stdout, stderr string, code int) {
	r.t.Helper()
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), append(append([]string{}, r.base...), args...), func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// must runs a command that must succeed.
func (r runner) must(args ...string) string {
	r.t.Helper()
	out, errOut, code := r.run(args...)
	if code != cli.ExitOK {
		r.t.Fatalf("licet %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func (r runner) file(name, content string) string {
	r.t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// hasRow reports whether out has a table row with these cells separated by spaces.
func hasRow(out string, cells ...string) bool {
	var parts []string
	for _, c := range cells {
		parts = append(parts, regexp.QuoteMeta(c))
	}
	return regexp.MustCompile(`(?m)^` + strings.Join(parts, `\s+`) + `\s*$`).MatchString(out)
}

func (r runner) consumed() map[string]int {
	r.t.Helper()
	var skus []licet.SubscribedSKU
	if err := json.Unmarshal([]byte(r.must("skus", "--tenant", "fabrikam", "--json")), &skus); err != nil {
		r.t.Fatal(err)
	}
	out := map[string]int{}
	for _, s := range skus {
		out[s.SKU] = s.Consumed
	}
	return out
}

// TestSeatLicensingSession runs the README's session: three SKUs for five users with three
// Calling Plans, in bulk; then the dependency error for one user.
func TestSeatLicensingSession(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	r := runner{t: t, base: []string{"--server", s.URL, "--token", s.Token}, dir: t.TempDir()}
	r.must("tenant", "create", "fabrikam", "--name", "Fabrikam, Inc.", "--usage-location", "US")
	for _, b := range [][]string{{"ENTERPRISEPACK", "5"}, {"MCOEV", "5"}, {"MCOPSTN1", "3"}} {
		r.must("subscription", "buy", b[0], "--quantity", b[1], "--tenant", "fabrikam")
	}
	users := r.file("users.txt", "# users to license\nuser1@fabrikam.com\nuser2@fabrikam.com\nuser3@fabrikam.com\nuser4@fabrikam.com\nuser5@fabrikam.com\n")
	if out := r.must("user", "import", users, "--tenant", "fabrikam"); !strings.Contains(out, "5 created") {
		t.Errorf("import: %s", out)
	}
	assign := []string{"assign", "--tenant", "fabrikam", "--users", users, "--add", "ENTERPRISEPACK,MCOEV,MCOPSTN1"}

	out, _, code := r.run(append(assign, "--dry-run")...)
	if code != cli.ExitError || !strings.Contains(out, "dry run: nothing was changed") || !hasRow(out, "MCOPSTN1", "+3", "3", "3", "0") {
		t.Errorf("dry run: exit %d\n%s", code, out)
	}
	if got := r.consumed(); got["MCOPSTN1"] != 0 {
		t.Errorf("dry run consumed units: %v", got)
	}

	report := filepath.Join(r.dir, "report.json")
	out, errOut, code := r.run(append(assign, "--report", report)...)
	if code != cli.ExitError || !strings.Contains(errOut, "2 of 5 users failed") {
		t.Errorf("assign: exit %d, stderr %s", code, errOut)
	}
	for _, row := range [][]string{{"assigned", "3"}, {"failed", "2"}, {"CountViolation", "No", "units", "left", "MCOPSTN1", "2"}, {"ENTERPRISEPACK", "+3", "3", "5", "2"}} {
		if !hasRow(out, row...) {
			t.Errorf("summary has no row %v:\n%s", row, out)
		}
	}
	if !strings.Contains(out, "buy 2 more MCOPSTN1") {
		t.Errorf("summary does not say how many to buy:\n%s", out)
	}
	var rep struct {
		Results []struct {
			Line    int
			UPN     string
			Outcome string
		}
	}
	data, err := os.ReadFile(report)
	if err != nil || json.Unmarshal(data, &rep) != nil || len(rep.Results) != 5 || rep.Results[0].Line != 2 || rep.Results[4].Outcome != "failed" {
		t.Errorf("report: %s (%v)", data, err)
	}
	for sku, n := range r.consumed() {
		if n != 3 {
			t.Errorf("consumed %s = %d, want 3", sku, n)
		}
	}
	for _, upn := range []string{"user4@fabrikam.com", "user5@fabrikam.com"} {
		if out := r.must("user", "show", upn, "--tenant", "fabrikam"); !strings.Contains(out, "no licenses") {
			t.Errorf("%s kept licenses from a refused batch:\n%s", upn, out)
		}
	}

	// Re-running for the three licensed users changes nothing.
	first3 := r.file("first3.txt", "user1@fabrikam.com\nuser2@fabrikam.com\nuser3@fabrikam.com\n")
	out = r.must("assign", "--tenant", "fabrikam", "--users", first3, "--add", "ENTERPRISEPACK,MCOEV,MCOPSTN1")
	if !hasRow(out, "already assigned", "3") || !hasRow(out, "MCOPSTN1", "+0", "3", "3", "0") {
		t.Errorf("re-run:\n%s", out)
	}

	// A Calling Plan alone, on a user without Phone System.
	r.must("user", "create", "user6@fabrikam.com", "--tenant", "fabrikam")
	_, errOut, code = r.run("assign", "--tenant", "fabrikam", "--user", "user6@fabrikam.com", "--add", "MCOPSTN1")
	if code != cli.ExitError || !strings.Contains(errOut, "[DependencyViolation]") || !strings.Contains(errOut, "requires Phone System (MCOEV)") {
		t.Errorf("MCOPSTN1 alone: exit %d, %s", code, errOut)
	}
}

func TestAssignBadInput(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	r := runner{t: t, base: []string{"--server", s.URL, "--token", s.Token}, dir: t.TempDir()}
	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  []string
		fileArg string // content of the --users file
	}{
		{name: "garbage lines", fileArg: "adele.vance@contoso.com\nnot a user\nalex.wilber@contoso.com\n<<<\n", code: cli.ExitError,
			stderr: []string{":2: ", ":4: ", "2 malformed line(s)", "nothing was sent"}},
		{name: "not text", fileArg: "adele.vance@contoso.com\n\x00\x01\x02", code: cli.ExitError, stderr: []string{"not text"}},
		{name: "no tenant", args: []string{"assign", "--user", "a@b.com", "--add", "MCOEV"}, code: cli.ExitUsage},
		{name: "no change", args: []string{"assign", "--tenant", "contoso", "--user", "a@b.com"}, code: cli.ExitUsage},
		{name: "unknown SKU", args: []string{"assign", "--tenant", "contoso", "--user", "adele.vance@contoso.com", "--user", "alex.wilber@contoso.com", "--add", "NOPE"},
			code: cli.ExitError, stderr: []string{"[UnknownSKU]"}},
		{name: "unknown plan", args: []string{"assign", "--tenant", "contoso", "--user", "adele.vance@contoso.com", "--add", "ENTERPRISEPACK", "--disabled-plans", "ENTERPRISEPACK:MCOEV"},
			code: cli.ExitError, stderr: []string{"[InvalidDisabledPlan]"}},
		{name: "bad report name", args: []string{"assign", "--tenant", "contoso", "--user", "a@b.com", "--add", "MCOEV", "--report", "out.txt"}, code: cli.ExitUsage},
		{name: "negative quantity", args: []string{"subscription", "buy", "MCOEV", "--quantity", "-3", "--tenant", "contoso"}, code: cli.ExitError, stderr: []string{"negative"}},
		{name: "below consumed", args: []string{"subscription", "set-quantity", "1", "2", "--tenant", "contoso"}, code: cli.ExitError,
			stderr: []string{"13 are assigned", "remove 11", "[Conflict]"}},
	}
	before := r.must("skus", "--tenant", "contoso")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.fileArg != "" {
				args = []string{"assign", "--tenant", "contoso", "--users", r.file("list.txt", tt.fileArg), "--add", "MCOPSTNC"}
			}
			_, errOut, code := r.run(args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errOut)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr %q does not say %q", errOut, s)
				}
			}
		})
	}
	if after := r.must("skus", "--tenant", "contoso"); after != before {
		t.Errorf("bad input changed the seats:\nbefore\n%s\nafter\n%s", before, after)
	}
}
