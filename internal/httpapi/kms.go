package httpapi

import (
	"context"
	"math"
	"net"
	"net/http"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/ratelimit"
)

// kmsHostBody bounds a host activation request: a key, an id, a public key and a hostname.
const kmsHostBody = 4 << 10

// activateKMSHost certifies a KMS host; the kms-host key in the body is the credential, so the
// route is public and rate limited per source address.
func (s *Server) activateKMSHost(w http.ResponseWriter, r *http.Request) error {
	if s.KMS == nil {
		return licet.Errorf(licet.EUnavailable, "KMS host activation is not configured")
	}
	if err := perSource(s.KMSLimiter, r, "KMS host activations"); err != nil {
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
		return map[string]any{"key_id": id, "limit": in.Limit}, s.KMS.SetHostLimit(ctx, id, in.Limit)
	})
}

// perSource charges the request's source address to a limiter (nil: no limit) and returns
// ERateLimited, with retry_after_seconds, when it is over.
func perSource(l *ratelimit.Limiter, r *http.Request, what string) error {
	if l == nil {
		return nil
	}
	source, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		source = r.RemoteAddr
	}
	if allowed, wait := l.Allow(source); !allowed {
		secs := int(math.Ceil(wait.Seconds()))
		return licet.Errorf(licet.ERateLimited, "too many %s from %s: retry in %d s", what, source, secs).With("retry_after_seconds", secs)
	}
	return nil
}
