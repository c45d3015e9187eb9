package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/httpapi"
	"github.com/licet/licet/internal/server/servertest"
	"github.com/licet/licet/internal/store"
)

// constraint is a bound docs/openapi.yaml sets on a field of a route: a query parameter or a
// top-level property of the JSON body.
type constraint struct {
	route    string // "POST /v1/keys"
	field    string
	query    bool
	kind     string // "integer", "array" or "enum"
	min, max *float64
}

// openAPIConstraints walks docs/openapi.yaml and returns every minimum/maximum of an integer,
// minItems/maxItems of an array and enum of a string, on query parameters and on the top-level
// properties of request bodies ($ref and allOf resolved).
func openAPIConstraints(t *testing.T) []constraint {
	t.Helper()
	data, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	var resolve func(s map[string]any) map[string]any
	resolve = func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			return resolve(schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any))
		}
		all, ok := s["allOf"].([]any)
		if !ok {
			return s
		}
		merged := map[string]any{"properties": map[string]any{}}
		for _, part := range all {
			props, _ := resolve(part.(map[string]any))["properties"].(map[string]any)
			for k, v := range props {
				merged["properties"].(map[string]any)[k] = v
			}
		}
		own, _ := s["properties"].(map[string]any)
		for k, v := range own {
			merged["properties"].(map[string]any)[k] = v
		}
		return merged
	}
	bounds := func(s map[string]any, lo, hi string) (*float64, *float64) {
		var min, max *float64
		if v, ok := s[lo]; ok {
			f := toFloat(v)
			min = &f
		}
		if v, ok := s[hi]; ok {
			f := toFloat(v)
			max = &f
		}
		return min, max
	}
	var out []constraint
	for path, ops := range doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			o, ok := op.(map[string]any)
			if !ok {
				continue
			}
			route := strings.ToUpper(method) + " " + path
			params, _ := o["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				if pm["in"] != "query" {
					continue
				}
				s := pm["schema"].(map[string]any)
				if s["type"] == "integer" {
					if min, max := bounds(s, "minimum", "maximum"); min != nil || max != nil {
						out = append(out, constraint{route: route, field: pm["name"].(string), query: true, kind: "integer", min: min, max: max})
					}
				}
			}
			rb, ok := o["requestBody"].(map[string]any)
			if !ok {
				continue
			}
			js, ok := rb["content"].(map[string]any)["application/json"].(map[string]any)
			if !ok {
				continue
			}
			schema := resolve(js["schema"].(map[string]any))
			props, _ := schema["properties"].(map[string]any)
			for name, p := range props {
				ps := resolve(p.(map[string]any))
				if ps["readOnly"] == true {
					continue // set by the server; a value sent is ignored
				}
				switch ps["type"] {
				case "integer":
					if min, max := bounds(ps, "minimum", "maximum"); min != nil || max != nil {
						out = append(out, constraint{route: route, field: name, kind: "integer", min: min, max: max})
					}
				case "array":
					if min, max := bounds(ps, "minItems", "maxItems"); min != nil || max != nil {
						out = append(out, constraint{route: route, field: name, kind: "array", min: min, max: max})
					}
				case "string":
					if _, ok := ps["enum"]; ok {
						out = append(out, constraint{route: route, field: name, kind: "enum"})
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].route+out[i].field < out[j].route+out[j].field })
	return out
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("not a number: %v", v))
}

// fixture fills a route's path parameters with objects of the demo data.
var fixture = strings.NewReplacer("{tenant}", "contoso", "{id}", "1", "{group}", "Sales",
	"{upn}", "adele.vance@contoso.com", "{number}", "+14255550100")

// bases are request bodies valid for the demo data but for the field under test, per route with
// a constrained body: the test sets the field out of range and expects a 400 naming it.
var bases = map[string]string{
	"POST /v1/tenants/{tenant}/subscriptions":       `{"skuPartNumber":"ENTERPRISEPACK","quantity":5}`,
	"PATCH /v1/tenants/{tenant}/subscriptions/{id}": `{"quantity":5}`,
	"POST /v1/product-groups":                       `{"id":4000,"slug":"constraint-group","name":"Constraint group"}`,
	"POST /v1/products":                             `{"slug":"constraint-product","name":"Constraint product","kind":"client","group":1}`,
	"POST /v1/agreements":                           `{"tenant":"contoso","program":"select","level":"A","quantity":10}`,
	"POST /v1/keys":                                 `{"agreement":"","group":"1","type":"mak","limit":10}`,
	"POST /v1/keys/{id}/extend":                     `{"by":10}`,
	"PUT /v1/kms/keys/{id}/host-limit":              `{"limit":10}`,
	"POST /v1/tenants/{tenant}/credits/funds":       `{"amount":1000}`,
	"PUT /v1/tenants/{tenant}/credits/autoRecharge": `{"enabled":true,"threshold":100,"amount":1000}`,
	"POST /v1/tenants/{tenant}/credits/charges":     `{"amount":100,"reason":"constraint test"}`,
	"POST /v1/tenants/{tenant}/users":               `{"userPrincipalName":"constraint@contoso.com"}`,
	"POST /v1/tenants":                              `{"slug":"constraint","name":"Constraint"}`,
	"POST /v1/tokens":                               `{"role":"tenant","tenant":"contoso"}`,
	"POST /v1/mak-requests":                         `{"company":"Northwind","contactName":"Ana","contactEmail":"ana@northwind.example","contactPhone":"+44 20 7946 0958","systems":12,"deploymentDate":"2026-12-01"}`,
	"POST /v1/activations/proxy":                    `{"key":"BCDFG-HJKMP-QRTVW-XY234-6789B","machines":[{"installationId":"1"}]}`,
	"POST /v1/tenants/{tenant}/numbers":             `{"country":"US","numbers":["+14255550199"]}`,
	// The bulk routes count their users before reading them: the smallest items keep the
	// half-million-item bodies quick to send and to decode.
	"POST /v1/tenants/{tenant}/users/batch":            `{"users":[{}]}`,
	"POST /v1/tenants/{tenant}/assignments/batch":      `{"users":[""],"addLicenses":[{"skuPartNumber":"ENTERPRISEPACK"}],"removeLicenses":[]}`,
	"POST /v1/tenants/{tenant}/groups/{group}/members": `{"users":[""]}`,
}

// snapshot counts the rows of every table: the answer to "did anything change?".
func snapshot(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := db.Read(context.Background(), func(tx *store.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
		if err != nil {
			return err
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			names = append(names, n)
		}
		rows.Close()
		for _, n := range names {
			var c int
			if err := tx.QueryRow(context.Background(), `SELECT COUNT(*) FROM "`+n+`"`).Scan(&c); err != nil {
				return err
			}
			out[n] = c
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// send makes a request with the operator token and returns the status and the error body.
func send(t *testing.T, s *servertest.Server, token, method, path, body string) (int, *licet.Error) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error *licet.Error `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error
}

// outOfRange returns the values just outside a constraint.
func outOfRange(c constraint, base map[string]any) []any {
	var out []any
	switch c.kind {
	case "integer":
		if c.min != nil {
			out = append(out, int64(*c.min)-1)
		}
		if c.max != nil {
			out = append(out, int64(*c.max)+1)
		}
	case "enum":
		out = append(out, "notInTheSet")
	case "array":
		items, _ := base[c.field].([]any)
		if c.min != nil && *c.min > 0 {
			out = append(out, items[:0:0])
		}
		if c.max != nil && len(items) > 0 {
			// Written as text: encoding half a million values one by one takes seconds.
			item, _ := json.Marshal(items[0])
			n := int(*c.max) + 1
			out = append(out, json.RawMessage("["+strings.Repeat(string(item)+",", n-1)+string(item)+"]"))
		}
	}
	return out
}

// TestConstraintsOfTheDocument sends to every route each value just outside the bounds
// docs/openapi.yaml gives its query parameters and body fields, and a null, an array and a
// scalar as its body; each must answer 400 Invalid (naming the field, for a bound) and change
// nothing.
func TestConstraintsOfTheDocument(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	partner, err := s.Operator.CreateToken(context.Background(), licet.Token{Role: licet.RolePartner, Partner: "Northwind"})
	if err != nil {
		t.Fatal(err)
	}
	// tokenFor is the token a route is called with: a partner's for the routes of partners.
	tokenFor := func(route string) string {
		if route == "POST /v1/mak-requests" {
			return partner.Secret
		}
		return s.Token
	}
	before := snapshot(t, s.App.DB)
	cs := openAPIConstraints(t)
	if len(cs) < 15 {
		t.Fatalf("found %d constraints in docs/openapi.yaml: the walk is broken", len(cs))
	}
	checked := 0
	for _, c := range cs {
		method, pattern, _ := strings.Cut(c.route, " ")
		path := fixture.Replace(pattern)
		var base map[string]any
		if !c.query {
			text, ok := bases[c.route]
			if !ok {
				t.Errorf("%s: field %s is bounded in docs/openapi.yaml but the test has no base body for the route", c.route, c.field)
				continue
			}
			if err := json.Unmarshal([]byte(text), &base); err != nil {
				t.Fatal(err)
			}
		}
		for _, v := range outOfRange(c, base) {
			var st int
			var e *licet.Error
			var shown string
			if c.query {
				shown = fmt.Sprintf("%s?%s=%v", path, c.field, v)
				st, e = send(t, s, s.Token, method, shown, "")
			} else {
				body := map[string]any{}
				for k, x := range base {
					body[k] = x
				}
				body[c.field] = v
				b, _ := json.Marshal(body)
				shown = fmt.Sprintf("%s with %s=%s", path, c.field, clip(string(b)))
				st, e = send(t, s, tokenFor(c.route), method, path, string(b))
			}
			checked++
			if st != http.StatusBadRequest || e == nil || e.Code != licet.EInvalid || e.Details["field"] != c.field {
				t.Errorf("%s %s: %d %+v; want 400 Invalid with details.field %q", method, shown, st, e, c.field)
			}
		}
	}
	for _, r := range httpapi.RouteList() {
		method, pattern, _ := strings.Cut(r, " ")
		if !slices.Contains([]string{"POST", "PUT", "PATCH"}, method) {
			continue
		}
		for _, body := range []string{"null", "[]", `"x"`, "1"} {
			st, e := send(t, s, s.Token, method, fixture.Replace(pattern), body)
			checked++
			if st != http.StatusBadRequest || e == nil || e.Code != licet.EInvalid {
				t.Errorf("%s with body %s: %d %+v; want 400 Invalid", r, body, st, e)
			}
		}
	}
	if after := snapshot(t, s.App.DB); !mapsEqual(before, after) {
		t.Errorf("refused requests changed the database:\nbefore %v\nafter  %v", before, after)
	}
	t.Logf("%d constraints of docs/openapi.yaml, %d refused requests checked", len(cs), checked)
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
