package kms

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
)

// Certificate renewal: a host activated online renews its certificate against the central
// service RenewalWindow before it expires, or as soon as it learns that the operator rotated
// its signing key, retrying with backoff while the service cannot be reached.
const (
	// RenewalWindow is how long before expiry the host renews (30 days).
	RenewalWindow = licet.KMSHostRenewalWindow
	// RenewalCheckEvery is how often the host asks the central service for its key set (a
	// cheap public GET, so that a rotation reaches it within the hour) and
	// checks whether renewal is due.
	RenewalCheckEvery = time.Hour
	// renewalBackoffMin and renewalBackoffMax bound the wait after a failed attempt, which
	// doubles with every failure.
	renewalBackoffMin = 15 * time.Minute
	renewalBackoffMax = 24 * time.Hour
)

// Renewal is the host's record of certificate renewal, in its state.
type Renewal struct {
	// Server is the central service the host activated against ("" after an activation by
	// request file: such a host re-activates by hand).
	Server      string    `json:"server,omitempty"`
	LastAttempt time.Time `json:"lastAttempt,omitzero"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	Failures    int       `json:"failures,omitempty"` // failed attempts in a row
	LastError   string    `json:"lastError,omitempty"`
	LastRenewed time.Time `json:"lastRenewed,omitzero"`
}

// renewal reads the renewal record; nil when the host has none.
func (s *state) renewal(ctx context.Context) (*Renewal, error) {
	raw, err := s.get(ctx, "renewal")
	if err != nil || raw == "" {
		return nil, err
	}
	var r Renewal
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return nil, fmt.Errorf("stored renewal record: %w", err)
	}
	return &r, nil
}

func (s *state) setRenewal(ctx context.Context, r Renewal) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.set(ctx, "renewal", string(b))
}

// SetRenewalServer records the central service an online activation used, where the host
// renews its certificate; "" turns automatic renewal off.
func SetRenewalServer(ctx context.Context, stateDir, server string) error {
	st, err := openState(ctx, stateDir)
	if err != nil {
		return err
	}
	defer st.close()
	return st.setRenewal(ctx, Renewal{Server: server})
}

// Central is what renewal asks of the central service; *client.Client implements it.
type Central interface {
	PublishedKeys(ctx context.Context) (*client.PublishedKeys, error)
	RenewHost(ctx context.Context, r licet.KMSHostRenewal) (*licet.KMSHostCertificate, error)
}

// Renewal outcomes of MaintainCertificate.
const (
	RenewNone     = "none"     // no certificate, or no server to renew against
	RenewWaiting  = "waiting"  // the next check is not due yet
	RenewNotDue   = "not-due"  // checked: the certificate is far from expiry and signed by the active key
	RenewRenewed  = "renewed"  // a new certificate is installed
	RenewFailed   = "failed"   // the attempt failed; retried after a backoff
	RenewExpired  = "expired"  // the certificate has expired: only a re-activation helps
	RenewRefusing = "refusing" // the central service refused for good (retired key, blocked key)
)

// RenewalServer returns the central service the host renews against, "" when none.
func (h *Host) RenewalServer(ctx context.Context) string {
	r, _ := h.st.renewal(ctx)
	if r == nil {
		return ""
	}
	return r.Server
}

// MaintainCertificate does what renewal needs at the host's clock: when a check is due it
// learns the operator's key set from c and renews the certificate when it expires within
// RenewalWindow or was signed by a key other than the active one. A failure is logged, recorded
// (status shows it) and retried after a backoff that doubles up to a day. It returns the
// outcome; err is the failed attempt's error.
func (h *Host) MaintainCertificate(ctx context.Context, c Central) (string, error) {
	cert := h.cert.Load()
	rec, err := h.st.renewal(ctx)
	if err != nil {
		return RenewNone, err
	}
	if cert == nil || rec == nil || rec.Server == "" {
		return RenewNone, nil
	}
	now := h.cfg.Now().UTC()
	if now.Before(rec.NextAttempt) {
		return RenewWaiting, nil
	}
	log := h.cfg.Logger
	rec.LastAttempt = now
	exp := *cert.t.ExpiresAt
	if !now.Before(exp) {
		rec.LastError = fmt.Sprintf("the host certificate expired on %s: the host refuses every client; re-activate it with licet kms activate --key KMS-HOST-KEY (free for the same host)", exp.Format(time.DateOnly))
		rec.NextAttempt = now.Add(RenewalCheckEvery)
		log.Error("KMS host certificate expired", "expired", exp, "way_out", "licet kms activate --key KMS-HOST-KEY")
		return RenewExpired, h.st.setRenewal(ctx, *rec)
	}
	outcome, err := h.renew(ctx, c, cert, exp, now)
	switch {
	case err == nil:
		rec.Failures, rec.LastError = 0, ""
		rec.NextAttempt = now.Add(RenewalCheckEvery)
		if outcome == RenewRenewed {
			rec.LastRenewed = now
			log.Info("KMS host certificate renewed", "expires", h.cert.Load().t.ExpiresAt, "signing_key", h.cert.Load().t.SigningKey)
		}
	default:
		rec.Failures++
		rec.LastError = err.Error()
		wait := min(renewalBackoffMin<<min(rec.Failures-1, 10), renewalBackoffMax)
		rec.NextAttempt = now.Add(wait)
		if code := licet.ErrorCode(err); code == licet.CodeSigningKeyRetired || code == licet.CodeKeyBlocked || code == licet.CodeKMSCertificateExpired || code == licet.ENotFound {
			outcome = RenewRefusing
		}
		log.Warn("KMS host certificate renewal failed", "err", err, "failures", rec.Failures, "next_attempt", rec.NextAttempt, "expires", exp)
	}
	if serr := h.st.setRenewal(ctx, *rec); serr != nil {
		return outcome, serr
	}
	return outcome, err
}

// renew learns the key set and renews the certificate when due.
func (h *Host) renew(ctx context.Context, c Central, cert *certificate, exp, now time.Time) (string, error) {
	pk, err := c.PublishedKeys(ctx)
	if err != nil {
		return RenewFailed, fmt.Errorf("cannot reach the central service: %w", err)
	}
	trusted, err := h.st.trust(ctx)
	if pk.KeySet != "" && err == nil {
		trusted, err = h.st.learnKeySet(ctx, pk.KeySet)
	}
	if err != nil {
		return RenewFailed, err
	}
	if _, err := h.ReloadCertificate(ctx); err != nil { // pass the new key set on to clients
		return RenewFailed, err
	}
	active, ok := trusted.Active()
	rotated := ok && active.ID != max(cert.t.SigningKey, 1)
	if exp.Sub(now) > RenewalWindow && !rotated {
		return RenewNotDue, nil
	}
	r := licet.KMSHostRenewal{HostID: h.id, Certificate: cert.signed, At: now}
	r.Signature = ed25519.Sign(h.key, r.Message())
	out, err := c.RenewHost(ctx, r)
	if err != nil {
		return RenewFailed, err
	}
	if _, err := h.st.install(ctx, *out, nil, now); err != nil {
		return RenewFailed, err
	}
	if _, err := h.ReloadCertificate(ctx); err != nil {
		return RenewFailed, err
	}
	return RenewRenewed, nil
}

// CertificateExpired reports whether the installed certificate has expired at the host's clock.
func (h *Host) CertificateExpired() bool {
	c := h.cert.Load()
	return c != nil && !h.cfg.Now().Before(*c.t.ExpiresAt)
}

// checkAtStart makes the next renewal check due now, unless the host is backing off after
// failures: a host that was stopped for a while learns a rotation as soon as it starts.
func (h *Host) checkAtStart(ctx context.Context) error {
	r, err := h.st.renewal(ctx)
	if err != nil || r == nil || r.Failures > 0 {
		return err
	}
	r.NextAttempt = time.Time{}
	return h.st.setRenewal(ctx, *r)
}
