package licet_test

import (
	"fmt"
	"go/ast"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// camelName is the naming rule of the public API (docs/ARCHITECTURE.md, "One naming rule"):
// lowerCamelCase, initialisms written as words (hostId, onPremisesPstn, not hostID).
var camelName = regexp.MustCompile(`^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)*$`)

// graphNames are the fields a short name must not stand for: Graph's name is the rule.
var graphNames = map[string]string{
	"upn":        "userPrincipalName",
	"sku":        "skuPartNumber",
	"partNumber": "skuPartNumber",
}

// nameProblem says why a field name breaks the rule, or "" when it keeps it.
func nameProblem(name string) string {
	if want, ok := graphNames[name]; ok {
		return fmt.Sprintf("%q must be %q (Graph's name)", name, want)
	}
	if !camelName.MatchString(name) {
		return fmt.Sprintf("%q is not lowerCamelCase", name)
	}
	return ""
}

// openAPINames returns every property name and query parameter of docs/openapi.yaml, with its
// place in the document.
func openAPINames(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	names := map[string]string{} // "place" → name
	var walk func(n *yaml.Node, place string)
	walk = func(n *yaml.Node, place string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", place, i))
			}
		case yaml.MappingNode:
			var in string
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "in" {
					in = n.Content[i+1].Value
				}
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				switch {
				case k.Value == "properties" && v.Kind == yaml.MappingNode:
					for j := 0; j+1 < len(v.Content); j += 2 {
						names[fmt.Sprintf("%s.properties (line %d)", place, v.Content[j].Line)] = v.Content[j].Value
					}
				case k.Value == "name" && in == "query":
					names[fmt.Sprintf("%s query parameter (line %d)", place, v.Line)] = v.Value
				}
				walk(v, place+"."+k.Value)
			}
		}
	}
	walk(&root, "")
	return names
}

// storedFormats are the Go types whose JSON is a signed or stored format, not the API: their names
// stay as they are (docs/ARCHITECTURE.md says why).
var storedFormats = []string{
	"ticket.Ticket",      // signed ticket payloads
	"agent.State",        // the agent's state file
	"agent.KMSState",     // under "kms" in the agent's state file
	"agent.OfflineState", // under "offline" in the agent's state file
}

// goJSONNames returns the JSON names of every struct field of the module's production code,
// outside the stored formats, with its place.
func goJSONNames(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	names := map[string]string{}
	walkSource(t, fset, func(path string, f *ast.File) {
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, spec := range g.Specs {
				ts := spec.(*ast.TypeSpec)
				if slices.Contains(storedFormats, f.Name.Name+"."+ts.Name.Name) {
					continue
				}
				ast.Inspect(ts.Type, func(n ast.Node) bool {
					field, ok := n.(*ast.Field)
					if !ok || field.Tag == nil {
						return true
					}
					tag, _ := strconv.Unquote(field.Tag.Value)
					name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
					if name != "" && name != "-" {
						names[fset.Position(field.Pos()).String()] = name
					}
					return true
				})
			}
		}
	})
	return names
}

// detailNames returns the keys of error details set in the production code (e.With("key", v)
// with a literal key): they reach clients in the error body's details, so the rule holds there too.
func detailNames(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	names := map[string]string{}
	walkSource(t, fset, func(path string, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "With" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				key, _ := strconv.Unquote(lit.Value)
				names[fset.Position(lit.Pos()).String()] = key
			}
			return true
		})
	})
	return names
}

// TestNamingRule fails on any property or query parameter of docs/openapi.yaml, and on any JSON
// field of the Go types (the API, the SDK, the KMS host protocol, the CLI's --json), that breaks
// the naming rule.
func TestNamingRule(t *testing.T) {
	doc := openAPINames(t, "docs/openapi.yaml")
	code := goJSONNames(t)
	details := detailNames(t)
	if len(doc) < 100 || len(code) < 100 || len(details) < 20 {
		t.Fatalf("found %d names in docs/openapi.yaml, %d JSON tags and %d error details in the Go source: the walk is broken", len(doc), len(code), len(details))
	}
	for _, set := range []struct {
		what  string
		names map[string]string
	}{{"docs/openapi.yaml", doc}, {"Go JSON tag", code}, {"error detail", details}} {
		var bad []string
		for place, name := range set.names {
			if p := nameProblem(name); p != "" {
				bad = append(bad, fmt.Sprintf("%s %s: %s", set.what, place, p))
			}
		}
		slices.Sort(bad)
		for _, b := range bad {
			t.Error(b)
		}
	}
}
