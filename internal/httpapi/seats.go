package httpapi

import (
	"net/http"

	"github.com/licet/licet"
)

// BulkMaxBody bounds the body of the bulk routes (user import, batch assignment): enough for
// several hundred thousand users in one request.
const BulkMaxBody = 64 << 20

// seatService returns the seat service, or EUnavailable when the server runs without one.
func (s *Server) seatService() (licet.SeatService, error) {
	if s.Seats == nil {
		return nil, licet.Errorf(licet.EUnavailable, "seat licensing is not configured")
	}
	return s.Seats, nil
}

// seatHandler adapts a seat service call to a handler: it decodes the body into In when In is
// not struct{}, calls fn, and writes its answer with status.
func seatHandler[In any](s *Server, status int, fn func(r *http.Request, svc licet.SeatService, in In) (any, error)) handlerFunc {
	return serviceHandler(s.seatService, status, fn)
}

// serviceHandler adapts a call to the service get returns: it decodes the body into In when In
// is not struct{}, calls fn, and writes its answer with status (204 when the answer is nil).
func serviceHandler[S, In any](get func() (S, error), status int, fn func(r *http.Request, svc S, in In) (any, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		svc, err := get()
		if err != nil {
			return err
		}
		in, err := input[In](r)
		if err != nil {
			return err
		}
		out, err := fn(r, svc, in)
		if err != nil {
			return err
		}
		if out == nil {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return writeJSON(w, status, out)
	}
}

func (s *Server) listSubscriptions() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, _ struct{}) (any, error) {
		subs, err := svc.Subscriptions(r.Context(), r.PathValue("tenant"))
		return map[string]any{"subscriptions": nonNil(subs)}, err
	})
}

func (s *Server) buySubscription() handlerFunc {
	return seatHandler(s, http.StatusCreated, func(r *http.Request, svc licet.SeatService, in licet.Subscription) (any, error) {
		return svc.BuySubscription(r.Context(), r.PathValue("tenant"), in)
	})
}

func (s *Server) updateSubscription() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, in licet.SubscriptionUpdate) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		return svc.UpdateSubscription(r.Context(), r.PathValue("tenant"), id, in)
	})
}

func (s *Server) subscribedSKUs() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, _ struct{}) (any, error) {
		skus, err := svc.SubscribedSKUs(r.Context(), r.PathValue("tenant"))
		return map[string]any{"skus": nonNil(skus)}, err
	})
}

func (s *Server) listUsers() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, _ struct{}) (any, error) {
		f := licet.UserFilter{After: r.URL.Query().Get("after"), Search: r.URL.Query().Get("search")}
		limit, err := queryInt(r, "limit", licet.DefaultUserLimit, 1, licet.MaxUserLimit)
		if err != nil {
			return nil, err
		}
		f.Limit = int(limit)
		users, err := svc.Users(r.Context(), r.PathValue("tenant"), f)
		return map[string]any{"users": nonNil(users)}, err
	})
}

func (s *Server) createUser() handlerFunc {
	return seatHandler(s, http.StatusCreated, func(r *http.Request, svc licet.SeatService, in licet.User) (any, error) {
		return svc.CreateUser(r.Context(), r.PathValue("tenant"), in)
	})
}

// UserImport is the body of a bulk user import.
type UserImport struct {
	Users []licet.User `json:"users"`
}

func (s *Server) importUsers() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, in UserImport) (any, error) {
		res, err := svc.ImportUsers(r.Context(), r.PathValue("tenant"), in.Users)
		return map[string]any{"results": nonNil(res)}, err
	})
}

func (s *Server) getUser() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, _ struct{}) (any, error) {
		return svc.User(r.Context(), r.PathValue("tenant"), r.PathValue("upn"))
	})
}

func (s *Server) assignLicense() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, in licet.LicenseChange) (any, error) {
		return svc.AssignLicense(r.Context(), r.PathValue("tenant"), r.PathValue("upn"), in)
	})
}

func (s *Server) assignBatch() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, in licet.BatchAssignment) (any, error) {
		return svc.AssignBatch(r.Context(), r.PathValue("tenant"), in)
	})
}

func (s *Server) listGroups() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, _ struct{}) (any, error) {
		gs, err := svc.Groups(r.Context(), r.PathValue("tenant"))
		return map[string]any{"groups": nonNil(gs)}, err
	})
}

func (s *Server) createGroup() handlerFunc {
	return seatHandler(s, http.StatusCreated, func(r *http.Request, svc licet.SeatService, in licet.Group) (any, error) {
		return svc.CreateGroup(r.Context(), r.PathValue("tenant"), in)
	})
}

func (s *Server) getGroup() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, _ struct{}) (any, error) {
		return svc.Group(r.Context(), r.PathValue("tenant"), r.PathValue("group"))
	})
}

// GroupMembers is the body that adds members to a group.
type GroupMembers struct {
	Users []string `json:"users"`
}

func (s *Server) addMembers() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, in GroupMembers) (any, error) {
		return svc.AddMembers(r.Context(), r.PathValue("tenant"), r.PathValue("group"), in.Users)
	})
}

func (s *Server) removeMember() handlerFunc {
	return seatHandler(s, http.StatusNoContent, func(r *http.Request, svc licet.SeatService, _ struct{}) (any, error) {
		return nil, svc.RemoveMember(r.Context(), r.PathValue("tenant"), r.PathValue("group"), r.PathValue("upn"))
	})
}

func (s *Server) assignGroupLicense() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, in licet.LicenseChange) (any, error) {
		return svc.AssignGroupLicense(r.Context(), r.PathValue("tenant"), r.PathValue("group"), in)
	})
}

func (s *Server) reprocessGroup() handlerFunc {
	return seatHandler(s, http.StatusOK, func(r *http.Request, svc licet.SeatService, _ struct{}) (any, error) {
		return svc.ReprocessGroup(r.Context(), r.PathValue("tenant"), r.PathValue("group"))
	})
}
