package httpapi

import (
	"context"
	"io"
	"math"
	"net/http"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/fleet"
	"github.com/licet/licet/internal/machinelist"
	"github.com/licet/licet/internal/ratelimit"
)

// reportBody bounds a machine report: a KMS host's client table or an agent's own state.
const reportBody = fleet.MaxReportBytes

func (s *Server) listMachines(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	stale, err := machinelist.ParseAge(q.Get("stale"))
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", licet.DefaultMachineLimit, 1, licet.MaxMachineLimit)
	if err != nil {
		return err
	}
	ms, err := s.Inventory.Machines(r.Context(), licet.MachineFilter{
		Tenant: q.Get("tenant"), State: q.Get("state"), Product: q.Get("product"), Method: q.Get("method"), Stale: stale, Limit: int(limit),
	})
	return answer(w, map[string]any{"machines": nonNil(ms)}, err)
}

func (s *Server) getMachine(w http.ResponseWriter, r *http.Request) error {
	return withID(w, r, func(ctx context.Context, id int64, _ struct{}) (*licet.InventoryMachine, error) {
		return s.Inventory.Machine(ctx, id)
	})
}

func (s *Server) reportMachines(w http.ResponseWriter, r *http.Request) error {
	var rep licet.MachineReport
	if err := decode(r, &rep); err != nil {
		return err
	}
	out, err := s.Inventory.ReportMachines(r.Context(), rep)
	return answer(w, out, err)
}

// reportKMSClients takes a KMS host's signed client table; the host's signature is the
// credential, so the route is public.
func (s *Server) reportKMSClients(w http.ResponseWriter, r *http.Request) error {
	if err := s.perSource(s.KMSReportLimiter, r, "KMS client reports"); err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	out, err := s.KMSReports.ReportKMSClients(r.Context(), body, r.Header.Get("Licet-Signature"))
	return answer(w, out, err)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", licet.DefaultEventLimit, 1, licet.MaxEventLimit)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	es, err := s.Events.Events(r.Context(), licet.EventFilter{Tenant: q.Get("tenant"), Type: q.Get("type"), Limit: int(limit)})
	return answer(w, map[string]any{"events": nonNil(es)}, err)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.Webhooks.Webhooks(r.Context())
	return answer(w, map[string]any{"webhooks": nonNil(ws)}, err)
}

func (s *Server) addWebhook(w http.ResponseWriter, r *http.Request) error {
	return createWith(w, r, s.Webhooks.AddWebhook)
}

func (s *Server) removeWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.Webhooks.RemoveWebhook(r.Context(), id)
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	return withID(w, r, func(ctx context.Context, id int64, _ struct{}) (*licet.WebhookDelivery, error) {
		return s.Webhooks.TestWebhook(ctx, id)
	})
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", licet.DefaultEventLimit, 1, licet.MaxEventLimit)
	if err != nil {
		return err
	}
	return withID(w, r, func(ctx context.Context, id int64, _ struct{}) (map[string]any, error) {
		ds, err := s.Webhooks.Deliveries(ctx, id, int(limit))
		return map[string]any{"deliveries": nonNil(ds)}, err
	})
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	return withID(w, r, func(ctx context.Context, id int64, _ struct{}) (*licet.WebhookDelivery, error) {
		return s.Webhooks.Redeliver(ctx, id)
	})
}

// perSource charges the request's source address to a limiter (nil: no limit) and returns
// ERateLimited, with retryAfterSeconds, when it is over. The buckets are RateBuckets' when set,
// else the limiter's own.
func (s *Server) perSource(l *ratelimit.Limiter, r *http.Request, what string) error {
	source := s.Proxies.Addr(r)
	// One bucket per limit and address: the name says which limit, as the shared table holds all.
	v, err := s.RateBuckets.Allow(r.Context(), ratelimit.Charge{Source: what + ":" + source, Limiter: l})
	if err != nil {
		return err
	}
	if !v[0].OK {
		secs := max(int(math.Ceil(v[0].Wait.Seconds())), 1)
		return licet.Errorf(licet.ERateLimited, "too many %s from %s: retry in %d s", what, source, secs).With("retryAfterSeconds", secs)
	}
	return nil
}
