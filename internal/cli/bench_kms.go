package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet/client/kmsclient"
	"github.com/licet/licet/internal/kms"
)

// KMSBenchResult is what `licet bench kms` measured.
type KMSBenchResult struct {
	Host        string  `json:"host"`
	Clients     int     `json:"clients"`
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"requests"`
	Renewals    int     `json:"renewals"` // answers with a ticket
	Failed      int     `json:"failed"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"requestsPerSecond"`
	RenewalsSec float64 `json:"renewalsPerSecond"`
	P50Micros   int64   `json:"p50Us"`
	P99Micros   int64   `json:"p99Us"`
	ClientRows  int     `json:"clientRows"` // rows of the host's persisted client table afterwards (in-process host)
}

func (a *app) benchKMSCommand() *cobra.Command {
	var host, product, key string
	var clients, concurrency, requests int
	cmd := &cobra.Command{
		Use:   "kms",
		Short: "Drive simulated clients (distinct machine ids) against a KMS host; print renewals/s and p50/p99",
		Long: "Without --host, starts a throwaway host on 127.0.0.1 (its own state directory and a throwaway\n" +
			"operator key) with the client table persisted, lets every client activate once, then measures\n" +
			"--requests renewals from --concurrency workers.",
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&host, "host", "", "a running host, http://HOST:PORT (default: a throwaway host in this process)")
	f.StringVar(&product, "product", "desktop", "product slug to ask for (with --host)")
	f.StringVar(&key, "key", "", "the product's kms-client key (with --host)")
	f.IntVar(&clients, "clients", 10000, "simulated clients (distinct machine ids)")
	f.IntVar(&concurrency, "concurrency", 64, "concurrent requests")
	f.IntVar(&requests, "requests", 200000, "renewal requests to measure")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if clients < 1 || clients > 10_000_000 || concurrency < 1 || concurrency > 4096 || requests < 1 || requests > 100_000_000 {
			return Usagef("--clients (1 to 10,000,000), --concurrency (1 to 4096) and --requests (1 to 100,000,000) are out of range")
		}
		ctx := cmd.Context()
		var h *kms.Host
		if host == "" {
			dir, err := os.MkdirTemp("", "licet-bench-kms-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			products := kms.SelfProducts(1)
			if _, _, err := kms.SelfCertify(ctx, dir, kms.SelfSpec{Group: 1, Products: products, Now: time.Now()}); err != nil {
				return err
			}
			if h, err = kms.Open(ctx, kms.Config{StateDir: dir}); err != nil {
				return err
			}
			defer h.Close()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 5 * time.Second}
			go srv.Serve(ln)
			defer srv.Close()
			host, product, key = "http://"+ln.Addr().String(), products[0].Slug, products[0].GVLK
		} else if key == "" {
			return Usagef("--key (the product's kms-client key) is required with --host")
		}
		res, err := runKMSBench(ctx, host+kmsclient.ActivatePath, product, key, clients, concurrency, requests)
		if err != nil {
			return err
		}
		if h != nil {
			h.Close()
			st, err := kms.ReadStatus(ctx, h.StateDir(), time.Now(), 0)
			if err != nil {
				return err
			}
			res.ClientRows = st.ClientTotal
		}
		return a.output(res, func() error {
			fmt.Fprintf(a.stdout, "host %s: %d clients, %d concurrent, %d requests in %.2f s\n", res.Host, res.Clients, res.Concurrency, res.Requests, res.Seconds)
			fmt.Fprintf(a.stdout, "requests/s %.0f   renewals/s %.0f   p50 %d µs   p99 %d µs   failed %d\n", res.PerSecond, res.RenewalsSec, res.P50Micros, res.P99Micros, res.Failed)
			if res.ClientRows > 0 {
				fmt.Fprintf(a.stdout, "client table persisted: %d rows\n", res.ClientRows)
			}
			return nil
		})
	}
	return cmd
}

// runKMSBench lets every client ask once (warm-up, so that all are activated), then sends
// requests renewals from concurrency workers, client i%clients for the i-th request.
func runKMSBench(ctx context.Context, url, product, key string, clients, concurrency, requests int) (*KMSBenchResult, error) {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxIdleConns: concurrency}}
	ask := func(machine int) (bool, error) {
		body, _ := json.Marshal(kmsclient.Request{MachineID: fmt.Sprintf("bench-%07d", machine), Product: product, Key: key, State: kmsclient.StateLicensed})
		req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
		if err != nil {
			return false, err
		}
		req.Header.Set("Content-Type", kmsclient.ContentType)
		resp, err := hc.Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return false, err
		}
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("host answered %s: %s", resp.Status, data)
		}
		var r kmsclient.Response
		if err := json.Unmarshal(data, &r); err != nil {
			return false, err
		}
		return r.Activated, nil
	}
	run := func(n int, lat []time.Duration) (renewed, failed int64, firstErr error) {
		var next atomic.Int64
		var r, f atomic.Int64
		var once sync.Once
		var wg sync.WaitGroup
		for range concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= n || ctx.Err() != nil {
						return
					}
					t0 := time.Now()
					ok, err := ask(i % clients)
					if lat != nil {
						lat[i] = time.Since(t0)
					}
					switch {
					case err != nil:
						f.Add(1)
						once.Do(func() { firstErr = err })
					case ok:
						r.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		return r.Load(), f.Load(), firstErr
	}
	if _, failed, err := run(clients, nil); failed > 0 {
		return nil, fmt.Errorf("warm-up: %d of %d requests failed, first: %v", failed, clients, err)
	}
	lat := make([]time.Duration, requests)
	t0 := time.Now()
	renewed, failed, _ := run(requests, lat)
	secs := time.Since(t0).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.Sort(lat)
	pct := func(p float64) int64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds() }
	return &KMSBenchResult{
		Host: url, Clients: clients, Concurrency: concurrency, Requests: requests, Renewals: int(renewed), Failed: int(failed),
		Seconds: secs, PerSecond: float64(requests) / secs, RenewalsSec: float64(renewed) / secs, P50Micros: pct(0.50), P99Micros: pct(0.99),
	}, nil
}
