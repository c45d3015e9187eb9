// Package catalogtest changes catalog YAML for tests through the YAML node tree (an SKU's price,
// its plans, a rule), so that tests of catalog versions do not depend on the layout or the
// comments of the shipped catalog.
package catalogtest

import (
	"slices"
	"strconv"
	"testing"

	"gopkg.in/yaml.v3"
)

// Change is one edit of a catalog document; it reports whether it found what it changes.
type Change func(doc *yaml.Node) bool

// Edit applies the changes to the catalog and returns the new YAML; the test fails when a change
// finds nothing to change.
func Edit(t testing.TB, content []byte, changes ...Change) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		t.Fatalf("catalogtest: %v", err)
	}
	for i, c := range changes {
		if !c(&doc) {
			t.Fatalf("catalogtest: change %d found nothing to change in the catalog", i)
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatalf("catalogtest: %v", err)
	}
	return out
}

// SetPrice sets the monthly price amount (minor units) of an SKU.
func SetPrice(part string, amount int64) Change {
	return func(doc *yaml.Node) bool {
		price := get(sku(doc, part), "monthly_price")
		a := get(price, "amount")
		if a == nil {
			return false
		}
		a.Value = strconv.FormatInt(amount, 10)
		return true
	}
}

// RemovePlan takes a service plan out of an SKU's plans.
func RemovePlan(part, plan string) Change {
	return func(doc *yaml.Node) bool {
		plans := get(sku(doc, part), "plans")
		if plans == nil {
			return false
		}
		for i, p := range plans.Content {
			if p.Value == plan {
				plans.Content = append(plans.Content[:i], plans.Content[i+1:]...)
				return true
			}
		}
		return false
	}
}

// AddPlan adds a service plan to an SKU's plans.
func AddPlan(part, plan string) Change {
	return func(doc *yaml.Node) bool {
		plans := get(sku(doc, part), "plans")
		if plans == nil {
			return false
		}
		plans.Content = append(plans.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: plan})
		return true
	}
}

// RenameSKU renames a part number everywhere it appears (its SKU and every reference), so that
// the catalog no longer has the SKU.
func RenameSKU(part, to string) Change {
	return func(doc *yaml.Node) bool {
		found := false
		walk(doc, func(n *yaml.Node) {
			if n.Kind == yaml.ScalarNode && n.Value == part {
				n.Value, found = to, true
			}
		})
		return found
	}
}

// AddSKU adds a base SKU with the plans.
func AddSKU(part, name string, plans ...string) Change {
	return func(doc *yaml.Node) bool {
		skus := get(root(doc), "skus")
		if skus == nil {
			return false
		}
		s := &yaml.Node{}
		v := map[string]any{"part": part, "name": name, "kind": "base", "plans": plans}
		if err := s.Encode(v); err != nil {
			return false
		}
		skus.Content = append(skus.Content, s)
		return true
	}
}

// RenamePlan changes a service plan's display name.
func RenamePlan(id, name string) Change {
	return func(doc *yaml.Node) bool {
		n := get(item(get(root(doc), "plans"), "id", id), "name")
		if n == nil {
			return false
		}
		n.Value = name
		return true
	}
}

// RemoveRule removes the rule with the id, wherever it is under rules.
func RemoveRule(id string) Change {
	return func(doc *yaml.Node) bool {
		found := false
		walk(get(root(doc), "rules"), func(n *yaml.Node) {
			if n.Kind != yaml.SequenceNode || found {
				return
			}
			for i, x := range n.Content {
				if v := get(x, "id"); v != nil && v.Value == id {
					n.Content = append(n.Content[:i], n.Content[i+1:]...)
					found = true
					return
				}
			}
		})
		return found
	}
}

// RemoveListValue takes value out of every list under key in the document: the top-level
// org_types or clouds, and the rules that name them.
func RemoveListValue(key, value string) Change {
	return func(doc *yaml.Node) bool {
		found := false
		walk(doc, func(n *yaml.Node) {
			if n.Kind != yaml.MappingNode {
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if list := n.Content[i+1]; n.Content[i].Value == key && list.Kind == yaml.SequenceNode {
					list.Content = slices.DeleteFunc(list.Content, func(v *yaml.Node) bool {
						found = found || v.Value == value
						return v.Value == value
					})
				}
			}
		})
		return found
	}
}

func root(doc *yaml.Node) *yaml.Node {
	if doc != nil && doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return doc
}

// get returns the value of a mapping's key, nil when n is not a mapping or lacks it.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// item returns the mapping of a sequence whose key has the value.
func item(seq *yaml.Node, key, value string) *yaml.Node {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	for _, x := range seq.Content {
		if v := get(x, key); v != nil && v.Value == value {
			return x
		}
	}
	return nil
}

func sku(doc *yaml.Node, part string) *yaml.Node {
	return item(get(root(doc), "skus"), "part", part)
}

func walk(n *yaml.Node, fn func(*yaml.Node)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range n.Content {
		walk(c, fn)
	}
}
