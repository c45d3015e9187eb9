package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/catalogstore/catalogtest"
)

// TestCatalogVersionsCLI runs the catalog's life as an operator would: a new database served
// without flags has the default catalog and takes a bulk assignment; a changed price is version
// 2 with a diff naming it; a version without an assigned SKU is refused with the number of users
// and the history is unchanged; --demo refuses the database; a restart without flags serves
// version 2 and assigns.
func TestCatalogVersionsCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "new.db")
	repriced := filepath.Join(dir, "repriced.yaml")
	noE3 := filepath.Join(dir, "no-e3.yaml")
	price := catalogtest.SetPrice("ENTERPRISEPACK", 2300)
	mustWrite(t, repriced, catalogtest.Edit(t, catalogs.M365Teams(), price))
	mustWrite(t, noE3, catalogtest.Edit(t, catalogs.M365Teams(), price, catalogtest.RenameSKU("ENTERPRISEPACK", "ENTERPRISEPACKV2")))
	run := func(t *testing.T, url string, want int, args ...string) (string, string) {
		t.Helper()
		code, stdout, stderr := Run(t, map[string]string{"LICET_SERVER": url, "LICET_TOKEN_FILE": db + ".token"}, args...)
		if code != want {
			t.Fatalf("licet %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout, stderr
	}
	versions := regexp.MustCompile(`(?m)^\d+\s`)

	t.Run("first start", func(t *testing.T) {
		url, _ := Serve(t, "--db", db)
		out, _ := run(t, url, 0, "catalog", "show")
		if !strings.Contains(out, "catalog m365-teams, version 1") || !regexp.MustCompile(`(?m)^ENTERPRISEPACK\s+Office 365 Enterprise E3\s+base\s+counted\s+20\.00 USD`).MatchString(out) {
			t.Errorf("catalog show on a new database:\n%s", out)
		}
		run(t, url, 0, "bench", "assign", "--users", "1000", "--tenant", "bench-cli")
		out, _ = run(t, url, 0, "catalog", "apply", repriced)
		if !strings.Contains(out, "as catalog version 2") {
			t.Errorf("apply: %s", out)
		}
		out, _ = run(t, url, 0, "catalog", "history")
		if n := len(versions.FindAllString(out, -1)); n != 2 {
			t.Errorf("history lists %d versions, want 2:\n%s", n, out)
		}
		out, _ = run(t, url, 0, "catalog", "diff", "1", "2")
		if !regexp.MustCompile(`sku\s+ENTERPRISEPACK\s+changed\s+price\s+20\.00 USD\s+23\.00 USD`).MatchString(out) {
			t.Errorf("diff 1 2 does not name the price:\n%s", out)
		}
		_, errOut := run(t, url, 1, "catalog", "apply", noE3)
		if !strings.Contains(errOut, "SKU ENTERPRISEPACK: bought in 1 subscription(s) of 1 tenant(s), assigned to 1000 user(s)") {
			t.Errorf("a version without ENTERPRISEPACK: %s", errOut)
		}
		out, _ = run(t, url, 0, "catalog", "history")
		if n := len(versions.FindAllString(out, -1)); n != 2 {
			t.Errorf("after the refusal, history lists %d versions, want 2:\n%s", n, out)
		}
		code, _, errOut := Run(t, nil, "serve", "--addr", "127.0.0.1:0", "--db", db, "--demo")
		if code != 1 || !strings.Contains(errOut, "holds other tenants (bench-cli)") {
			t.Errorf("--demo on a database with another tenant: exit %d, %s", code, errOut)
		}
	})
	t.Run("restart without flags", func(t *testing.T) {
		url, _ := Serve(t, "--db", db)
		out, _ := run(t, url, 0, "catalog", "show")
		if !strings.Contains(out, "version 2") || !strings.Contains(out, "23.00 USD") {
			t.Errorf("after a restart:\n%s", out)
		}
		out, _ = run(t, url, 0, "skus", "--tenant", "bench-cli")
		if !regexp.MustCompile(`(?m)^ENTERPRISEPACK\s+Office 365 Enterprise E3\s+Enabled\s+1000\s+0\s+0\s+1000\s+0`).MatchString(out) {
			t.Errorf("skus after a restart:\n%s", out)
		}
		run(t, url, 0, "subscription", "buy", "STANDARDPACK", "--tenant", "bench-cli", "--quantity", "1")
		run(t, url, 0, "user", "create", "new@bench.example", "--tenant", "bench-cli")
		out, _ = run(t, url, 0, "assign", "--tenant", "bench-cli", "--user", "new@bench.example", "--add", "STANDARDPACK")
		if !strings.Contains(out, "STANDARDPACK") {
			t.Errorf("assign after a restart:\n%s", out)
		}
	})
}

func mustWrite(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
}
