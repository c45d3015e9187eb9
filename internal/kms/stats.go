package kms

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
)

// Names of the persisted counters.
const (
	counterTotal  = "total"
	counterFailed = "failed"
	counterState  = "state:" // + license state
)

// stats are the host's request counters, kept in memory and persisted by the writer.
type stats struct {
	total, failed, activations atomic.Int64
	byState                    [5]atomic.Int64 // in the order of kmsclient.States
}

func (s *stats) load(c map[string]int64) {
	s.total.Store(c[counterTotal])
	s.failed.Store(c[counterFailed])
	for i, st := range kmsclient.States {
		s.byState[i].Store(c[counterState+st])
	}
}

func (s *stats) observe(state string) {
	if i := slices.Index(kmsclient.States, state); i >= 0 {
		s.byState[i].Add(1)
	}
}

// Collector returns the host's Prometheus metrics: the count per pool, the thresholds, the
// requests (total, failed, by client license state), the activations granted and the
// certificate's expiry. They are read at scrape time; requests pay nothing for them.
func (h *Host) Collector() prometheus.Collector { return (*collector)(h) }

type collector Host

var (
	descCount     = prometheus.NewDesc("licet_kms_count", "Distinct machines seen in the last 30 days, per pool.", []string{"pool"}, nil)
	descThreshold = prometheus.NewDesc("licet_kms_threshold", "Default activation threshold per product kind.", []string{"kind"}, nil)
	descTotal     = prometheus.NewDesc("licet_kms_requests_total", "Activation requests received.", nil, nil)
	descFailed    = prometheus.NewDesc("licet_kms_requests_failed_total", "Activation requests refused with an error.", nil, nil)
	descByState   = prometheus.NewDesc("licet_kms_requests_by_state_total", "Valid requests by the client's license state.", []string{"state"}, nil)
	descGranted   = prometheus.NewDesc("licet_kms_activations_total", "Requests answered with a ticket (activations and renewals), since start.", nil, nil)
	descCertExp   = prometheus.NewDesc("licet_kms_certificate_expiry_timestamp_seconds", "When the host certificate expires.", nil, nil)
	descExpired   = prometheus.NewDesc("licet_kms_certificate_expired", "1 when the host certificate has expired (the host refuses every client; re-activate it), else 0.", nil, nil)
	descRenewFail = prometheus.NewDesc("licet_kms_certificate_renewal_failures", "Failed certificate renewal attempts in a row.", nil, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCount, descThreshold, descTotal, descFailed, descByState, descGranted, descCertExp, descExpired, descRenewFail} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	h := (*Host)(c)
	for pool, n := range h.Counts() {
		ch <- prometheus.MustNewConstMetric(descCount, prometheus.GaugeValue, float64(n), pool)
	}
	t := h.cfg.Thresholds
	for kind, n := range map[licet.ProductKind]int{licet.ProductClient: t.Client, licet.ProductServer: t.Server, licet.ProductApplication: t.Application} {
		ch <- prometheus.MustNewConstMetric(descThreshold, prometheus.GaugeValue, float64(n), string(kind))
	}
	ch <- prometheus.MustNewConstMetric(descTotal, prometheus.CounterValue, float64(h.stats.total.Load()))
	ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, float64(h.stats.failed.Load()))
	for i, st := range kmsclient.States {
		ch <- prometheus.MustNewConstMetric(descByState, prometheus.CounterValue, float64(h.stats.byState[i].Load()), st)
	}
	ch <- prometheus.MustNewConstMetric(descGranted, prometheus.CounterValue, float64(h.stats.activations.Load()))
	if cert, ok := h.Certificate(); ok && cert.ExpiresAt != nil {
		ch <- prometheus.MustNewConstMetric(descCertExp, prometheus.GaugeValue, float64(cert.ExpiresAt.Unix()))
		expired := 0.0
		if h.CertificateExpired() {
			expired = 1
		}
		ch <- prometheus.MustNewConstMetric(descExpired, prometheus.GaugeValue, expired)
	}
	if r, err := h.st.renewal(context.Background()); err == nil && r != nil {
		ch <- prometheus.MustNewConstMetric(descRenewFail, prometheus.GaugeValue, float64(r.Failures))
	}
}

// Counts returns the current count of each pool.
func (h *Host) Counts() map[string]int {
	now := h.cfg.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.pools))
	for name, p := range h.pools {
		out[name] = p.count(now)
	}
	return out
}

// Tracked returns how many machines the pools hold in memory (the memory bound's subject).
func (h *Host) Tracked() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, p := range h.pools {
		n += len(p.byID)
	}
	return n
}

// Requests returns the request counters: total, failed, and by license state.
func (h *Host) Requests() (total, failed int64, byState map[string]int64) {
	byState = make(map[string]int64, len(kmsclient.States))
	for i, st := range kmsclient.States {
		byState[st] = h.stats.byState[i].Load()
	}
	return h.stats.total.Load(), h.stats.failed.Load(), byState
}
