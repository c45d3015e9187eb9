package httpapi

import (
	"math"
	"net/http"

	"github.com/licet/licet"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return ok(w, map[string]string{"status": "ok"})
}

// readyz answers 200 when the database answers and its schema is current.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.DB == nil {
		return licet.Errorf(licet.EUnavailable, "no database")
	}
	if err := s.DB.Ping(r.Context()); err != nil {
		return licet.Errorf(licet.EUnavailable, "the database does not answer")
	}
	if err := s.DB.CheckSchema(r.Context()); err != nil {
		return err
	}
	return ok(w, map[string]any{"status": "ready", "schema": s.DB.LatestVersion(), "database": string(s.DB.Dialect)})
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	return ok(w, licet.ActorFrom(r.Context()))
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Tenants.Tenants(r.Context())
	return answer(w, map[string]any{"tenants": nonNil(ts)}, err)
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request) error {
	var t licet.Tenant
	if err := decode(r, &t); err != nil {
		return err
	}
	out, err := s.Tenants.CreateTenant(r.Context(), t)
	if err != nil {
		return err
	}
	return created(w, out)
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Tenants.Tenant(r.Context(), r.PathValue("tenant"))
	return answer(w, t, err)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Tokens.Tokens(r.Context())
	return answer(w, map[string]any{"tokens": nonNil(ts)}, err)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var t licet.Token
	if err := decode(r, &t); err != nil {
		return err
	}
	out, err := s.Tokens.CreateToken(r.Context(), t)
	if err != nil {
		return err
	}
	return created(w, out)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Tokens.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := licet.AuditFilter{Tenant: q.Get("tenant"), Action: q.Get("action")}
	before, err := queryInt(r, "before", 0, 1, math.MaxInt64)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", licet.DefaultAuditLimit, 1, licet.MaxAuditLimit)
	if err != nil {
		return err
	}
	f.Before, f.Limit = before, int(limit)
	es, err := s.Audit.Audit(r.Context(), f)
	return answer(w, map[string]any{"entries": nonNil(es)}, err)
}

func (s *Server) getCatalog(w http.ResponseWriter, r *http.Request) error {
	if s.Catalog == nil || s.Catalog() == nil {
		return licet.Errorf(licet.ENotFound, "no catalog version is stored: apply one with licet catalog apply FILE")
	}
	return ok(w, s.Catalog().View())
}

// nonNil returns an empty slice for nil, so that lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
