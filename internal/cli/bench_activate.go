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
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/hardware"
)

// maxBenchDuration bounds a benchmark run.
const maxBenchDuration = 10 * time.Minute

// benchActivateCommand drives MAK activations against a running server.
func (a *app) benchActivateCommand() *cobra.Command {
	var concurrency int
	var duration time.Duration
	activate := &cobra.Command{
		Use:   "activate [--server URL] --concurrency N --duration D",
		Short: "Drive real MAK activations of distinct machines and print activations/s, p50 and p99",
		Long: "Creates (with the operator token) a tenant, product and agreement named bench and a MAK with a\n" +
			"limit of 10,000,000, then N clients activate distinct machines for D. Start the server with\n" +
			"--activation-rate-per-address 0 --activation-rate-per-key 0, or the rate limits answer 429.",
		Args: cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			if concurrency < 1 || concurrency > 4096 {
				return Usagef("--concurrency must be from 1 to 4096")
			}
			if duration <= 0 || duration > maxBenchDuration {
				return Usagef("--duration must be from 1ms to %s", maxBenchDuration)
			}
			key, err := benchKey(ctx, c)
			if err != nil {
				return err
			}
			r := runActivations(ctx, c, key, concurrency, duration)
			return a.output(r, func() error {
				fmt.Fprintf(a.stdout, "concurrency %d, %s: %d activations, %d errors %v\n", concurrency, r.Elapsed.Round(time.Millisecond), r.OK, r.Errors, r.ErrorCodes)
				fmt.Fprintf(a.stdout, "%.0f activations/s, p50 %s, p99 %s, max %s\n", r.PerSecond, r.P50, r.P99, r.Max)
				return nil
			})
		}),
	}
	activate.Flags().IntVar(&concurrency, "concurrency", 64, "concurrent clients")
	activate.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to run (at most 10m)")
	return activate
}

const (
	benchGroup   = 65535
	benchProduct = "bench-app"
)

// benchKey makes the benchmark's product (once) and a fresh MAK with a big limit.
func benchKey(ctx context.Context, c *client.Client) (string, error) {
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
	k, err := c.IssueKey(ctx, licet.KeyRequest{Agreement: ag.LicensingID, Group: fmt.Sprint(benchGroup), Type: "mak", Limit: 10_000_000})
	if err != nil {
		return "", err
	}
	return k.Key, nil
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
}

// post sends one activation and returns "" on success or the error code of the answer. The
// ticket is read but not decoded: the load generator should not eat the CPU it measures.
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

// runActivations runs n clients activating distinct machines until d has passed.
func runActivations(ctx context.Context, base *client.Client, key string, n int, d time.Duration) benchResult {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
	url := base.BaseURL + client.Path("activations")
	var run [4]byte
	_, _ = rand.Read(run[:])
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	codes := map[string]int{}
	var wg sync.WaitGroup
	begin := time.Now()
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			mycodes := map[string]int{}
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("bench-%s-%d-%d", hex.EncodeToString(run[:]), w, i)
				body, _ := json.Marshal(licet.ActivationRequest{Key: key, Product: benchProduct,
					Machine: licet.Machine{ID: id, Hardware: hardware.Hash(map[string]string{"board": id}), Hostname: id}})
				t0 := time.Now()
				code, err := post(ctx, hc, url, body)
				if ctx.Err() != nil {
					break // cut off by the deadline: not counted
				}
				if err != nil || code != "" {
					mycodes[cmp.Or(code, licet.ErrorCode(err))]++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range mycodes {
				codes[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := benchResult{OK: len(lat), Elapsed: time.Since(begin), ErrorCodes: codes}
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
