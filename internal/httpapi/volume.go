package httpapi

import (
	"context"
	"net/http"

	"github.com/licet/licet"
)

// ActivationLimiter rate limits the public routes that take a product key, per source address
// and per key.
type ActivationLimiter interface {
	// Check charges the address and the key; ERateLimited (with retryAfterSeconds) when over.
	Check(ctx context.Context, addr, key string) error
}

// activationMaxBody bounds an activation request: a key, a product and a machine.
const activationMaxBody = 4 << 10

func (s *Server) listProductGroups(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.Products.ProductGroups(r.Context())
	return answer(w, map[string]any{"groups": nonNil(gs)}, err)
}

func (s *Server) createProductGroup(w http.ResponseWriter, r *http.Request) error {
	return createWith(w, r, s.Products.CreateProductGroup)
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.Products.Products(r.Context())
	return answer(w, map[string]any{"products": nonNil(ps)}, err)
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request) error {
	return createWith(w, r, s.Products.CreateProduct)
}

func (s *Server) listGVLKs(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.Products.GVLKs(r.Context())
	return answer(w, map[string]any{"gvlks": nonNil(gs)}, err)
}

func (s *Server) listAgreements(w http.ResponseWriter, r *http.Request) error {
	as, err := s.Agreements.Agreements(r.Context(), r.URL.Query().Get("tenant"))
	return answer(w, map[string]any{"agreements": nonNil(as)}, err)
}

func (s *Server) createAgreement(w http.ResponseWriter, r *http.Request) error {
	return createWith(w, r, s.Agreements.CreateAgreement)
}

func (s *Server) getAgreement(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Agreements.Agreement(r.Context(), r.PathValue("id"))
	return answer(w, a, err)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	ks, err := s.Keys.Keys(r.Context(), r.URL.Query().Get("tenant"))
	return answer(w, map[string]any{"keys": nonNil(ks)}, err)
}

func (s *Server) issueKey(w http.ResponseWriter, r *http.Request) error {
	return createWith(w, r, s.Keys.IssueKey)
}

func (s *Server) getKey(w http.ResponseWriter, r *http.Request) error {
	return withID(w, r, func(ctx context.Context, id int64, _ struct{}) (*licet.ProductKey, error) {
		return s.Keys.Key(ctx, id)
	})
}

// KeyLookup is the body of POST /v1/keys/lookup: the key goes in the body, never in a URL that
// access logs would keep.
type KeyLookup struct {
	Key string `json:"key"`
}

func (s *Server) lookupKey(w http.ResponseWriter, r *http.Request) error {
	var in KeyLookup
	if err := decode(r, &in); err != nil {
		return err
	}
	k, err := s.Keys.LookupKey(r.Context(), in.Key)
	return answer(w, k, err)
}

// KeyExtension is the body of POST /v1/keys/{id}/extend.
type KeyExtension struct {
	By int64 `json:"by"`
}

func (s *Server) extendKey(w http.ResponseWriter, r *http.Request) error {
	return withID(w, r, func(ctx context.Context, id int64, in KeyExtension) (*licet.ProductKey, error) {
		return s.Keys.ExtendKey(ctx, id, in.By)
	})
}

func (s *Server) blockKey(w http.ResponseWriter, r *http.Request) error {
	return s.setBlocked(w, r, true)
}
func (s *Server) unblockKey(w http.ResponseWriter, r *http.Request) error {
	return s.setBlocked(w, r, false)
}

func (s *Server) setBlocked(w http.ResponseWriter, r *http.Request, blocked bool) error {
	return withID(w, r, func(ctx context.Context, id int64, _ struct{}) (*licet.ProductKey, error) {
		return s.Keys.BlockKey(ctx, id, blocked)
	})
}

// activate is public: the product key is the credential. Every request, well-formed or not, is
// charged to its source address and its key before anything else is done.
func (s *Server) activate(w http.ResponseWriter, r *http.Request) error {
	var in licet.ActivationRequest
	decodeErr := decode(r, &in)
	if s.ActivationLimiter != nil {
		if err := s.ActivationLimiter.Check(r.Context(), s.Proxies.Addr(r), in.Key); err != nil {
			return err
		}
	}
	if decodeErr != nil {
		return decodeErr
	}
	a, err := s.Activations.Activate(r.Context(), in)
	return answer(w, a, err)
}

// createWith decodes a body of type T, creates it with fn and answers 201.
func createWith[T, R any](w http.ResponseWriter, r *http.Request, fn func(context.Context, T) (R, error)) error {
	var in T
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := fn(r.Context(), in)
	if err != nil {
		return err
	}
	return created(w, out)
}

// KeyActivations is the answer of GET /v1/keys/{id}/activations.
type KeyActivations struct {
	Total       int                   `json:"total"`
	Activations []licet.KeyActivation `json:"activations"`
}

func (s *Server) keyActivations(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", licet.DefaultActivationsLimit, 1, licet.MaxActivationsLimit)
	if err != nil {
		return err
	}
	as, total, err := s.KeyActivity.KeyActivations(r.Context(), id, int(limit))
	return answer(w, KeyActivations{Total: total, Activations: nonNil(as)}, err)
}
