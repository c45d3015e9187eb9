package console

import (
	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// Catalog: the SKUs of the catalog in force with their service plans and example prices, the
// version served and the history of versions.

func init() {
	register(&page{ID: "catalog", Title: "Catalog", Path: "/catalog", Nav: 50, Load: loadCatalog})
}

// catalogData is the catalog page.
type catalogData struct {
	View     catalog.View
	Sections []skuSection
	Version  *licet.CatalogVersion  // the version served, nil when unknown
	History  []licet.CatalogVersion // newest first, at most catalogHistoryShown
	More     int                    // older versions not shown
}

// catalogHistoryShown bounds the versions listed on the page; licet catalog history has them all.
const catalogHistoryShown = 20

// skuSection is one table of SKUs: the bases or the add-ons.
type skuSection struct {
	Title string
	SKUs  []catalog.SKUView
	Plans map[string]string // plan id → name, for the chips' titles
}

func loadCatalog(s *Server, c *reqCtx) (any, error) {
	if s.Catalog == nil || s.Catalog() == nil {
		return nil, licet.Errorf(licet.ENotFound, "no catalog version is stored: apply one with licet catalog apply FILE")
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
	d := catalogData{View: v, Sections: []skuSection{bases, addOns}}
	if s.CatalogVersion != nil {
		d.Version = s.CatalogVersion()
	}
	if s.Catalogs != nil {
		h, err := s.Catalogs.CatalogVersions(c.ctx())
		if err != nil {
			return nil, err
		}
		d.History = h[:min(len(h), catalogHistoryShown)]
		d.More = len(h) - len(d.History)
	}
	return d, nil
}
