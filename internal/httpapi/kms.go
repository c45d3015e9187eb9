package httpapi

import (
	"context"
	"math"
	"net"
	"net/http"

	"github.com/licet/licet"
)

// kmsHostBody bounds a host activation request: a key, an id, a public key and a hostname.
const kmsHostBody = 4 << 10

// activateKMSHost certifies a KMS host; the kms-host key in the body is the credential, so the
// route is public and rate limited per source address.
func (s *Server) activateKMSHost(w http.ResponseWriter, r *http.Request) error {
	if s.KMS == nil {
		return licet.Errorf(licet.EUnavailable, "KMS host activation is not configured")
	}
	if s.KMSLimiter != nil {
		source, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			source = r.RemoteAddr
		}
		if allowed, wait := s.KMSLimiter.Allow(source); !allowed {
			secs := int(math.Ceil(wait.Seconds()))
			return licet.Errorf(licet.ERateLimited, "too many KMS host activations from %s: retry in %d s", source, secs).With("retryAfterSeconds", secs)
		}
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
