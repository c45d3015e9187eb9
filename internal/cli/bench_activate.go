package cli

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/hardware"
)

// maxBenchDuration bounds a benchmark run.
const maxBenchDuration = 10 * time.Minute

// benchActivateCommand drives MAK activations against one or more running servers.
func (a *app) benchActivateCommand() *cobra.Command {
	var concurrency int
	var duration time.Duration
	var servers []string
	activate := &cobra.Command{
		Use:   "activate [--server URL | --servers URL,URL…] --concurrency N --duration D",
		Short: "Drive real MAK activations of distinct machines and print activations/s, p50 and p99",
		Long: "Creates (with the operator token) a tenant, product and agreement named bench and a MAK with a\n" +
			"limit of 10,000,000, then N clients activate distinct machines for D, spread over --servers (replicas\n" +
			"of one service; default: --server). A client whose request fails in transit (a replica went away)\n" +
			"retries the same machine on the next server: an activation the lost replica had committed answers\n" +
			"again without consuming. At the end the key's used count and its stored activations must equal the\n" +
			"machines that got a ticket, or the command exits 1. Start the servers with\n" +
			"--activation-rate-per-address 0 --activation-rate-per-key 0, or the rate limits answer 429.",
		Args: cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			if concurrency < 1 || concurrency > 4096 {
				return Usagef("--concurrency must be from 1 to 4096")
			}
			if duration <= 0 || duration > maxBenchDuration {
				return Usagef("--duration must be from 1ms to %s", maxBenchDuration)
			}
			// admin makes the key and reads its counts, on the first server.
			urls, admin := []string{c.BaseURL}, c
			if len(servers) > 0 {
				urls = servers
				for _, u := range urls {
					if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
						return Usagef("--servers %q: give each server as http(s)://host:port", u)
					}
				}
				var err error
				if admin, err = a.clientFor(urls[0], c.Token); err != nil {
					return err
				}
			}
			key, err := benchKey(ctx, admin)
			if err != nil {
				return err
			}
			r := runActivations(ctx, urls, key.Key, concurrency, duration)
			if err := checkCounts(ctx, admin, key.ID, &r); err != nil {
				return err
			}
			err = a.output(r, func() error {
				fmt.Fprintf(a.stdout, "concurrency %d over %d server(s), %s: %d activations, %d errors %v, %d retried in transit\n",
					concurrency, len(urls), r.Elapsed.Round(time.Millisecond), r.OK, r.Errors, r.ErrorCodes, r.Retried)
				fmt.Fprintf(a.stdout, "%.0f activations/s, p50 %s, p99 %s, max %s\n", r.PerSecond, r.P50, r.P99, r.Max)
				fmt.Fprintf(a.stdout, "key %d: used %d, stored activations %d, machines with a ticket %d\n", key.ID, r.Used, r.Rows, r.OK)
				return nil
			})
			if err == nil && (r.Used != int64(r.OK) || r.Rows != int64(r.OK)) {
				err = fmt.Errorf("counts differ: key %d used %d, %d stored activations, %d machines got a ticket", key.ID, r.Used, r.Rows, r.OK)
			}
			return err
		}),
	}
	activate.Flags().IntVar(&concurrency, "concurrency", 64, "concurrent clients")
	activate.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to run (at most 10m)")
	activate.Flags().StringSliceVar(&servers, "servers", nil, "server URLs to spread the clients over, comma-separated (default: --server)")
	return activate
}

const (
	benchGroup   = 65535
	benchProduct = "bench-app"
)

// benchAgreement makes the benchmark's product group, product and tenant (once) and a fresh
// agreement, and returns the agreement's licensing id.
func benchAgreement(ctx context.Context, c *client.Client) (string, error) {
	ignoreConflict := func(_ any, err error) error {
		if licet.ErrorCode(err) == licet.EConflict {
			return nil
		}
		return err
	}
	if err := ignoreConflict(c.CreateProductGroup(ctx, licet.ProductGroup{ID: benchGroup, Slug: "bench", Name: "Benchmark"})); err != nil {
		return "", err
	}
	if err := ignoreConflict(c.CreateProduct(ctx, licet.Product{Slug: benchProduct, Name: "Benchmark application", Kind: "application", Group: benchGroup})); err != nil {
		return "", err
	}
	if err := ignoreConflict(c.CreateTenant(ctx, licet.Tenant{Slug: "bench", Name: "Benchmark"})); err != nil {
		return "", err
	}
	ag, err := c.CreateAgreement(ctx, licet.Agreement{Tenant: "bench", Program: "enterprise", Level: "D", Quantity: 10})
	if err != nil {
		return "", err
	}
	return ag.LicensingID, nil
}

// benchKey makes a fresh MAK of the benchmark product with a big limit.
func benchKey(ctx context.Context, c *client.Client) (*licet.ProductKey, error) {
	ag, err := benchAgreement(ctx, c)
	if err != nil {
		return nil, err
	}
	return c.IssueKey(ctx, licet.KeyRequest{Agreement: ag, Group: fmt.Sprint(benchGroup), Type: "mak", Limit: 10_000_000})
}

// benchResult is what `licet bench activate` measured.
type benchResult struct {
	OK         int            `json:"ok"`
	Errors     int            `json:"errors"`
	ErrorCodes map[string]int `json:"errorCodes,omitempty"`
	Elapsed    time.Duration  `json:"elapsedNs"`
	PerSecond  float64        `json:"perSecond"`
	P50        time.Duration  `json:"p50Ns"`
	P99        time.Duration  `json:"p99Ns"`
	Max        time.Duration  `json:"maxNs"`
	Servers    int            `json:"servers"`
	Retried    int            `json:"retried"`
	Used       int64          `json:"used"`
	Rows       int64          `json:"rows"`
}

// post sends one activation and returns "" on success or the error code of the answer; err is
// a failure in transit (no answer). The ticket is read but not decoded: the load generator
// should not eat the CPU it measures.
func post(ctx context.Context, hc *http.Client, url string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		_, err = io.Copy(io.Discard, resp.Body)
		return "", err
	}
	var e struct{ Error licet.Error }
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return cmp.Or(e.Error.Code, resp.Status), nil
}

// transitRetries bounds how often one machine is retried after failures in transit.
const transitRetries = 20

// runActivations runs n clients activating distinct machines until d has passed, client w on
// urls[w % len(urls)]. A request started before the deadline is finished and counted, so that
// every activation the servers committed is accounted for; a request that fails in transit is
// retried for the same machine on the next server.
func runActivations(ctx context.Context, urls []string, key string, n int, d time.Duration) benchResult {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
	var run [4]byte
	_, _ = rand.Read(run[:])
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	var lat []time.Duration
	codes := map[string]int{}
	retried := 0
	var wg sync.WaitGroup
	begin := time.Now()
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			mycodes := map[string]int{}
			myretries := 0
			for i := 0; ctx.Err() == nil && time.Now().Before(deadline); i++ {
				id := fmt.Sprintf("bench-%s-%d-%d", hex.EncodeToString(run[:]), w, i)
				body, _ := json.Marshal(licet.ActivationRequest{Key: key, Product: benchProduct,
					Machine: licet.Machine{ID: id, Hardware: hardware.Hash(map[string]string{"board": id}), Hostname: id}})
				for try := 0; ; try++ {
					t0 := time.Now()
					code, err := post(ctx, hc, urls[(w+try)%len(urls)]+client.Path("activations"), body)
					switch {
					case err != nil && try < transitRetries && ctx.Err() == nil:
						myretries++
						time.Sleep(time.Duration(try+1) * 10 * time.Millisecond) // a load generator may wait; tests never do
						continue
					case err != nil:
						mycodes[cmp.Or(licet.ErrorCode(err), "transit")]++
					case code != "":
						mycodes[code]++
					default:
						mine = append(mine, time.Since(t0))
					}
					break
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range mycodes {
				codes[k] += v
			}
			retried += myretries
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := benchResult{OK: len(lat), Elapsed: time.Since(begin), ErrorCodes: codes, Servers: len(urls), Retried: retried}
	for _, v := range codes {
		r.Errors += v
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.PerSecond = float64(len(lat)) / r.Elapsed.Seconds()
		r.P50, r.P99, r.Max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	}
	return r
}

// checkCounts reads the key's used count and its stored activations into r.
func checkCounts(ctx context.Context, c *client.Client, keyID int64, r *benchResult) error {
	k, err := c.Key(ctx, keyID)
	if err != nil {
		return err
	}
	_, rows, err := c.KeyActivations(ctx, keyID, 1)
	if err != nil {
		return err
	}
	r.Used, r.Rows = k.Used, int64(rows)
	return nil
}
