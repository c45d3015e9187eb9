// Package deps holds the test of the package rules of docs/ARCHITECTURE.md ("Package rules").
package deps

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/licet/licet"

// pkg is what `go list -json` says about a package.
type pkg struct {
	ImportPath string
	Standard   bool
	Imports    []string
}

// rule is a package rule: packages matching From never link a package matching Forbidden.
type rule struct {
	name      string
	from      func(path string) bool
	forbidden func(path string) bool
	direct    bool // only the package's own imports break it, not what they link
}

func under(prefixes ...string) func(string) bool {
	return func(p string) bool {
		for _, x := range prefixes {
			if p == x || strings.HasPrefix(p, x+"/") {
				return true
			}
		}
		return false
	}
}

// isTestHelper tells a test helper package: its last element ends in "test" (storetest,
// servertest, dnstest…).
func isTestHelper(p string) bool {
	return strings.HasPrefix(p, module+"/") && strings.HasSuffix(p[strings.LastIndex(p, "/")+1:], "test")
}

var central = under(module+"/internal/store", "github.com/jackc/pgx", module+"/internal/httpapi",
	module+"/internal/kmscentral", module+"/internal/activation", module+"/internal/seats", module+"/internal/tenancy")

var rules = []rule{
	{"the KMS host runs in the customer's network: it never links the central store, pgx, the API or the central services",
		under(module + "/internal/kms"), central, false},
	{"the client side (agent, KMS client, SDK), tickets and hardware hashes never link the central store, pgx, the API or the central services",
		under(module+"/client", module+"/ticket", module+"/hardware"), central, false},
	{"the console reaches services only through their interfaces (package licet): it never links the API, the store, pgx or a service's implementation",
		under(module + "/internal/console"), central, false},
	{"no production package imports a test helper (a package whose name ends in test)",
		func(p string) bool { return strings.HasPrefix(p, module) && !isTestHelper(p) }, isTestHelper, true},
}

// graph lists every package the module's packages link, with their imports (not their tests').
func graph(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Standard,Imports", module+"/...")
	cmd.Dir = "../../.."
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

// touchSources stats every Go file of the module, so that go test's cache, which records the
// files a test looks at (not those `go list` reads), runs the test again when one changes.
func touchSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir("../../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != "../../.." {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".go") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// violations returns, for each package the rule applies to, the first chain of imports that
// reaches a forbidden package.
func violations(pkgs map[string]pkg, r rule) []string {
	var out []string
	for _, p := range pkgs {
		if p.Standard || !r.from(p.ImportPath) {
			continue
		}
		// Breadth first from p, remembering how each package was reached.
		prev := map[string]string{p.ImportPath: ""}
		queue := []string{p.ImportPath}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, im := range pkgs[cur].Imports {
				if _, seen := prev[im]; seen || pkgs[im].Standard {
					continue
				}
				prev[im] = cur
				if r.direct && cur != p.ImportPath {
					continue
				}
				if r.forbidden(im) {
					chain := []string{im}
					for c := cur; c != ""; c = prev[c] {
						chain = append(chain, c)
					}
					slices.Reverse(chain)
					out = append(out, strings.Join(chain, " → "))
					queue = nil
					break
				}
				queue = append(queue, im)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestPackageRules fails on every import chain that breaks a package rule, naming the rule.
func TestPackageRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	touchSources(t)
	pkgs := graph(t)
	if _, ok := pkgs[module+"/internal/kms"]; !ok {
		t.Fatalf("go list did not list %s/internal/kms: the graph is broken", module)
	}
	for _, r := range rules {
		for _, v := range violations(pkgs, r) {
			t.Errorf("%s\n\tbreaks the rule: %s", strings.ReplaceAll(v, module+"/", ""), r.name)
		}
	}
}

// TestRulesCatch checks the test on a made-up graph: each rule finds its edge.
func TestRulesCatch(t *testing.T) {
	pkgs := map[string]pkg{
		module + "/internal/kms":             {ImportPath: module + "/internal/kms", Imports: []string{module + "/internal/kms/x"}},
		module + "/internal/kms/x":           {ImportPath: module + "/internal/kms/x", Imports: []string{"github.com/jackc/pgx/v5"}},
		"github.com/jackc/pgx/v5":            {ImportPath: "github.com/jackc/pgx/v5"},
		module + "/internal/cli":             {ImportPath: module + "/internal/cli", Imports: []string{module + "/internal/store/storetest"}},
		module + "/internal/store/storetest": {ImportPath: module + "/internal/store/storetest"},
	}
	if v := violations(pkgs, rules[0]); len(v) != 2 || !strings.HasSuffix(v[0], "pgx/v5") {
		t.Errorf("the KMS host rule found %q", v)
	}
	if v := violations(pkgs, rules[3]); len(v) != 1 || !strings.Contains(v[0], "internal/cli → ") {
		t.Errorf("the test helper rule found %q", v)
	}
}
