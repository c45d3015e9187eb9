package advisor

import (
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// RoomScenario is one row of the catalog's room-system table, checked against its rules.
type RoomScenario struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Feature string       `json:"feature"`
	Source  string       `json:"source,omitempty"`
	Note    string       `json:"note,omitempty"`
	Columns []RoomColumn `json:"columns"`
}

// RoomColumn is one cell: what the organisation has (plan families) and the ways to license the room.
type RoomColumn struct {
	Have    []Ref        `json:"have"`
	Options []RoomOption `json:"options"`
}

// RoomOption is one way to license the room, as the table gives it, with what the rules say.
type RoomOption struct {
	SKUs     []Ref   `json:"skus"`
	External []Ref   `json:"external,omitempty"`
	Optional []Ref   `json:"optional,omitempty"`
	Note     string  `json:"note,omitempty"`
	Buy      []Step  `json:"buy"`                // the SKUs in the order the purchase rules allow
	Cost     Cost    `json:"monthlyCost"`        // per room, without the optional SKUs
	Checked  bool    `json:"satisfiesFeature"`   // the SKUs and alternatives give the scenario's feature
	RulesAdd []Step  `json:"rulesAdd,omitempty"` // what the rules still ask for when they do not
	Blocked  []Block `json:"blocked,omitempty"`
}

// Rooms reproduces the catalog's room scenarios for which: "" for every column, a plan family
// id for the columns of that family, or an SKU part number for the columns of its family (the
// organisation then owns that SKU when purchases are checked). Each option is bought in the
// order the purchase rules allow, and checked against the scenario's feature; the room holds
// only its own licenses. Errors: UnknownFamily, invalid org.
func Rooms(c *catalog.Catalog, org catalog.Org, which string) ([]RoomScenario, error) {
	org = c.DefaultOrg(org)
	if err := checkOrg(c, org); err != nil {
		return nil, err
	}
	family, start, err := roomFamily(c, which)
	if err != nil {
		return nil, err
	}
	e := newEngine(c, org)
	names := map[string]string{}
	for _, f := range c.Families() {
		names[f.ID] = f.Name
	}
	out := []RoomScenario{}
	for _, rs := range c.RoomScenarios() {
		sc := RoomScenario{ID: rs.ID, Name: rs.Name, Feature: rs.Feature, Source: rs.Source, Note: rs.Note, Columns: []RoomColumn{}}
		for _, col := range rs.Columns {
			if family != "" && !contains(col.Have, family) {
				continue
			}
			rc := RoomColumn{Options: []RoomOption{}}
			for _, h := range col.Have {
				rc.Have = append(rc.Have, Ref{h, names[h]})
			}
			for _, o := range col.Options {
				rc.Options = append(rc.Options, e.roomOption(rs.Feature, start, o))
			}
			sc.Columns = append(sc.Columns, rc)
		}
		if len(sc.Columns) > 0 {
			out = append(out, sc)
		}
	}
	return out, nil
}

// roomFamily resolves which to a family id and the purchases the organisation starts with.
func roomFamily(c *catalog.Catalog, which string) (string, []catalog.Purchase, error) {
	if which == "" {
		return "", nil, nil
	}
	var ids []string
	for _, f := range c.Families() {
		if f.ID == which {
			return which, nil, nil
		}
		ids = append(ids, f.ID)
	}
	if s, ok := c.SKU(which); ok {
		if s.Family == "" {
			return "", nil, licet.Errorf(licet.CodeUnknownFamily, "%s belongs to no plan family, so no room scenario applies; name a family: %s", s.Label(), strings.Join(ids, ", "))
		}
		return s.Family, []catalog.Purchase{{SKU: s.Part}}, nil
	}
	return "", nil, licet.Errorf(licet.CodeUnknownFamily, "%q is neither a plan family nor an SKU of the catalog; families: %s", which, strings.Join(ids, ", ")).With("known", ids)
}

func (e *engine) roomOption(feature string, start []catalog.Purchase, o catalog.RoomOption) RoomOption {
	ro := RoomOption{Note: o.Note, Buy: []Step{}}
	ro.SKUs = e.skuRefs(o.SKUs)
	ro.Optional = e.skuRefs(o.Optional)
	for _, x := range o.External {
		ext, _ := e.c.External(x)
		ro.External = append(ro.External, Ref{x, ext.Name})
	}
	s := situation{owned: start}
	ro.Buy, ro.Blocked = e.order(s, o.SKUs, e.plansOf(o.SKUs))
	ro.Cost = costOf(e.c, o.SKUs)
	ro.Checked = len(e.c.Satisfies(feature, e.plansOf(o.SKUs), o.External)) > 0
	if ro.Checked {
		return ro
	}
	f, _ := e.c.Feature(feature)
	combos, err := combinations([]*catalog.Feature{f})
	if err != nil {
		return ro
	}
	owned := append([]catalog.Purchase(nil), start...)
	for _, part := range o.SKUs {
		owned = append(owned, catalog.Purchase{SKU: part})
	}
	room := situation{owned: owned, holds: o.SKUs, ext: o.External}
	var paths []Path
	for _, cb := range combos {
		if p := e.evaluate(room, cb); externalsInPlace(p.External) {
			paths = append(paths, p)
		}
	}
	sortPaths(paths)
	if len(paths) > 0 && paths[0].Feasible() {
		ro.RulesAdd = paths[0].Steps
	}
	return ro
}

func (e *engine) skuRefs(parts []string) []Ref {
	var out []Ref
	for _, p := range parts {
		out = append(out, Ref{p, e.sku(p).Name})
	}
	return out
}
