package console

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/internal/advisor"
	"github.com/licet/licet/internal/catalog"
)

// parseTemplates parses the layout, partials and panels once, then one clone per page with the
// page's content.
func (s *Server) parseTemplates() error {
	base, err := template.New("console").Funcs(s.funcs()).ParseFS(files, "templates/*.html", "templates/panels/*.html")
	if err != nil {
		return err
	}
	s.base = base
	s.pages = map[string]*template.Template{}
	ids := []string{"error", "signin"}
	for _, p := range registry {
		ids = append(ids, p.ID)
	}
	for _, id := range ids {
		if _, dup := s.pages[id]; dup {
			return fmt.Errorf("console: two pages have the id %q", id)
		}
		t, err := base.Clone()
		if err != nil {
			return err
		}
		if _, err := t.ParseFS(files, "templates/pages/"+id+".html"); err != nil {
			return err
		}
		s.pages[id] = t
	}
	return nil
}

// loadStatic computes a short content hash of every static file, for cache-busting URLs.
func (s *Server) loadStatic() error {
	s.static = map[string]string{}
	return fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		s.static[path.Base(p)] = "?v=" + hex.EncodeToString(sum[:6])
		return nil
	})
}

// fieldView is one labelled input of a form, with its value and error after a failed submit.
type fieldView struct {
	ID, Name, Label, Type, Hint, Value, Error string
	Options                                   []string // for selects
	Required                                  bool
}

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"static": func(name string) string { return "/static/" + name + s.static[name] },
		"date":   func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"datetime": func(t time.Time) string {
			return t.UTC().Format("2 Jan 2006 15:04 UTC")
		},
		"isotime":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"money":        money,
		"add":          func(a, b int) int { return a + b },
		"sub":          func(a, b int) int { return a - b },
		"pathesc":      url.PathEscape,
		"upper":        strings.ToUpper,
		"humanize":     func(s any) string { return strings.ReplaceAll(fmt.Sprint(s), "_", " ") }, // a string or a typed closed set
		"join":         func(l []string) string { return strings.Join(l, ", ") },
		"advmoney":     advisor.Money,
		"avail":        func(enabled, consumed int) int { return max(0, enabled-consumed) },
		"has":          func(v url.Values, key, value string) bool { return slices.Contains(v[key], value) },
		"maxBulkUsers": func() int { return maxBulkUsers },
		// jobArgs passes a bulk job with the form token and the tenant to its template.
		"jobArgs": func(j *jobView, csrf, tenant string) map[string]any {
			return map[string]any{"Job": j, "CSRF": csrf, "Tenant": tenant}
		},
		// field describes an input: field form name label type hint [required].
		"field": func(f *form, name, label, typ, hint string, required ...bool) fieldView {
			v := fieldView{ID: "f-" + name, Name: name, Label: label, Type: typ, Hint: hint, Required: len(required) > 0 && required[0]}
			if f != nil {
				v.Value = f.Values.Get(name)
				v.Error = f.Errors[name]
			}
			return v
		},
		// choice is a select: choice form name label options default.
		"choice": func(f *form, name, label string, options []string, def string) fieldView {
			v := fieldView{ID: "f-" + name, Name: name, Label: label, Type: "select", Options: options, Value: def}
			if f != nil {
				if got := f.Values.Get(name); got != "" {
					v.Value = got
				}
				v.Error = f.Errors[name]
			}
			return v
		},
	}
}

// money formats an example price in minor units, e.g. "$12.00 / month".
func money(p *catalog.PriceView) string {
	if p == nil {
		return "—"
	}
	sign := map[string]string{"USD": "$", "EUR": "€", "GBP": "£"}[p.Currency]
	amount := fmt.Sprintf("%d.%02d", p.Amount/100, p.Amount%100)
	if sign == "" {
		return amount + " " + p.Currency
	}
	return sign + amount
}
