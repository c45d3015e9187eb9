package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/httpapi"
	"github.com/licet/licet/internal/ratelimit"
)

// stubActivations refuses every key as the real service refuses unknown and blocked keys.
type stubActivations struct{ calls int }

func (s *stubActivations) Activate(ctx context.Context, r licet.ActivationRequest) (*licet.Activation, error) {
	s.calls++
	return nil, licet.Errorf(licet.CodeInvalidProductKey, "unknown or blocked")
}

func TestActivationRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	stub := &stubActivations{}
	srv := &httpapi.Server{
		Activations: stub,
		ActivationLimiter: activation.Limits{
			PerAddress: &ratelimit.Limiter{Rate: 1, Burst: 2, Now: func() time.Time { return now }},
		},
	}
	h := srv.Handler()
	post := func(body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/activations", strings.NewReader(body))
		req.RemoteAddr = "127.0.0.1:5555"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantRetry  string
	}{
		{"first", `{"key":"x","product":"p","machine":{"id":"m"}}`, http.StatusUnprocessableEntity, ""},
		{"malformed JSON is charged too", `{`, http.StatusBadRequest, ""},
		{"third is limited", `{"key":"x","product":"p","machine":{"id":"m"}}`, http.StatusTooManyRequests, "1"},
	}
	for _, tt := range tests {
		w := post(tt.body)
		if w.Code != tt.wantStatus || w.Header().Get("Retry-After") != tt.wantRetry {
			t.Fatalf("%s: status %d Retry-After %q (%s), want %d %q", tt.name, w.Code, w.Header().Get("Retry-After"), w.Body, tt.wantStatus, tt.wantRetry)
		}
	}
	if stub.calls != 1 {
		t.Fatalf("the service was called %d times, want once (limited and malformed requests stop before it)", stub.calls)
	}
	if w := post(strings.Repeat(" ", 5000)); w.Code != http.StatusRequestEntityTooLarge && w.Code != http.StatusTooManyRequests {
		t.Fatalf("oversized body: %d", w.Code)
	}
}
