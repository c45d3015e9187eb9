package kmscentral

import (
	"context"
	"fmt"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/store"
)

// ExpiryNotice is how long before its end a host certificate is reported as expiring.
const ExpiryNotice = 30 * 24 * time.Hour

// CertificateEvent is the object of the kms.certificate.expiring and kms.certificate.expired
// events: a host certificate, or a directory's activation object (Kind directory; Hostname is
// then the directory's name).
type CertificateEvent struct {
	HostID    string    `json:"hostId"`
	Hostname  string    `json:"hostname,omitempty"`
	Kind      string    `json:"kind"` // host or directory
	KeyID     int64     `json:"keyId"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// CertificateEvents emits kms.certificate.expiring for the host certificates that end within
// ExpiryNotice and kms.certificate.expired for those that have ended (within the last
// ExpiryNotice), once per certificate: a host that renews or re-activates gets a new certificate
// and is reported again when that one nears its end. It is run periodically.
func (s *Service) CertificateEvents(ctx context.Context) (int, error) {
	now := s.Now().UTC()
	validity := licet.KMSHostCertificateValidity
	n := 0
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		type host struct {
			id, keyID, tenantID, expires int64
			hostID, hostname, kind       string
		}
		// A certificate ends at certificate_expires_at (renewals move it); rows older than that
		// column end a validity after their last activation.
		hosts, err := store.Collect(ctx, tx, func(r store.Scanner) (host, error) {
			var h host
			return h, r.Scan(&h.id, &h.keyID, &h.tenantID, &h.expires, &h.hostID, &h.hostname, &h.kind)
		}, `SELECT id, key_id, tenant_id, expires, host_id, hostname, kind FROM (
				SELECT h.id, h.key_id, COALESCE(k.tenant_id, 0) AS tenant_id, COALESCE(h.certificate_expires_at, h.last_activated_at + ?) AS expires, h.host_id,
					CASE WHEN h.kind = 'directory' THEN h.directory ELSE h.hostname END AS hostname, h.kind
				FROM kms_hosts h JOIN product_keys k ON k.id = h.key_id) c
			WHERE expires <= ? AND expires > ? ORDER BY id`,
			validity.Milliseconds(), store.Millis(now.Add(ExpiryNotice)), store.Millis(now.Add(-ExpiryNotice)))
		if err != nil {
			return err
		}
		for _, h := range hosts {
			exp := store.Time(h.expires)
			typ := licet.EventKMSCertExpiring
			if !now.Before(exp) {
				typ = licet.EventKMSCertExpired
			}
			ok, err := outbox.Emit(ctx, tx, store.Millis(now), outbox.Record{TenantID: h.tenantID, Type: typ,
				Object: CertificateEvent{HostID: h.hostID, Hostname: h.hostname, Kind: h.kind, KeyID: h.keyID, ExpiresAt: exp},
				Dedupe: fmt.Sprintf("%s:%d:%d", typ, h.id, h.expires)})
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}
