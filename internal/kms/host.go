// Package kms is licet's KMS host: activated once against the central service (a host
// certificate signed by the operator), it answers activation requests of machines holding a
// kms-client key on the organisation's own network. It counts the distinct machines seen in the
// last 30 days — clients and servers in one pool, applications in another — and activates a
// product once the count of its pool reaches the product kind's threshold (client 25, server 5,
// application 5), with a ticket signed by the host and chained to the operator's key. It keeps its
// client table in SQLite in its state directory (so, unlike Microsoft's host, the count survives a
// restart), publishes itself in DNS SRV records, and reports statistics and metrics.
package kms

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/ticket"
)

// Defaults of a host (Microsoft's documented figures).
const (
	DefaultRenewInterval = 7 * 24 * time.Hour
	DefaultRetryInterval = 2 * time.Hour
	Validity             = 180 * 24 * time.Hour // a ticket's life; each renewal restarts it
	MinInterval          = 15 * time.Minute
	MaxInterval          = 30 * 24 * time.Hour
	// DefaultMaxTracked bounds the machines kept in memory per pool: about 100 bytes each, so
	// 100,000 machines take about 10 MB per pool.
	DefaultMaxTracked = 100_000
)

// Thresholds are the counts at which each kind of product activates.
type Thresholds struct {
	Client      int `json:"client"`
	Server      int `json:"server"`
	Application int `json:"application"`
}

// DefaultThresholds are Microsoft's: 25 for client products, 5 for servers and applications.
var DefaultThresholds = Thresholds{Client: licet.KMSThresholdClient, Server: licet.KMSThresholdServer, Application: licet.KMSThresholdApplication}

// of returns the threshold of a kind.
func (t Thresholds) of(kind licet.ProductKind) int {
	switch kind {
	case licet.ProductServer:
		return t.Server
	case licet.ProductApplication:
		return t.Application
	}
	return t.Client
}

// over returns t with the non-zero fields of o.
func (t Thresholds) over(o Thresholds) Thresholds {
	if o.Client > 0 {
		t.Client = o.Client
	}
	if o.Server > 0 {
		t.Server = o.Server
	}
	if o.Application > 0 {
		t.Application = o.Application
	}
	return t
}

// Config is how a host runs.
type Config struct {
	StateDir      string
	Now           func() time.Time // the clock; time.Now when nil
	RenewInterval time.Duration    // DefaultRenewInterval when zero
	RetryInterval time.Duration    // DefaultRetryInterval when zero
	Thresholds    Thresholds       // zero fields take DefaultThresholds
	// GroupThresholds override Thresholds for the products of a group (zero fields: no override).
	GroupThresholds map[uint16]Thresholds
	MaxTracked      int // machines kept in memory per pool; DefaultMaxTracked when zero
	Logger          *slog.Logger
}

// check fills defaults and validates the config.
func (c *Config) check() error {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.RenewInterval == 0 {
		c.RenewInterval = DefaultRenewInterval
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = DefaultRetryInterval
	}
	for name, d := range map[string]time.Duration{"renewal": c.RenewInterval, "retry": c.RetryInterval} {
		if d < MinInterval || d > MaxInterval {
			return licet.Errorf(licet.EInvalid, "the %s interval %s is out of range: use 15m to 30d", name, FormatDuration(d))
		}
	}
	if c.MaxTracked == 0 {
		c.MaxTracked = DefaultMaxTracked
	}
	given := []Thresholds{c.Thresholds}
	for _, t := range c.GroupThresholds {
		given = append(given, t)
	}
	for _, t := range given {
		if t.Client < 0 || t.Server < 0 || t.Application < 0 {
			return licet.Errorf(licet.EInvalid, "thresholds must be positive")
		}
	}
	c.Thresholds = DefaultThresholds.over(c.Thresholds)
	all := []Thresholds{c.Thresholds}
	for _, t := range c.GroupThresholds {
		all = append(all, c.Thresholds.over(t))
	}
	for _, t := range all {
		for _, n := range []int{t.Client, t.Server, t.Application} {
			if n < 1 || n > c.MaxTracked {
				return licet.Errorf(licet.EInvalid, "threshold %d is out of range: use 1 to %d (the machines tracked per pool)", n, c.MaxTracked)
			}
		}
	}
	return nil
}

// certificate is the installed host certificate and what goes with it.
type certificate struct {
	signed   string
	operator string // the operator's public key the host pinned, base64
	keySet   string // the operator's key set, passed on to clients
	t        ticket.Ticket
	products map[string]licet.KMSProduct
}

// Host is a running KMS host.
type Host struct {
	cfg   Config
	st    *state
	id    string
	key   ed25519.PrivateKey
	cert  atomic.Pointer[certificate]
	w     *writer
	stats stats
	once  sync.Once

	mu    sync.Mutex
	pools map[string]*pool
}

// Open opens the host's state (creating its identity on first use), loads its certificate and
// the client table, and starts the writer. Close stops it.
func Open(ctx context.Context, cfg Config) (*Host, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	st, err := openState(ctx, cfg.StateDir)
	if err != nil {
		return nil, err
	}
	h := &Host{cfg: cfg, st: st, pools: map[string]*pool{
		kmsclient.PoolSystems: newPool(cfg.MaxTracked), kmsclient.PoolApplications: newPool(cfg.MaxTracked),
	}}
	if err := h.open(ctx); err != nil {
		st.close()
		return nil, err
	}
	if h.w, err = startWriter(st.db, cfg.Now, Validity); err != nil {
		st.close()
		return nil, err
	}
	return h, nil
}

func (h *Host) open(ctx context.Context) error {
	var err error
	if h.id, h.key, err = h.st.identity(ctx); err != nil {
		return err
	}
	if _, err := h.ReloadCertificate(ctx); err != nil {
		return err
	}
	if err := h.loadClients(ctx); err != nil {
		return err
	}
	counters, err := h.st.counters(ctx)
	if err != nil {
		return err
	}
	h.stats.load(counters)
	cfgJSON, _ := json.Marshal(map[string]any{
		"renew_interval": FormatDuration(h.cfg.RenewInterval), "retry_interval": FormatDuration(h.cfg.RetryInterval),
		"thresholds": h.cfg.Thresholds, "group_thresholds": h.cfg.GroupThresholds, "max_tracked": h.cfg.MaxTracked,
	})
	return h.st.set(ctx, "config", string(cfgJSON))
}

// loadClients fills the pools with the machines of the stored table seen in the window, the
// most recent MaxTracked of each pool.
func (h *Host) loadClients(ctx context.Context) error {
	now := h.cfg.Now()
	for name, p := range h.pools {
		rows, err := h.st.db.QueryContext(ctx, `SELECT machine_id, last_seen FROM (SELECT machine_id, last_seen FROM clients WHERE pool = ? AND last_seen > ? ORDER BY last_seen DESC LIMIT ?) ORDER BY last_seen`,
			name, now.Add(-Window).UnixMilli(), h.cfg.MaxTracked)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var ms int64
			if err := rows.Scan(&id, &ms); err != nil {
				rows.Close()
				return err
			}
			p.load(id, time.UnixMilli(ms), now)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// ReloadCertificate reads the installed certificate from the state (after `licet kms activate`
// installed a new one) and reports whether one is installed.
func (h *Host) ReloadCertificate(ctx context.Context) (bool, error) {
	signed, err := h.st.get(ctx, "certificate")
	if err != nil || signed == "" {
		return false, err
	}
	if cur := h.cert.Load(); cur != nil && cur.signed == signed {
		if ks, _ := h.st.get(ctx, "key_set"); ks == cur.keySet {
			return true, nil
		}
	}
	c, err := h.st.loadCertificate(ctx, h.id, h.key)
	if err != nil {
		return false, err
	}
	h.cert.Store(c)
	return true, nil
}

// ID returns the host's id.
func (h *Host) ID() string { return h.id }

// Certificate returns the installed certificate's ticket, or false when the host is not activated.
func (h *Host) Certificate() (ticket.Ticket, bool) {
	c := h.cert.Load()
	if c == nil {
		return ticket.Ticket{}, false
	}
	return c.t, true
}

// Close commits what is queued and closes the state.
func (h *Host) Close() error {
	var err error
	h.once.Do(func() {
		h.w.close()
		err = h.st.close()
	})
	return err
}

// threshold returns the threshold of a product.
func (h *Host) threshold(p licet.KMSProduct) int {
	t := h.cfg.Thresholds
	if o, ok := h.cfg.GroupThresholds[p.Group]; ok {
		t = t.over(o)
	}
	return t.of(p.Kind)
}

// Activate answers a client's request. Refusals are licet errors: EInvalid (malformed request,
// wrong key), licet.CodeUnknownProduct, licet.CodeProductNotCovered, licet.CodeKMSHostNotActivated, licet.CodeKMSCertificateExpired, and
// EUnavailable when the state cannot be written.
func (h *Host) Activate(ctx context.Context, req kmsclient.Request) (*kmsclient.Response, error) {
	resp, err := h.activate(ctx, req)
	if err != nil {
		h.stats.failed.Add(1)
		h.w.add(nil, counterTotal, counterFailed)
		return nil, err
	}
	return resp, nil
}

func (h *Host) activate(ctx context.Context, req kmsclient.Request) (*kmsclient.Response, error) {
	h.stats.total.Add(1)
	if err := req.Check(); err != nil {
		return nil, err
	}
	c := h.cert.Load()
	if c == nil {
		return nil, licet.Errorf(licet.CodeKMSHostNotActivated, "this KMS host is not activated: its administrator runs `licet kms activate`")
	}
	now := h.cfg.Now().UTC()
	if !now.Before(*c.t.ExpiresAt) {
		return nil, licet.Errorf(licet.CodeKMSCertificateExpired, "this KMS host's certificate expired on %s: its administrator re-activates it with `licet kms activate` (free for the same host)", c.t.ExpiresAt.Format(time.DateOnly))
	}
	p, ok := c.products[req.Product]
	if !ok {
		return nil, licet.Errorf(licet.CodeUnknownProduct, "product %q is unknown to this KMS host, which activates %s. Way out: check the product slug, or, for a product released after the host was activated, re-activate the host to refresh its list",
			req.Product, strings.Join(c.productList(), ", ")).With("product", req.Product)
	}
	if !slices.Contains(c.t.Covers, p.Group) {
		return nil, licet.Errorf(licet.CodeProductNotCovered, "product %q is in product group %d, which this host's key (group %d) does not cover: activate it with a MAK, or run a host with a key of a group that covers %d",
			p.Slug, p.Group, c.t.Group, p.Group).With("group", p.Group).With("covers", c.t.Covers)
	}
	if err := checkClientKey(req, p); err != nil {
		return nil, err
	}
	if req.Kind != "" && req.Kind != p.Kind {
		return nil, licet.Errorf(licet.EInvalid, "product %q is a %s product, not %s", p.Slug, p.Kind, req.Kind).With("field", "kind")
	}
	state := req.State
	if state == "" {
		state = kmsclient.StateUnlicensed
	}
	poolName := kmsclient.PoolOf(p.Kind)
	threshold := h.threshold(p)
	h.mu.Lock()
	count := h.pools[poolName].touch(req.MachineID, now)
	h.mu.Unlock()
	h.stats.observe(state)

	resp := &kmsclient.Response{
		Count: count, Threshold: threshold, Pool: poolName, Product: p.Slug, HostID: h.id, OperatorKey: c.operator, KeySet: c.keySet,
		RenewSeconds: int64(h.cfg.RenewInterval / time.Second), RetrySeconds: int64(h.cfg.RetryInterval / time.Second),
	}
	if count >= threshold {
		exp := now.Add(Validity)
		if exp.After(*c.t.ExpiresAt) {
			exp = *c.t.ExpiresAt
		}
		renew := now.Add(h.cfg.RenewInterval)
		var serial [12]byte
		_, _ = rand.Read(serial[:])
		signed, err := ticket.Sign(h.key, ticket.Ticket{
			Kind: ticket.KindKMSActivation, Serial: hex.EncodeToString(serial[:]), Product: p.Slug, Group: p.Group,
			Machine: req.MachineID, Method: "kms", Issuer: h.id, Tenant: c.t.Tenant,
			IssuedAt: now, ExpiresAt: &exp, RenewAfter: &renew, Chain: c.signed,
		})
		if err != nil {
			return nil, err
		}
		resp.Activated, resp.Ticket, resp.ExpiresAt, resp.NextContactAt = true, signed, &exp, renew
		resp.Message = fmt.Sprintf("activated: the count is %d of %d; renew after %s", count, threshold, FormatDuration(h.cfg.RenewInterval))
		h.stats.activations.Add(1)
	} else {
		resp.NextContactAt = now.Add(h.cfg.RetryInterval)
		resp.Message = fmt.Sprintf("not activated yet: the host has seen %d of the %d machines %s products need; retry in %s",
			count, threshold, string(p.Kind), FormatDuration(h.cfg.RetryInterval))
	}
	b := h.w.add(&clientRow{
		pool: poolName, machine: req.MachineID, product: p.Slug, kind: string(p.Kind), hostname: req.Hostname, state: state,
		virtual: req.Virtual, activated: resp.Activated, seen: now,
	}, counterTotal, counterState+state)
	if err := b.wait(ctx); err != nil {
		h.cfg.Logger.Error("cannot write the client table", "err", err)
		return nil, licet.Errorf(licet.EUnavailable, "the KMS host cannot write its state; try again later")
	}
	return resp, nil
}

// checkClientKey checks the request's key: a kms-client key of the product's group, and the
// product's own key when it has one.
func checkClientKey(req kmsclient.Request, p licet.KMSProduct) error {
	k, err := keys.Parse(req.Key)
	if err != nil {
		return licet.Errorf(licet.EInvalid, "the key is not valid: %v", err).With("field", "key")
	}
	if k.Type != keys.KMSClient {
		return licet.Errorf(licet.EInvalid, "the key is a %s key: a KMS host activates machines holding the product's kms-client key (activate other keys against the central service)", k.Type).With("field", "key")
	}
	if k.Group != p.Group {
		return licet.Errorf(licet.EInvalid, "the key is for product group %d, but %q is in group %d", k.Group, p.Slug, p.Group).With("field", "key")
	}
	if p.GVLK != "" && k.String() != p.GVLK {
		return licet.Errorf(licet.EInvalid, "the key is not the kms-client key of %q", p.Slug).With("field", "key")
	}
	return nil
}

func (c *certificate) productList() []string {
	out := make([]string, 0, len(c.products))
	for s := range c.products {
		out = append(out, s)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"no products"}
	}
	return out
}

// PublicKey returns the host's public key, base64.
func (h *Host) PublicKey() string {
	return base64.StdEncoding.EncodeToString(h.key.Public().(ed25519.PublicKey))
}

// StateDir returns the host's state directory.
func (h *Host) StateDir() string { return h.cfg.StateDir }
