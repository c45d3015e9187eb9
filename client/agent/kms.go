package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/client/kmsclient"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/ticket"
)

// KMS timers the agent falls back on before a host has told its own.
const (
	// DefaultKMSRetry is how long the agent waits before asking again when no host answered
	// and no host has told it its retry interval yet.
	DefaultKMSRetry = 2 * time.Hour
	// minKMSInterval and maxKMSInterval bound the intervals a host may ask for.
	minKMSInterval = 15 * time.Minute
	maxKMSInterval = 30 * 24 * time.Hour
)

// KMSState is what the agent keeps about KMS activation, under "kms" in state.json. The settings
// (host, domain, DNS server, caching) survive key changes; the record of the last contact belongs
// to the key it was made with (Key), so that a new key starts afresh.
type KMSState struct {
	Host        string `json:"host,omitempty"`          // `set-host`: the only host asked; discovery is off
	Domain      string `json:"domain,omitempty"`        // where the SRV records are looked up; the search domain when empty
	DNSServer   string `json:"dns_server,omitempty"`    // the DNS server asked; the system resolver when empty
	NoHostCache bool   `json:"no_host_cache,omitempty"` // do not remember the host that answered
	CachedHost  string `json:"cached_host,omitempty"`   // the host that answered last, asked first next time
	// Unanswered are hosts that did not answer (a stale SRV record, a stopped host): asked
	// after the others next time, until they answer again. At most maxUnanswered.
	Unanswered []string `json:"unanswered,omitempty"`

	Key          string    `json:"key,omitempty"`       // the key the fields below are about
	LastHost     string    `json:"last_host,omitempty"` // host:port that answered (or refused) last
	HostID       string    `json:"host_id,omitempty"`
	Count        int       `json:"count,omitempty"` // the count the host reported
	Threshold    int       `json:"threshold,omitempty"`
	Pool         string    `json:"pool,omitempty"`
	Activated    bool      `json:"activated,omitempty"` // the last answer activated the machine
	LastAttempt  time.Time `json:"last_attempt,omitzero"`
	LastContact  time.Time `json:"last_contact,omitzero"` // the last answer of a host
	NextContact  time.Time `json:"next_contact,omitzero"` // renewal when activated, retry otherwise
	RenewSeconds int64     `json:"renew_interval_seconds,omitempty"`
	RetrySeconds int64     `json:"retry_interval_seconds,omitempty"`
	Message      string    `json:"message,omitempty"`    // the host's message
	LastError    string    `json:"last_error,omitempty"` // why the last attempt failed
}

// KMSOptions tune how the agent talks to KMS hosts; the zero value is fine.
type KMSOptions struct {
	Timeout time.Duration   // per host and per DNS lookup; 10 s when zero
	Rand    func(n int) int // the weighted choice among hosts; math/rand/v2 when nil
	HTTP    *http.Client    // the HTTP client; one resolving through the DNS server when nil
	Service string          // the SRV service; _licet-kms._tcp when empty
}

// KMSSettings change where the agent looks for KMS hosts; nil fields are left as they are.
type KMSSettings struct {
	Domain      *string // slmgr /skms-domain; "" looks in the search domain again
	DNSServer   *string // "" uses the system resolver again
	NoHostCache *bool   // slmgr /ckhc (true) and /skhc (false)
}

// KMSStatus is what `licet client status` shows about KMS activation.
type KMSStatus struct {
	Discovery   string     `json:"discovery"`            // how hosts are found
	HostCaching bool       `json:"hostCaching"`          //
	CachedHost  string     `json:"cachedHost,omitempty"` //
	Host        string     `json:"host,omitempty"`       // the host that answered last
	HostID      string     `json:"hostId,omitempty"`     //
	Count       int        `json:"count,omitempty"`      // the count it reported
	Threshold   int        `json:"threshold,omitempty"`  //
	Pool        string     `json:"pool,omitempty"`       //
	Activated   bool       `json:"activated"`            // its last answer activated the machine
	LastContact *time.Time `json:"lastContact,omitempty"`
	NextRenewal *time.Time `json:"nextRenewal,omitempty"`
	NextRetry   *time.Time `json:"nextRetry,omitempty"`
	Message     string     `json:"message,omitempty"`
	LastError   string     `json:"lastError,omitempty"`
}

// isKMS reports whether the installed key activates against a KMS host.
func (s State) isKMS() bool { return s.KeyType == string(keys.KMSClient) }

// ticketKind is the kind of ticket the installed key gets: kms-activation from a KMS host for a
// kms-client key, activation from the central service otherwise.
func ticketKind(s State) string {
	if s.isKMS() {
		return ticket.KindKMSActivation
	}
	return ticket.KindActivation
}

// kms returns the KMS record of s, whose contact fields are reset when they belong to another key.
func (s *State) kms() *KMSState {
	if s.KMS == nil {
		s.KMS = &KMSState{}
	}
	if s.KMS.Key != s.Key {
		k := s.KMS
		*k = KMSState{Host: k.Host, Domain: k.Domain, DNSServer: k.DNSServer, NoHostCache: k.NoHostCache, CachedHost: k.CachedHost, Unanswered: k.Unanswered, Key: s.Key}
	}
	return s.KMS
}

// kmsStatus describes the KMS side of s for Status; nil unless a kms-client key is installed.
func kmsStatus(s State) *KMSStatus {
	if !s.isKMS() {
		return nil
	}
	k := s.kms()
	st := &KMSStatus{Discovery: k.Discovery(), HostCaching: !k.NoHostCache && k.Host == "", CachedHost: k.CachedHost,
		Host: k.LastHost, HostID: k.HostID, Count: k.Count, Threshold: k.Threshold, Pool: k.Pool, Activated: k.Activated,
		Message: k.Message, LastError: k.LastError}
	if !k.LastContact.IsZero() {
		st.LastContact = &k.LastContact
	}
	switch {
	case k.NextContact.IsZero():
	case k.Activated:
		st.NextRenewal = &k.NextContact
	default:
		st.NextRetry = &k.NextContact
	}
	return st
}

// Discovery says how hosts are found.
func (k KMSState) Discovery() string {
	if k.Host != "" {
		return "fixed host " + kmsclient.WithPort(k.Host) + " (set-host; discovery off)"
	}
	domain := k.Domain
	if domain == "" {
		domain = "the search domain"
		if d := kmsclient.SearchDomain(); d != "" {
			domain += " (" + d + ")"
		}
	}
	via := "the system resolver"
	if k.DNSServer != "" {
		via = k.DNSServer
	}
	return fmt.Sprintf("SRV records _%s._tcp in %s, asked of %s", kmsclient.DefaultService, domain, via)
}

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$`)

// CheckKMSHost checks a host given as HOST or HOST:PORT and returns it with the port.
func CheckKMSHost(host string) (string, error) {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		h, port = strings.Trim(host, "[]"), strconv.Itoa(kmsclient.DefaultPort)
	}
	n, perr := strconv.ParseUint(port, 10, 16)
	if (net.ParseIP(h) == nil && !hostnameRE.MatchString(h)) || perr != nil || n == 0 {
		return "", licet.Errorf(licet.EInvalid, "host %q is not HOST or HOST:PORT (port 1 to 65535; %d when absent)", host, kmsclient.DefaultPort).With("field", "host")
	}
	return net.JoinHostPort(h, port), nil
}

// SetKMSHost makes host the only KMS host asked, turning discovery off (slmgr /skms).
func (a *Agent) SetKMSHost(host string) (*Status, error) {
	h, err := CheckKMSHost(host)
	if err != nil {
		return nil, err
	}
	return a.updateKMS(func(k *KMSState) error { k.Host, k.CachedHost = h, ""; return nil })
}

// ClearKMSHost goes back to discovery through DNS and forgets the cached host (slmgr /ckms).
func (a *Agent) ClearKMSHost() (*Status, error) {
	return a.updateKMS(func(k *KMSState) error { k.Host, k.CachedHost = "", ""; return nil })
}

// ConfigureKMS changes where the agent looks for KMS hosts and whether it caches the one that
// answered. Turning caching off forgets the cached host.
func (a *Agent) ConfigureKMS(c KMSSettings) (*Status, error) {
	return a.updateKMS(func(k *KMSState) error {
		if c.Domain != nil {
			d := strings.TrimSuffix(strings.TrimSpace(*c.Domain), ".")
			if d != "" && !hostnameRE.MatchString(d) {
				return licet.Errorf(licet.EInvalid, "domain %q is not a DNS domain", *c.Domain).With("field", "domain")
			}
			k.Domain = d
		}
		if c.DNSServer != nil {
			if *c.DNSServer != "" {
				if _, err := CheckKMSHost(*c.DNSServer); err != nil {
					return licet.Errorf(licet.EInvalid, "DNS server %q is not HOST or HOST:PORT", *c.DNSServer).With("field", "dns_server")
				}
			}
			k.DNSServer = *c.DNSServer
		}
		if c.NoHostCache != nil {
			k.NoHostCache = *c.NoHostCache
			if k.NoHostCache {
				k.CachedHost = ""
			}
		}
		return nil
	})
}

func (a *Agent) updateKMS(change func(*KMSState) error) (*Status, error) {
	s, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	if err := change(s.kms()); err != nil {
		return nil, err
	}
	if err := Save(a.Dir, s); err != nil {
		return nil, err
	}
	return a.Status()
}

// at returns a copy of the agent whose clock reads now.
func (a *Agent) at(now time.Time) *Agent {
	b := *a
	b.Now = func() time.Time { return now }
	return &b
}

// ActivateKMS activates the installed kms-client key against a KMS host: the fixed host, or the
// cached one, then those found through DNS SRV records in RFC 2782 order, failing over when one
// does not answer. The answer always carries the host's count and threshold; below the threshold
// the machine stays in grace and the agent records when to retry (the host's retry interval),
// and that is not an error. At or above, the host's ticket is verified offline — against the
// pinned operator key through the host's certificate — and stored; the agent renews after the
// host's renewal interval. The operator key is pinned on the first verified ticket: pin when
// given, else the key the host names (trust on first use). When no host answers or a host
// refuses, the attempt is recorded with the next retry time and the error is returned.
//
// When a directory is set up (ConfigureDirectory), it is tried first: the machine binds to it,
// reads the activation object and verifies it offline, and is Licensed with no threshold; only
// when that fails is a KMS host asked.
func (a *Agent) ActivateKMS(ctx context.Context, pin ed25519.PublicKey) (*Status, error) {
	return a.at(a.now()).contact(ctx, pin)
}

// contactKMS asks a host; a's clock is fixed for the whole attempt.
func (a *Agent) contactKMS(ctx context.Context, pin ed25519.PublicKey) (*Status, error) {
	st, err := a.Status() // first: it may save what it notices (hardware out of tolerance)
	if err != nil {
		return nil, err
	}
	s, err := Load(a.Dir)
	if err != nil {
		return nil, err
	}
	if s.Key == "" {
		return nil, licet.Errorf(licet.EInvalid, "no product key is installed: install the product's kms-client key first (`licet key gvlk` lists them; `licet client install-key KEY --product P`)")
	}
	if !s.isKMS() {
		return nil, licet.Errorf(licet.CodeKeyTypeNotActivatable, "the installed key is a %s key, which activates online against the central service (`licet client activate --server URL`), not against a KMS host", s.KeyType)
	}
	op, err := a.operatorKey(s, pin)
	if err != nil {
		return nil, err
	}
	now, m, k := a.now(), a.machine(), s.kms()
	req := kmsclient.Request{MachineID: m.ID, Product: s.Product, Key: s.Key, Virtual: m.Virtual, Hostname: m.Hostname, State: wireState(st.State)}
	cfg := kmsclient.Config{Host: k.Host, Domain: k.Domain, DNSServer: k.DNSServer, CachedHost: k.CachedHost, NoHostCache: k.NoHostCache,
		OperatorKey: op, Now: a.Now, Timeout: a.KMS.Timeout, Rand: a.KMS.Rand, HTTP: a.KMS.HTTP, Service: a.KMS.Service,
		Unanswered: k.Unanswered, NoAnswer: k.noAnswer}
	if s.OperatorKey != "" {
		if cfg.Keys, err = trust(s); err != nil {
			return nil, corrupt(a.Dir, err.Error())
		}
	}
	k.LastAttempt = now
	resp, host, err := kmsclient.Activate(ctx, cfg, req)
	if resp != nil {
		k.Unanswered = slices.DeleteFunc(k.Unanswered, func(h string) bool { return h == host })
	}
	if err == nil && resp.Activated {
		err = a.acceptKMSTicket(&s, resp, op, m.ID, now)
	}
	if err != nil {
		var he *kmsclient.HostError
		if errors.As(err, &he) {
			k.LastHost = he.Host
		} else if resp != nil {
			k.LastHost, k.HostID = host, resp.HostID
		}
		k.LastError, k.NextContact = err.Error(), now.Add(k.retry())
		if serr := Save(a.Dir, s); serr != nil {
			return nil, serr
		}
		return nil, err
	}
	k.LastHost, k.HostID, k.Count, k.Threshold, k.Pool, k.Activated = host, resp.HostID, resp.Count, resp.Threshold, resp.Pool, resp.Activated
	k.LastContact, k.Message, k.LastError = now, resp.Message, ""
	k.RenewSeconds, k.RetrySeconds = resp.RenewSeconds, resp.RetrySeconds
	k.NextContact = now.Add(k.retry())
	if resp.Activated {
		k.NextContact = now.Add(bounded(resp.RenewInterval()))
	}
	k.CachedHost = ""
	if !k.NoHostCache && k.Host == "" {
		k.CachedHost = host
	}
	if err := Save(a.Dir, s); err != nil {
		return nil, err
	}
	return a.Status()
}

// operatorKey is the key tickets and activation objects must verify with: the pinned one (which
// pin, when given, must equal), else pin, else nil (trust on first use).
func (a *Agent) operatorKey(s State, pin ed25519.PublicKey) (ed25519.PublicKey, error) {
	if s.OperatorKey == "" {
		return pin, nil
	}
	have, err := client.ParsePublicKey(s.OperatorKey)
	if err != nil {
		return nil, corrupt(a.Dir, "the pinned operator key is malformed")
	}
	if pin != nil && !have.Equal(pin) {
		return nil, licet.Errorf(licet.EConflict, "--pubkey differs from the operator key pinned in %s: if the operator really changed its key, uninstall the key and start again with the new --pubkey", a.Dir)
	}
	return have, nil
}

// acceptKMSTicket verifies an activated answer's ticket offline and stores it in s, pinning the
// operator key on first use.
func (a *Agent) acceptKMSTicket(s *State, resp *kmsclient.Response, op ed25519.PublicKey, machine string, now time.Time) error {
	if op == nil {
		b, err := base64.StdEncoding.DecodeString(resp.OperatorKey)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return licet.Errorf(licet.EInvalid, "the KMS host %s did not name the operator key its certificate verifies with: pin it with --pubkey (from `licet pubkey` on the central service)", resp.HostID)
		}
		op = b
	}
	learned := *s
	if learned.OperatorKey == "" {
		learned.OperatorKey = base64.StdEncoding.EncodeToString(op)
	}
	if err := learnKeySet(&learned, resp.KeySet); err != nil {
		return licet.Errorf(licet.EInvalid, "the KMS host %s passed on an operator key set that was rejected: %v", resp.HostID, err)
	}
	keys, err := trust(learned)
	if err != nil {
		return err
	}
	t, err := ticket.CheckWith(keys, resp.Ticket, machine, now)
	if err == nil {
		err = a.matches(*s, t)
	}
	if err != nil {
		return licet.Errorf(licet.EInvalid, "the KMS host %s's ticket was rejected: %v", resp.HostID, err)
	}
	s.OperatorKey, s.KeySet = learned.OperatorKey, learned.KeySet
	s.Ticket, s.ActivatedAt, s.OutOfToleranceSince = resp.Ticket, now, nil
	return nil
}

// maxUnanswered bounds the hosts remembered as not answering.
const maxUnanswered = 16

// noAnswer remembers a host that did not answer, the latest last.
func (k *KMSState) noAnswer(host string) {
	k.Unanswered = append(slices.DeleteFunc(k.Unanswered, func(h string) bool { return h == host }), host)
	if len(k.Unanswered) > maxUnanswered {
		k.Unanswered = k.Unanswered[len(k.Unanswered)-maxUnanswered:]
	}
}

// retry is the host's retry interval, or the default before any host told one.
func (k *KMSState) retry() time.Duration {
	if k.RetrySeconds == 0 {
		return DefaultKMSRetry
	}
	return bounded(time.Duration(k.RetrySeconds) * time.Second)
}

// bounded keeps an interval a host asked for within 15 minutes and 30 days.
func bounded(d time.Duration) time.Duration {
	return max(minKMSInterval, min(d, maxKMSInterval))
}

// wireState names a license state as the KMS protocol does.
func wireState(s LicenseState) string {
	switch s {
	case Licensed:
		return kmsclient.StateLicensed
	case InitialGrace:
		return kmsclient.StateInitialGrace
	case AdditionalGrace:
		return kmsclient.StateAdditionalGrace
	case Notification:
		return kmsclient.StateNotification
	}
	return kmsclient.StateUnlicensed
}
