package catalogstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/licet/licet/internal/catalog"
)

// Diff is what changed from one catalog version to another.
type Diff struct {
	From    int64    `json:"from"`
	To      int64    `json:"to"`
	Changes []Change `json:"changes"`
}

// Change is one difference. Area is "catalog", "sku", "plan", "rule" or another top-level
// section of the catalog file (features, room_scenarios, …); Field is set for a change of one
// field of an object that is in both versions.
type Change struct {
	Area   string `json:"area"`
	ID     string `json:"id"`
	Change string `json:"change"` // added | removed | changed
	Field  string `json:"field,omitempty"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

// Summary is the changes in one line, for the audit log.
func (d Diff) Summary() string {
	if len(d.Changes) == 0 {
		return "no change"
	}
	parts := make([]string, 0, min(len(d.Changes), 11))
	for i, c := range d.Changes {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("… %d more", len(d.Changes)-i))
			break
		}
		parts = append(parts, c.String())
	}
	return strings.Join(parts, "; ")
}

// String describes the change.
func (c Change) String() string {
	s := c.Area + " " + c.ID + " " + c.Change
	if c.Field != "" {
		s = c.Area + " " + c.ID + " " + c.Field
	}
	if c.Before != "" || c.After != "" {
		s += ": " + c.Before + " → " + c.After
	}
	return s
}

// Compare lists what changed from a to b: the catalog's name, SKUs (name, kind, family, units,
// price, plans), service plans, and the rules and other sections of the file object by object
// (read from the YAML each was loaded from, so that a rule is compared whatever its kind's
// fields).
func Compare(a, b *catalog.Catalog) Diff {
	var d Diff
	add := func(c Change) { d.Changes = append(d.Changes, c) }
	va, vb := a.View(), b.View()
	if va.Name != vb.Name {
		add(Change{Area: "catalog", ID: "name", Change: "changed", Before: va.Name, After: vb.Name})
	}
	if va.Description != vb.Description {
		add(Change{Area: "catalog", ID: "description", Change: "changed"})
	}
	diffByID(va.SKUs, vb.SKUs, func(s catalog.SKUView) string { return s.Part }, "sku", add, func(x, y catalog.SKUView) {
		field := func(name, before, after string) {
			if before != after {
				add(Change{Area: "sku", ID: x.Part, Change: "changed", Field: name, Before: before, After: after})
			}
		}
		field("name", x.Name, y.Name)
		field("kind", x.Kind, y.Kind)
		field("family", x.Family, y.Family)
		field("units", units(x.Unlimited), units(y.Unlimited))
		field("price", price(x.Price), price(y.Price))
		field("servicePlans", strings.Join(x.Plans, ","), strings.Join(y.Plans, ","))
		field("note", x.Note, y.Note)
	})
	diffByID(va.Plans, vb.Plans, func(p catalog.PlanView) string { return p.ID }, "plan", add, func(x, y catalog.PlanView) {
		if x.Name != y.Name {
			add(Change{Area: "plan", ID: x.ID, Change: "changed", Field: "name", Before: x.Name, After: y.Name})
		}
		if x.Description != y.Description {
			add(Change{Area: "plan", ID: x.ID, Change: "changed", Field: "description"})
		}
	})
	sa, sb := sections(a.Source()), sections(b.Source())
	for _, key := range unionKeys(sa, sb) {
		if key == "name" || key == "description" || key == "skus" || key == "plans" {
			continue
		}
		area := key
		if key == "rules" {
			area = "rule"
		}
		ia, ib := objects(sa[key]), objects(sb[key])
		for _, id := range unionKeys(ia, ib) {
			x, inA := ia[id]
			y, inB := ib[id]
			switch {
			case !inA:
				add(Change{Area: area, ID: id, Change: "added"})
			case !inB:
				add(Change{Area: area, ID: id, Change: "removed"})
			case x != y:
				add(Change{Area: area, ID: id, Change: "changed"})
			}
		}
	}
	return d
}

// diffByID adds the objects only in b as added, those only in a as removed, and calls same for
// the objects in both.
func diffByID[T any](a, b []T, id func(T) string, area string, add func(Change), same func(x, y T)) {
	byID := map[string]T{}
	for _, x := range a {
		byID[id(x)] = x
	}
	seen := map[string]bool{}
	for _, y := range b {
		seen[id(y)] = true
		if x, ok := byID[id(y)]; ok {
			same(x, y)
		} else {
			add(Change{Area: area, ID: id(y), Change: "added"})
		}
	}
	for _, x := range a {
		if !seen[id(x)] {
			add(Change{Area: area, ID: id(x), Change: "removed"})
		}
	}
}

func units(unlimited bool) string {
	if unlimited {
		return "unlimited"
	}
	return "counted"
}

func price(p *catalog.PriceView) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprintf("%d.%02d %s", p.Amount/100, p.Amount%100, p.Currency)
}

// sections decodes a catalog file's top-level keys; a file that does not decode has none.
func sections(content []byte) map[string]any {
	var m map[string]any
	if err := yaml.Unmarshal(content, &m); err != nil {
		return nil
	}
	return m
}

// objects flattens a section into its objects by a path of ids, each as canonical JSON: a list
// of objects is keyed by their id (or their position), a map by its keys, recursively, so that
// "rules: {prerequisites: [{id: …}]}" gives "prerequisites/ID".
func objects(v any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		join := func(k string) string {
			if prefix == "" {
				return k
			}
			return prefix + "/" + k
		}
		switch t := v.(type) {
		case map[string]any:
			if _, ok := t["id"]; ok && prefix != "" {
				out[prefix] = canonical(t)
				return
			}
			for k, x := range t {
				walk(join(k), x)
			}
		case []any:
			for i, x := range t {
				key := strconv.Itoa(i)
				if m, ok := x.(map[string]any); ok && m["id"] != nil {
					key = fmt.Sprint(m["id"])
				}
				out[join(key)] = canonical(x)
			}
		case nil: // an empty section holds nothing
		default:
			if prefix != "" {
				out[prefix] = canonical(t)
			}
		}
	}
	walk("", v)
	return out
}

// canonical is v as JSON with sorted keys (encoding/json sorts map keys).
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
