package console

import (
	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// Catalog: the SKUs of the catalog in force with their service plans and example prices.

func init() {
	register(&page{ID: "catalog", Title: "Catalog", Path: "/catalog", Nav: 50, Load: loadCatalog})
}

// catalogData is the catalog page.
type catalogData struct {
	View     catalog.View
	Sections []skuSection
}

// skuSection is one table of SKUs: the bases or the add-ons.
type skuSection struct {
	Title string
	SKUs  []catalog.SKUView
	Plans map[string]string // plan id → name, for the chips' titles
}

func loadCatalog(s *Server, c *reqCtx) (any, error) {
	if s.Catalog == nil || s.Catalog() == nil {
		return nil, licet.Errorf(licet.ENotFound, "no catalog is loaded: start licet serve with --catalog FILE or --demo")
	}
	v := s.Catalog().View()
	plans := map[string]string{}
	for _, p := range v.Plans {
		plans[p.ID] = p.Name
	}
	bases := skuSection{Title: "Base plans", Plans: plans}
	addOns := skuSection{Title: "Add-ons", Plans: plans}
	for _, sku := range v.SKUs {
		if sku.Kind == catalog.KindAddOn {
			addOns.SKUs = append(addOns.SKUs, sku)
		} else {
			bases.SKUs = append(bases.SKUs, sku)
		}
	}
	return catalogData{View: v, Sections: []skuSection{bases, addOns}}, nil
}
