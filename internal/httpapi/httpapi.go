// Package httpapi serves licet's HTTP API under /v1, the health endpoints and the metrics. Routes
// are listed in routes.go; handlers return errors and one adapter writes them as JSON.
package httpapi

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/catalogstore"
	"github.com/licet/licet/internal/clientaddr"
	"github.com/licet/licet/internal/ratelimit"
	"github.com/licet/licet/internal/store"
)

// DefaultMaxBody bounds every request body unless a route sets its own bound.
const DefaultMaxBody = 1 << 20

// Server holds the services the API exposes. Fields left nil disable their routes' work (they
// answer EUnavailable), which keeps tests small.
type Server struct {
	DB      *store.DB
	Tenants licet.TenantService
	Tokens  licet.TokenService
	Audit   licet.AuditService
	Seats   licet.SeatService
	// Volume activation: products, agreements, keys and machine activation.
	Products          licet.ProductService
	Agreements        licet.AgreementService
	Keys              licet.KeyService
	Activations       licet.ActivationService
	KeyActivity       licet.KeyActivityService
	ActivationLimiter ActivationLimiter
	Numbers           licet.NumberService
	Credits           licet.CreditService
	// Offline activates machines from installation IDs (phone and proxy); MAKRequests handles
	// promotional MAK requests.
	Offline     licet.OfflineActivationService
	MAKRequests licet.MAKRequestService
	// Catalog returns the SKU catalog in force.
	Catalog func() *catalog.Catalog
	// Catalogs stores the catalog's versions; CatalogVersion returns the version this replica
	// serves (nil when none).
	Catalogs       *catalogstore.Store
	CatalogVersion func() *licet.CatalogVersion
	// SigningKey is the operator's public key, published for offline ticket verification.
	SigningKey ed25519.PublicKey
	// SigningKeys is the operator's keyring: the published key set, rotation and retirement.
	SigningKeys Keys
	Logger      *slog.Logger
	// KMS certifies KMS hosts; KMSLimiter rate-limits its public route per source address.
	KMS        licet.KMSHostService
	KMSLimiter *ratelimit.Limiter
	// Inventory is the machine inventory; KMSReports takes KMS hosts' signed client tables.
	Inventory  licet.InventoryService
	KMSReports licet.KMSReportService
	// KMSReportLimiter rate-limits the public report route per source address.
	KMSReportLimiter *ratelimit.Limiter
	// RateBuckets, when set (several processes on one PostgreSQL), holds the buckets of
	// KMSLimiter and KMSReportLimiter in the database, so that they limit the whole service;
	// else each process keeps its own.
	RateBuckets *ratelimit.Shared
	// Events lists the events of the outbox; Webhooks manages where they are delivered.
	Events   licet.EventService
	Webhooks licet.WebhookService
	// Registry receives the HTTP and database metrics; a fresh one is made when nil.
	Registry *prometheus.Registry
	// Proxies are the trusted reverse proxies: the client address of rate limits is read from
	// their forwarding headers. nil trusts none (the address is the TCP peer's).
	Proxies *clientaddr.Proxies
	// Console, when set, serves every path outside /v1 that no API route takes: the web console.
	Console http.Handler

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// handlerFunc is an API handler: it writes its answer or returns an error for writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handler returns the root handler with every route, metrics and the body limit.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Registry == nil {
		s.Registry = prometheus.NewRegistry()
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "licet_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "licet_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route"})
	s.Registry.MustRegister(s.requests, s.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if s.DB != nil {
		s.Registry.MustRegister(collectors.NewDBStatsCollector(s.DB.SQL(), "licet"))
	}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.Console != nil && r.URL.Path != "/v1" && !strings.HasPrefix(r.URL.Path, "/v1/") {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			s.Console.ServeHTTP(sw, r)
			s.observe("console", sw, start)
			return
		}
		s.writeError(w, r, licet.Errorf(licet.ENotFound, "no route for %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// statusWriter remembers the status code for metrics and logs.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the underlying writer (flushing, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wrap adds the body limit, authentication, metrics and error writing to a route.
func (s *Server) wrap(rt route) http.Handler {
	limit := rt.MaxBody
	if limit == 0 {
		limit = DefaultMaxBody
	}
	label := rt.Method + " " + rt.Pattern
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		r.Body = http.MaxBytesReader(sw, r.Body, limit)
		err := s.serve(sw, r, rt)
		if err != nil {
			s.writeError(sw, r, err)
		}
		if sw.code == 0 {
			sw.WriteHeader(http.StatusNoContent)
		}
		s.observe(label, sw, start)
	})
}

// observe counts a request by route and status and records its latency. The console's pages
// are counted under the one route "console".
func (s *Server) observe(route string, sw *statusWriter, start time.Time) {
	code := sw.code
	if code == 0 {
		code = http.StatusOK
	}
	s.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	s.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route) error {
	if !rt.Public {
		actor, err := s.authenticate(r)
		if err != nil {
			return err
		}
		r = r.WithContext(licet.WithActor(r.Context(), actor))
	}
	return rt.Handler(w, r)
}

func (s *Server) authenticate(r *http.Request) (licet.Actor, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		return licet.Actor{}, licet.Errorf(licet.EUnauthorized, "this route needs a token: send Authorization: Bearer <token> (the CLI reads --token, LICET_TOKEN or --token-file)")
	}
	if s.Tokens == nil {
		return licet.Actor{}, licet.Errorf(licet.EUnavailable, "authentication is not configured")
	}
	return s.Tokens.Authenticate(r.Context(), strings.TrimSpace(secret))
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error *licet.Error `json:"error"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = licet.Errorf(licet.ETooLarge, "the request body is over the limit of %d bytes", maxErr.Limit).With("limit", maxErr.Limit)
	}
	if errors.Is(err, context.Canceled) {
		err = licet.Errorf(licet.EUnavailable, "the request was cancelled")
	}
	e := licet.AsError(err)
	if e.Code == licet.EInternal {
		s.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.Code == licet.ERateLimited {
		if after, ok := e.Details["retryAfterSeconds"]; ok {
			w.Header().Set("Retry-After", fmt.Sprint(after))
		}
	}
	writeJSON(w, licet.HTTPStatus(e.Code), errorBody{Error: e})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// answer returns err when it is set, and otherwise writes v as a 200 JSON answer: the end of
// every handler that reads something from a service.
func answer(w http.ResponseWriter, v any, err error) error {
	if err != nil {
		return err
	}
	return ok(w, v)
}

// ok writes v as a 200 JSON answer.
func ok(w http.ResponseWriter, v any) error { return writeJSON(w, http.StatusOK, v) }

// created writes v as a 201 JSON answer.
func created(w http.ResponseWriter, v any) error { return writeJSON(w, http.StatusCreated, v) }

// decode reads a JSON object body into v strictly (licet.DecodeObject): null, an array or a
// scalar, unknown fields, trailing data and syntax errors are EInvalid with the place of the
// problem; a body over the limit is ETooLarge.
func decode(r *http.Request, v any) error {
	return licet.DecodeObject(r.Body, v)
}

// withID answers a route on one object named by a numeric {id}: it parses the id, decodes the
// JSON body into In when In is not struct{} (a route without a body), calls fn and writes its
// result as a 200 JSON answer.
func withID[In, Out any](w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, id int64, in In) (Out, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := input[In](r)
	if err != nil {
		return err
	}
	out, err := fn(r.Context(), id, in)
	return answer(w, out, err)
}

// input decodes the JSON body into an In, or, when In is struct{} (a route that takes none),
// accepts only an empty body or {}.
func input[In any](r *http.Request) (In, error) {
	var in In
	if _, none := any(in).(struct{}); none {
		return in, licet.DecodeNothing(r.Body)
	}
	return in, decode(r, &in)
}

// queryInt reads an integer query parameter: def when it is absent, else a whole number from min
// to max (the bounds docs/openapi.yaml states), or EInvalid naming the parameter.
func queryInt(r *http.Request, name string, def, min, max int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > max {
		return 0, licet.Errorf(licet.EInvalid, "query parameter %s=%q must be a whole number from %d to %d", name, v, min, max).With("field", name)
	}
	return n, nil
}

// pathID parses a numeric path value.
func pathID(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, licet.Errorf(licet.EInvalid, "%s %q is not a positive number", name, r.PathValue(name))
	}
	return v, nil
}
