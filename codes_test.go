package licet_test

import (
	"go/ast"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/licet/licet"
)

// raisedCode is an error code found in the source, and where.
type raisedCode struct {
	code, at string
}

// sourceCodes walks the module's production Go files and returns the error codes they raise (the
// first argument of licet.Errorf, the Code field of a composite literal, and the argument of any
// function's parameter named code, when it is a string constant or a literal) and the codes the
// root package declares (its E* and Code* constants).
func sourceCodes(t *testing.T) (raised []raisedCode, declared map[string]string) {
	t.Helper()
	fset := token.NewFileSet()
	// consts maps "dir.Name" to the value of every string constant of the module.
	consts := map[string]string{}
	type file struct {
		dir     string
		f       *ast.File
		imports map[string]string // local name → directory in the module
	}
	var files []file
	codeParams := map[string][]int{} // "dir.name" of a function → positions of its parameters named code
	walkSource(t, fset, func(path string, f *ast.File) {
		fl := file{dir: filepath.Dir(path), f: f, imports: map[string]string{}}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			rel, ok := strings.CutPrefix(p, "github.com/licet/licet")
			if !ok {
				continue
			}
			dir := strings.TrimPrefix(rel, "/")
			if dir == "" {
				dir = "."
			}
			name := filepath.Base(p)
			if im.Name != nil {
				name = im.Name.Name
			}
			fl.imports[name] = dir
		}
		files = append(files, fl)
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok {
				i := 0
				for _, field := range fd.Type.Params.List {
					for _, n := range field.Names {
						if n.Name == "code" && !(fl.dir == "." && fd.Name.Name == "Errorf") {
							k := fl.dir + "." + fd.Name.Name
							codeParams[k] = append(codeParams[k], i)
						}
						i++
					}
					if len(field.Names) == 0 {
						i++
					}
				}
			}
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						consts[fl.dir+"."+n.Name] = v
					}
				}
			}
		}
	})
	declared = map[string]string{}
	for k, v := range consts {
		if name, root := strings.CutPrefix(k, ".."); root && isCodeName(name) {
			declared[name] = v
		}
	}
	// value resolves an expression to a string when it is a literal or a known constant.
	value := func(fl file, e ast.Expr) (string, bool) {
		switch x := e.(type) {
		case *ast.BasicLit:
			if x.Kind == token.STRING {
				v, _ := strconv.Unquote(x.Value)
				return v, true
			}
		case *ast.Ident:
			v, ok := consts[fl.dir+"."+x.Name]
			return v, ok
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				if dir, ok := fl.imports[id.Name]; ok {
					v, ok := consts[dir+"."+x.Sel.Name]
					return v, ok
				}
			}
		}
		return "", false
	}
	for _, fl := range files {
		ast.Inspect(fl.f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if isErrorf(fl.dir, fl.imports, x.Fun) && len(x.Args) > 0 {
					if v, ok := value(fl, x.Args[0]); ok {
						raised = append(raised, raisedCode{v, fset.Position(x.Pos()).String()})
					}
				}
				for _, i := range codeParams[callee(fl.dir, fl.imports, x.Fun)] {
					if i < len(x.Args) {
						if v, ok := value(fl, x.Args[i]); ok {
							raised = append(raised, raisedCode{v, fset.Position(x.Pos()).String()})
						}
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.Ident); ok && k.Name == "Code" {
					if v, ok := value(fl, x.Value); ok {
						raised = append(raised, raisedCode{v, fset.Position(x.Pos()).String()})
					}
				}
			}
			return true
		})
	}
	return raised, declared
}

// callee names the function a call calls as "dir.name": a function of the same package, of an
// imported package of the module, or a method (looked up in the caller's package).
func callee(dir string, imports map[string]string, fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return dir + "." + f.Name
	case *ast.SelectorExpr:
		if id, ok := f.X.(*ast.Ident); ok {
			if d, ok := imports[id.Name]; ok {
				return d + "." + f.Sel.Name
			}
		}
		return dir + "." + f.Sel.Name
	}
	return ""
}

// isCodeName tells the root package's error code constants by their names: EInvalid, CodeX.
func isCodeName(name string) bool {
	if rest, ok := strings.CutPrefix(name, "Code"); ok && rest != "" && rest[0] >= 'A' && rest[0] <= 'Z' {
		return true
	}
	return len(name) > 1 && name[0] == 'E' && name[1] >= 'A' && name[1] <= 'Z'
}

// isErrorf reports whether fun is licet.Errorf (or Errorf inside the root package).
func isErrorf(dir string, imports map[string]string, fun ast.Expr) bool {
	switch f := fun.(type) {
	case *ast.Ident:
		return dir == "." && f.Name == "Errorf"
	case *ast.SelectorExpr:
		id, ok := f.X.(*ast.Ident)
		return ok && imports[id.Name] == "." && f.Sel.Name == "Errorf"
	}
	return false
}

// documentedCodes reads the codes docs/openapi.yaml lists for the error body's code.
func documentedCodes(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string `yaml:"enum"`
								} `yaml:"code"`
							} `yaml:"properties"`
						} `yaml:"error"`
					} `yaml:"properties"`
				} `yaml:"Error"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	return doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum
}

// TestCodeRegistry fails when a code is raised or declared but not registered, registered but
// not documented in docs/openapi.yaml (or documented but not registered), or registered without
// a title, a meaning, a way out or a scope, or in another casing than PascalCase.
func TestCodeRegistry(t *testing.T) {
	raised, declared := sourceCodes(t)
	if len(raised) < 50 || len(declared) < 30 {
		t.Fatalf("the source scan found %d raised and %d declared codes: the scan is broken", len(raised), len(declared))
	}
	for _, r := range raised {
		if _, ok := licet.LookupCode(r.code); !ok {
			t.Errorf("%s: code %q is raised but not registered in codes.go", r.at, r.code)
		}
	}
	for name, code := range declared {
		if _, ok := licet.LookupCode(code); !ok {
			t.Errorf("licet.%s = %q is declared but not registered in codes.go", name, code)
		}
	}
	documented := documentedCodes(t)
	for _, c := range licet.Codes() {
		if !slices.Contains(documented, c.Code) {
			t.Errorf("code %s is registered but not documented in docs/openapi.yaml (components.schemas.Error…code.enum)", c.Code)
		}
		if c.Title == "" || c.Meaning == "" || c.WayOut == "" {
			t.Errorf("code %s has no title, meaning or way out", c.Code)
		}
		switch c.Scope {
		case licet.ScopeRequest, licet.ScopeBatch, licet.ScopeUser, licet.ScopeMember:
		default:
			t.Errorf("code %s has scope %q", c.Code, c.Scope)
		}
		if c.Code == "" || c.Code[0] < 'A' || c.Code[0] > 'Z' || strings.ContainsAny(c.Code, "_- ") {
			t.Errorf("code %q is not PascalCase", c.Code)
		}
	}
	for _, d := range documented {
		if _, ok := licet.LookupCode(d); !ok {
			t.Errorf("docs/openapi.yaml documents code %s, which is not registered", d)
		}
	}
}

// TestHTTPStatus checks the registry's statuses for a generic code, a rule's code and a code it
// does not hold.
func TestHTTPStatus(t *testing.T) {
	for code, want := range map[string]int{
		licet.ENotFound: 404, licet.CodeCountViolation: 422, licet.EStaleSchema: 503, "NoSuchCode": 422, licet.EInternal: 500,
	} {
		if got := licet.HTTPStatus(code); got != want {
			t.Errorf("HTTPStatus(%s) = %d, want %d", code, got, want)
		}
	}
	if licet.CodeScope(licet.CodeUnknownSKU) != licet.ScopeBatch || licet.CodeScope(licet.CodeHybridCallingPlanViolation) != licet.ScopeMember {
		t.Error("scopes of UnknownSKU and HybridCallingPlanViolation are not batch and member")
	}
}
