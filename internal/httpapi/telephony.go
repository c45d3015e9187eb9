package httpapi

import (
	"math"
	"net/http"

	"github.com/licet/licet"
)

// numberService returns the number service, or EUnavailable when the server runs without one.
func (s *Server) numberService() (licet.NumberService, error) {
	if s.Numbers == nil {
		return nil, licet.Errorf(licet.EUnavailable, "phone numbers are not configured")
	}
	return s.Numbers, nil
}

// creditService returns the credits service, or EUnavailable when the server runs without one.
func (s *Server) creditService() (licet.CreditService, error) {
	if s.Credits == nil {
		return nil, licet.Errorf(licet.EUnavailable, "Communications Credits are not configured")
	}
	return s.Credits, nil
}

// NumbersToAdd is the body that adds numbers to a tenant's inventory.
type NumbersToAdd struct {
	Country string   `json:"country"`
	Numbers []string `json:"numbers"`
}

// NumberUser is the body that assigns a number to a user.
type NumberUser struct {
	User string `json:"user"`
}

// ConferencingProvider is the body that sets a user's audio conferencing provider.
type ConferencingProvider struct {
	Provider string `json:"provider"`
}

func (s *Server) listNumbers() handlerFunc {
	return serviceHandler(s.numberService, http.StatusOK, func(r *http.Request, svc licet.NumberService, _ struct{}) (any, error) {
		q := r.URL.Query()
		f := licet.NumberFilter{Country: q.Get("country")}
		switch q.Get("free") {
		case "", "false", "0":
		case "true", "1":
			f.Free = true
		default:
			return nil, licet.Errorf(licet.EInvalid, "query parameter free=%q is not true or false", q.Get("free"))
		}
		ns, err := svc.Numbers(r.Context(), r.PathValue("tenant"), f)
		return map[string]any{"numbers": nonNil(ns)}, err
	})
}

func (s *Server) addNumbers() handlerFunc {
	return serviceHandler(s.numberService, http.StatusCreated, func(r *http.Request, svc licet.NumberService, in NumbersToAdd) (any, error) {
		ns, err := svc.AddNumbers(r.Context(), r.PathValue("tenant"), in.Country, in.Numbers)
		return map[string]any{"numbers": nonNil(ns)}, err
	})
}

func (s *Server) releaseNumber() handlerFunc {
	return serviceHandler(s.numberService, http.StatusNoContent, func(r *http.Request, svc licet.NumberService, _ struct{}) (any, error) {
		return nil, svc.ReleaseNumber(r.Context(), r.PathValue("tenant"), r.PathValue("number"))
	})
}

func (s *Server) assignNumber() handlerFunc {
	return serviceHandler(s.numberService, http.StatusOK, func(r *http.Request, svc licet.NumberService, in NumberUser) (any, error) {
		return svc.AssignNumber(r.Context(), r.PathValue("tenant"), r.PathValue("number"), in.User)
	})
}

func (s *Server) unassignNumber() handlerFunc {
	return serviceHandler(s.numberService, http.StatusOK, func(r *http.Request, svc licet.NumberService, _ struct{}) (any, error) {
		return svc.UnassignNumber(r.Context(), r.PathValue("tenant"), r.PathValue("number"))
	})
}

func (s *Server) setConferencingProvider() handlerFunc {
	return serviceHandler(s.numberService, http.StatusOK, func(r *http.Request, svc licet.NumberService, in ConferencingProvider) (any, error) {
		return svc.SetConferencingProvider(r.Context(), r.PathValue("tenant"), r.PathValue("upn"), in.Provider)
	})
}

func (s *Server) signUpCredits() handlerFunc {
	return serviceHandler(s.creditService, http.StatusCreated, func(r *http.Request, svc licet.CreditService, _ struct{}) (any, error) {
		return svc.SignUpCredits(r.Context(), r.PathValue("tenant"))
	})
}

func (s *Server) getCredits() handlerFunc {
	return serviceHandler(s.creditService, http.StatusOK, func(r *http.Request, svc licet.CreditService, _ struct{}) (any, error) {
		return svc.Credits(r.Context(), r.PathValue("tenant"))
	})
}

func (s *Server) addFunds() handlerFunc {
	return serviceHandler(s.creditService, http.StatusOK, func(r *http.Request, svc licet.CreditService, in licet.CreditAmount) (any, error) {
		return svc.AddFunds(r.Context(), r.PathValue("tenant"), in)
	})
}

func (s *Server) setAutoRecharge() handlerFunc {
	return serviceHandler(s.creditService, http.StatusOK, func(r *http.Request, svc licet.CreditService, in licet.AutoRecharge) (any, error) {
		return svc.SetAutoRecharge(r.Context(), r.PathValue("tenant"), in)
	})
}

func (s *Server) charge() handlerFunc {
	return serviceHandler(s.creditService, http.StatusOK, func(r *http.Request, svc licet.CreditService, in licet.CreditAmount) (any, error) {
		return svc.Charge(r.Context(), r.PathValue("tenant"), in)
	})
}

func (s *Server) ledger() handlerFunc {
	return serviceHandler(s.creditService, http.StatusOK, func(r *http.Request, svc licet.CreditService, _ struct{}) (any, error) {
		before, err := queryInt(r, "before", 0, 1, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		limit, err := queryInt(r, "limit", licet.DefaultLedgerLimit, 1, licet.MaxLedgerLimit)
		if err != nil {
			return nil, err
		}
		es, err := svc.Ledger(r.Context(), r.PathValue("tenant"), before, int(limit))
		return map[string]any{"entries": nonNil(es)}, err
	})
}
