package httpapi

import (
	"context"
	"net/http"

	"github.com/licet/licet"
)

// proxyMaxBody bounds a proxy activation request: a key and up to licet.MaxProxyMachines
// machines of about 300 bytes each.
const proxyMaxBody = 512 << 10

// activateOffline is the phone activation centre: an operator or tenant admin turns an
// installation ID into a confirmation ID.
func (s *Server) activateOffline(w http.ResponseWriter, r *http.Request) error {
	var in licet.OfflineRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Offline.ActivateOffline(r.Context(), in)
	return answer(w, c, err)
}

// activateProxy is public like activate: the MAK is the credential, and the request is charged
// to its source address and its key before anything else is done.
func (s *Server) activateProxy(w http.ResponseWriter, r *http.Request) error {
	var in licet.ProxyRequest
	decodeErr := decode(r, &in)
	if s.ActivationLimiter != nil {
		if err := s.ActivationLimiter.Check(r.Context(), s.Proxies.Addr(r), in.Key); err != nil {
			return err
		}
	}
	if decodeErr != nil {
		return decodeErr
	}
	a, err := s.Offline.ActivateProxy(r.Context(), in)
	return answer(w, a, err)
}

func (s *Server) listMAKRequests(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.MAKRequests.MAKRequests(r.Context(), r.URL.Query().Get("status"))
	return answer(w, map[string]any{"requests": nonNil(rs)}, err)
}

func (s *Server) submitMAKRequest(w http.ResponseWriter, r *http.Request) error {
	return createWith(w, r, s.MAKRequests.SubmitMAKRequest)
}

func (s *Server) getMAKRequest(w http.ResponseWriter, r *http.Request) error {
	return withID(w, r, func(ctx context.Context, id int64, _ struct{}) (*licet.MAKRequest, error) {
		return s.MAKRequests.MAKRequest(ctx, id)
	})
}

func (s *Server) approveMAKRequest(w http.ResponseWriter, r *http.Request) error {
	return withID(w, r, s.MAKRequests.ApproveMAKRequest)
}

// MAKRejection is the body of POST /v1/mak-requests/{id}/reject.
type MAKRejection struct {
	Reason string `json:"reason"`
}

func (s *Server) rejectMAKRequest(w http.ResponseWriter, r *http.Request) error {
	return withID(w, r, func(ctx context.Context, id int64, in MAKRejection) (*licet.MAKRequest, error) {
		return s.MAKRequests.RejectMAKRequest(ctx, id, in.Reason)
	})
}
