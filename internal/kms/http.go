package kms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
)

// Handler returns the host's HTTP handler: POST /v1/kms/activate, GET /healthz, GET /metrics.
func (h *Host) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.Collector(), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+kmsclient.ActivatePath, h.serveActivate)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, activated := h.Certificate()
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "hostId": h.id, "activated": activated, "certificateExpired": h.CertificateExpired()})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, licet.Errorf(licet.ENotFound, "no route for %s %s on a KMS host (it answers POST %s)", r.Method, r.URL.Path, kmsclient.ActivatePath))
	})
	return mux
}

func (h *Host) serveActivate(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, kmsclient.MaxRequestBody)
	req, err := DecodeRequest(r.Body)
	if err != nil {
		h.stats.total.Add(1)
		h.stats.failed.Add(1)
		h.w.add(nil, counterTotal, counterFailed)
		writeError(w, err)
		return
	}
	resp, err := h.Activate(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// DecodeRequest reads a client request strictly (licet.DecodeObject): one JSON object, no
// unknown fields.
func DecodeRequest(body io.Reader) (kmsclient.Request, error) {
	var req kmsclient.Request
	err := licet.DecodeObject(body, &req)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return req, licet.Errorf(licet.ETooLarge, "the request is over the limit of %d bytes", maxErr.Limit)
	}
	return req, err
}

// writeError answers an error with the registry's status, except that a host that cannot serve
// (not activated, or its certificate expired) answers 503, so that clients try another host: the
// KMS protocol's fail-over rule.
func writeError(w http.ResponseWriter, err error) {
	e := licet.AsError(err)
	status := licet.HTTPStatus(e.Code)
	if e.Code == licet.CodeKMSHostNotActivated || e.Code == licet.CodeKMSCertificateExpired {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", kmsclient.ContentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeOptions are the network side of `licet kms serve`.
type ServeOptions struct {
	Addr     string         // listen address; 127.0.0.1:8471 by default in the CLI
	DNS      *DNSPublishing // nil: no DNS publishing
	OnListen func(net.Addr) // called once the host accepts connections
	Stdout   io.Writer
	// Central, when set, is the central service the host renews its certificate against
	// (MaintainCertificate, checked every minute, acting when due).
	Central Central
}

// Serve listens and answers until ctx ends. It publishes the SRV records on start and every
// DNSPublishing.Every (24 h), re-reads the certificate every minute (so that a re-activation is
// picked up), and on shutdown stops HTTP, removes its SRV records (unless DNSPublishing.Keep),
// then commits the queued writes.
func (h *Host) Serve(ctx context.Context, o ServeOptions) error {
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return licet.Errorf(licet.EInvalid, "cannot listen on %s: %v", o.Addr, err)
	}
	log := h.cfg.Logger
	srv := &http.Server{
		Handler: h.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if o.Stdout != nil {
		cert, ok := h.Certificate()
		state := "NOT ACTIVATED: run licet kms activate"
		if ok {
			state = fmt.Sprintf("certificate for group %d covering %v, expires %s", cert.Group, cert.Covers, cert.ExpiresAt.Format(time.DateOnly))
		}
		fmt.Fprintf(o.Stdout, "licet kms: host %s listening on http://%s (%s)\n", h.id, ln.Addr(), state)
	}
	if cert, ok := h.Certificate(); ok && h.CertificateExpired() {
		log.Error("KMS host certificate expired: the host refuses every client", "expired", cert.ExpiresAt, "way_out", "licet kms activate --key KMS-HOST-KEY")
		if o.Stdout != nil {
			fmt.Fprintf(o.Stdout, "licet kms: the host certificate EXPIRED on %s: clients are refused until you re-activate (licet kms activate --key KMS-HOST-KEY)\n", cert.ExpiresAt.Format(time.DateOnly))
		}
	}
	if o.OnListen != nil {
		o.OnListen(ln.Addr())
	}
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	dnsDone := make(chan struct{})
	if o.DNS != nil {
		go func() { defer close(dnsDone); o.DNS.Run(bg, log) }()
	} else {
		close(dnsDone)
	}
	if o.Central != nil {
		if err := h.checkAtStart(ctx); err != nil {
			log.Warn("cannot read the renewal record", "err", err)
		}
	}
	go h.reloadLoop(bg, o.Central)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = srv.Shutdown(shutdown)
	}
	stopBG()
	<-dnsDone // the records are removed before the host says it stopped
	return err
}

// reloadLoop re-reads the certificate every minute and, with a central service, renews it when
// due (MaintainCertificate logs its own failures).
func (h *Host) reloadLoop(ctx context.Context, central Central) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if central != nil {
			_, _ = h.MaintainCertificate(ctx, central)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := h.ReloadCertificate(ctx); err != nil {
				h.cfg.Logger.Warn("cannot reload the host certificate", "err", err)
			}
		}
	}
}
