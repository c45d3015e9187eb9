package httpapi

import (
	"net/http"

	"github.com/licet/licet"
)

// CatalogSource is the catalog in force as the document it was loaded from, so that a client
// (licet advise --tenant) applies the very rules the server enforces.
type CatalogSource struct {
	Name    string `json:"name"`
	Content string `json:"content"` // the catalog's YAML
}

func (s *Server) getCatalogSource(w http.ResponseWriter, r *http.Request) error {
	if s.Catalog == nil || s.Catalog() == nil {
		return licet.Errorf(licet.ENotFound, "no catalog is loaded: start the server with --catalog FILE or --demo")
	}
	c := s.Catalog()
	return ok(w, CatalogSource{Name: c.Name, Content: string(c.Source())})
}
