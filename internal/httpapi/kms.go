package httpapi

import (
	"context"
	"net/http"

	"github.com/licet/licet"
)

// kmsHostBody bounds a host activation request: a key, an id, a public key and a hostname.
const kmsHostBody = 4 << 10

// kmsRenewalBody bounds a certificate renewal: the certificate (at most 16 KiB) and a signature.
const kmsRenewalBody = 24 << 10

// activateKMSHost certifies a KMS host; the kms-host key in the body is the credential, so the
// route is public and rate limited per source address.
func (s *Server) activateKMSHost(w http.ResponseWriter, r *http.Request) error {
	if s.KMS == nil {
		return licet.Errorf(licet.EUnavailable, "KMS host activation is not configured")
	}
	if err := s.limitKMS(r); err != nil {
		return err
	}
	var req licet.KMSHostRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	out, err := s.KMS.ActivateHost(r.Context(), req)
	return answer(w, out, err)
}

// approveKMSHost answers an air-gapped host's request file.
func (s *Server) approveKMSHost(w http.ResponseWriter, r *http.Request) error {
	if s.KMS == nil {
		return licet.Errorf(licet.EUnavailable, "KMS host activation is not configured")
	}
	var req licet.KMSHostRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	out, err := s.KMS.ApproveHost(r.Context(), req)
	return answer(w, out, err)
}

// setKMSHostLimit sets how many distinct hosts a kms-host key may activate.
func (s *Server) setKMSHostLimit(w http.ResponseWriter, r *http.Request) error {
	if s.KMS == nil {
		return licet.Errorf(licet.EUnavailable, "KMS host activation is not configured")
	}
	type hostLimit struct {
		Limit int `json:"limit"`
	}
	return withID(w, r, func(ctx context.Context, id int64, in hostLimit) (map[string]any, error) {
		return map[string]any{"keyId": id, "limit": in.Limit}, s.KMS.SetHostLimit(ctx, id, in.Limit)
	})
}
