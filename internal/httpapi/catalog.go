package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/catalogstore"
)

// catalogBody bounds POST /v1/catalog/versions: the catalog, JSON-escaped, and its file name.
const catalogBody = 2*catalogstore.MaxContent + 4096

// CatalogVersionBody is one catalog version as the API answers it: its record, whether this
// replica serves it, its catalog and its YAML.
type CatalogVersionBody struct {
	licet.CatalogVersion
	Current bool          `json:"current"`
	Catalog *catalog.View `json:"catalog,omitempty"` // absent when this licet cannot read the version
	Content string        `json:"content"`
}

// CatalogApplied is the answer of POST /v1/catalog/versions.
type CatalogApplied struct {
	licet.CatalogVersion
	Applied bool `json:"applied"` // false: the catalog is the newest version already
}

func (s *Server) catalogs() (*catalogstore.Store, error) {
	if s.Catalogs == nil {
		return nil, licet.Errorf(licet.EUnavailable, "catalog versions are not configured")
	}
	return s.Catalogs, nil
}

func (s *Server) listCatalogVersions(w http.ResponseWriter, r *http.Request) error {
	st, err := s.catalogs()
	if err != nil {
		return err
	}
	vs, err := st.CatalogVersions(r.Context())
	return answer(w, map[string]any{"versions": nonNil(vs)}, err)
}

func (s *Server) applyCatalog(w http.ResponseWriter, r *http.Request) error {
	st, err := s.catalogs()
	if err != nil {
		return err
	}
	var in licet.CatalogUpload
	if err := decode(r, &in); err != nil {
		return err
	}
	v, applied, err := st.ApplyCatalog(r.Context(), in)
	if err != nil {
		return err
	}
	if applied {
		return created(w, CatalogApplied{CatalogVersion: v, Applied: true})
	}
	return ok(w, CatalogApplied{CatalogVersion: v})
}

func (s *Server) getCatalogVersion(w http.ResponseWriter, r *http.Request) error {
	st, err := s.catalogs()
	if err != nil {
		return err
	}
	n, err := s.versionNumber(r.PathValue("version"))
	if err != nil {
		return err
	}
	v, err := st.Version(r.Context(), n)
	if err != nil {
		return err
	}
	out := CatalogVersionBody{CatalogVersion: v.CatalogVersion, Content: string(v.Content)}
	if cur := s.servedVersion(); cur != nil {
		out.Current = cur.Version == v.Version
	}
	if c, err := v.Load(); err == nil {
		view := c.View()
		out.Catalog = &view
	}
	return ok(w, out)
}

// versionNumber parses a version number, or "current": the version this replica serves.
func (s *Server) versionNumber(p string) (int64, error) {
	if p == "current" {
		if cur := s.servedVersion(); cur != nil {
			return cur.Version, nil
		}
		return 0, licet.Errorf(licet.ENotFound, "this server serves no catalog version")
	}
	n, err := strconv.ParseInt(p, 10, 64)
	if err != nil || n < 1 {
		return 0, licet.Errorf(licet.EInvalid, "%q is not a catalog version: give its number (licet catalog history) or current", p)
	}
	return n, nil
}

func (s *Server) servedVersion() *licet.CatalogVersion {
	if s.CatalogVersion == nil {
		return nil
	}
	return s.CatalogVersion()
}

func (s *Server) diffCatalogs(w http.ResponseWriter, r *http.Request) error {
	st, err := s.catalogs()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	load := func(ctx context.Context, name string) (*catalogstore.Version, *catalog.Catalog, error) {
		n, err := s.versionNumber(q.Get(name))
		if err != nil {
			return nil, nil, licet.AsError(err).With("parameter", name)
		}
		v, err := st.Version(ctx, n)
		if err != nil {
			return nil, nil, err
		}
		c, err := v.Load()
		if err != nil {
			return nil, nil, licet.Errorf(licet.EUnavailable, "catalog version %d does not load with this licet: %v", n, err)
		}
		return v, c, nil
	}
	a, ca, err := load(r.Context(), "from")
	if err != nil {
		return err
	}
	b, cb, err := load(r.Context(), "to")
	if err != nil {
		return err
	}
	d := catalogstore.Compare(ca, cb)
	d.From, d.To = a.Version, b.Version
	if d.Changes == nil {
		d.Changes = []catalogstore.Change{}
	}
	return ok(w, d)
}
