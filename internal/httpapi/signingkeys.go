package httpapi

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"math"
	"net/http"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/signing"
	"github.com/licet/licet/ticket"
)

// Keys is the operator's keyring as the API uses it.
type Keys interface {
	licet.SigningKeyService
	Active(ctx context.Context) (signing.Key, error)
	KeySet(ctx context.Context) (ticket.KeySet, string, error)
}

// SigningKey is the published form of the operator's active key and of its key set.
type SigningKey struct {
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"publicKey"`        // standard base64 of the 32-byte Ed25519 key
	KeyID     uint32 `json:"keyId,omitempty"`  // the active key's id
	KeySet    string `json:"keySet,omitempty"` // the key set, signed by the active key
}

func (s *Server) signingKey(w http.ResponseWriter, r *http.Request) error {
	if s.SigningKeys != nil {
		key, err := s.SigningKeys.Active(r.Context())
		if err != nil {
			return err
		}
		_, set, err := s.SigningKeys.KeySet(r.Context())
		if err != nil {
			return err
		}
		pub := key.Private.Public().(ed25519.PublicKey)
		return ok(w, SigningKey{Algorithm: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(pub), KeyID: key.ID, KeySet: set})
	}
	if len(s.SigningKey) != ed25519.PublicKeySize {
		return licet.Errorf(licet.EUnavailable, "no signing key is configured")
	}
	return ok(w, SigningKey{Algorithm: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(s.SigningKey)})
}

// keyring returns the keyring or an error saying rotation is not configured.
func (s *Server) keyring() (Keys, error) {
	if s.SigningKeys == nil {
		return nil, licet.Errorf(licet.EUnavailable, "signing-key rotation is not configured")
	}
	return s.SigningKeys, nil
}

func (s *Server) listSigningKeys(w http.ResponseWriter, r *http.Request) error {
	k, err := s.keyring()
	if err != nil {
		return err
	}
	keys, err := k.SigningKeys(r.Context())
	return answer(w, map[string]any{"keys": nonNil(keys)}, err)
}

func (s *Server) rotateSigningKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.keyring()
	if err != nil {
		return err
	}
	if _, err := input[struct{}](r); err != nil {
		return err
	}
	out, err := k.RotateSigningKey(r.Context())
	return answer(w, out, err)
}

func (s *Server) retireSigningKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.keyring()
	if err != nil {
		return err
	}
	type retire struct {
		Force bool `json:"force"`
	}
	return withID(w, r, func(ctx context.Context, id int64, in retire) (*licet.SigningKey, error) {
		if id < 1 || id > math.MaxUint32 {
			return nil, licet.Errorf(licet.ENotFound, "signing key %d not found", id)
		}
		return k.RetireSigningKey(ctx, uint32(id), in.Force)
	})
}

// renewKMSHost renews a KMS host's certificate on the host's signature; public, rate limited
// per source address like host activation.
func (s *Server) renewKMSHost(w http.ResponseWriter, r *http.Request) error {
	if s.KMS == nil {
		return licet.Errorf(licet.EUnavailable, "KMS host activation is not configured")
	}
	if err := s.limitKMS(r); err != nil {
		return err
	}
	var req licet.KMSHostRenewal
	if err := decode(r, &req); err != nil {
		return err
	}
	out, err := s.KMS.RenewHost(r.Context(), req)
	return answer(w, out, err)
}

// limitKMS applies the KMS host rate limit to the request's source address.
func (s *Server) limitKMS(r *http.Request) error {
	return s.perSource(s.KMSLimiter, r, "KMS host requests")
}
