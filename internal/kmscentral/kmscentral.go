// Package kmscentral is the central side of KMS host activation: it checks a host's kms-host key,
// counts the distinct hosts of each key against the key's limit (6 unless the operator set
// another), and signs the host certificate (a ticket of kind kms-host) that lets the host sign
// client activations chained to the operator's key.
package kmscentral

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/signing"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/ticket"
)

// Service implements licet.KMSHostService.
type Service struct {
	DB *store.DB
	// Keys gives the operator key that signs certificates and the key set hosts learn; Key
	// (as key 1, alone in its set) when nil.
	Keys Keys
	Key  ed25519.PrivateKey
	Now  func() time.Time
}

// Keys is what the service needs of the operator's keyring.
type Keys interface {
	signing.Source
	// KeySet returns the operator's keys and the signed key set.
	KeySet(ctx context.Context) (ticket.KeySet, string, error)
}

// keys returns the keyring, or one made of Key.
func (s *Service) keys() Keys {
	if s.Keys != nil {
		return s.Keys
	}
	return single{signing.Fixed{ID: 1, Private: s.Key}}
}

// single is the keyring of one key.
type single struct{ signing.Fixed }

func (o single) KeySet(context.Context) (ticket.KeySet, string, error) {
	pub := o.Private.Public().(ed25519.PublicKey)
	set := []ticket.OperatorKey{{ID: o.ID, PublicKey: pub, State: ticket.KeyActive}}
	signed, err := ticket.SignKeySet(o.Private, o.ID, set, time.Time{})
	return ticket.KeySet{Keys: set}, signed, err
}

var _ licet.KMSHostService = (*Service)(nil)

var (
	keyHashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ActivateHost implements licet.KMSHostService.
func (s *Service) ActivateHost(ctx context.Context, req licet.KMSHostRequest) (*licet.KMSHostCertificate, error) {
	if req.KeyHash != "" {
		return nil, licet.Errorf(licet.EInvalid, "online activation sends the key itself, not keyHash (keyHash is for `licet kms approve`)").With("field", "keyHash")
	}
	k, err := keys.Parse(req.Key)
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "the kms-host key is not valid: %v", err).With("field", "key")
	}
	if k.Type != keys.KMSHost {
		return nil, licet.Errorf(licet.EInvalid, "the key is a %s key: a KMS host activates with a kms-host key", k.Type).With("field", "key")
	}
	if err := req.CheckHost(); err != nil {
		return nil, err
	}
	return s.certify(ctx, k.Hash(), req, "online")
}

// errNoHostKey is the one answer of online host activation for a kms-host key that is unknown or
// blocked.
var errNoHostKey = licet.Errorf(licet.CodeInvalidProductKey, "the key is not an active kms-host key: check the key; if it was blocked, ask the operator")

// ApproveHost implements licet.KMSHostService.
func (s *Service) ApproveHost(ctx context.Context, req licet.KMSHostRequest) (*licet.KMSHostCertificate, error) {
	actor := licet.ActorFrom(ctx)
	if !actor.IsOperator() && actor.Role != licet.RoleTenant {
		return nil, licet.Errorf(licet.EForbidden, "only the operator or the tenant admin owning the key may approve a KMS host request")
	}
	if req.Key != "" {
		return nil, licet.Errorf(licet.EInvalid, "an approval names the key by keyHash; the request file never carries the key").With("field", "key")
	}
	if !keyHashRE.MatchString(req.KeyHash) {
		return nil, licet.Errorf(licet.EInvalid, "keyHash must be 64 lowercase hex digits (SHA-256 of the key)").With("field", "keyHash")
	}
	if err := req.CheckHost(); err != nil {
		return nil, err
	}
	return s.certify(ctx, req.KeyHash, req, "approval")
}

// hostKey is the row of a kms-host key.
type hostKey struct {
	id       int64
	tenantID sql.NullInt64
	group    uint16
	typ      string
	blocked  bool
	tail     string
	limit    int // hosts the key may activate: the key's activation_limit
	used     int // distinct hosts activated: the key's used count
}

// lockKey reads the key with the hash and, on PostgreSQL, locks its row so that the hosts of one
// key are counted by one transaction at a time, across server processes (SQLite has one writer).
func lockKey(ctx context.Context, tx *store.Tx, hash string) (hostKey, error) {
	return scanHostKey(tx.QueryRow(ctx, `SELECT `+hostKeyColumns+` FROM product_keys WHERE key_hash = ?`+tx.ForUpdate(), hash))
}

const hostKeyColumns = `id, tenant_id, group_id, type, blocked, key_tail, activation_limit, used`

func scanHostKey(row interface{ Scan(...any) error }) (hostKey, error) {
	var k hostKey
	var blocked int
	err := row.Scan(&k.id, &k.tenantID, &k.group, &k.typ, &blocked, &k.tail, &k.limit, &k.used)
	k.blocked = blocked != 0
	return k, err
}

func keyByID(ctx context.Context, tx *store.Tx, id int64) (hostKey, error) {
	return scanHostKey(tx.QueryRow(ctx, `SELECT `+hostKeyColumns+` FROM product_keys WHERE id = ?`, id))
}

func (k hostKey) masked() string { return keys.Masked("XXXXX-XXXXX-XXXXX-XXXXX-" + k.tail) }

// certify records the host against the key (or refuses it over the limit) and signs its
// certificate, in one transaction.
func (s *Service) certify(ctx context.Context, hash string, req licet.KMSHostRequest, method string) (*licet.KMSHostCertificate, error) {
	now := s.Now().UTC().Truncate(time.Second)
	key, err := s.keys().Active(ctx)
	if err != nil {
		return nil, err
	}
	kind := cmp.Or(req.Kind, licet.KMSKindHost)
	out := &licet.KMSHostCertificate{
		HostID: req.HostID, IssuedAt: now, ExpiresAt: now.Add(licet.KMSHostCertificateValidity),
		OperatorKey: key.Private.Public().(ed25519.PublicKey), SigningKey: key.ID, Kind: kind, Directory: req.Directory,
	}
	what := "host " + req.HostID
	if kind == licet.KMSKindDirectory {
		what = "directory " + req.Directory + " (" + req.HostID + ")"
	}
	hostKeyB64 := base64.StdEncoding.EncodeToString(req.HostKey)
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		k, err := lockKey(ctx, tx, hash)
		actor := licet.ActorFrom(ctx)
		if method == "online" && (errors.Is(err, sql.ErrNoRows) || (err == nil && (k.typ != string(keys.KMSHost) || k.blocked))) {
			// The public route answers an unknown key and a blocked key alike, after the same one
			// lookup, as machine activation does: it tells nobody which keys exist or are blocked.
			return errNoHostKey
		}
		if errors.Is(err, sql.ErrNoRows) || (err == nil && method == "approval" && !actor.IsOperator() &&
			(!k.tenantID.Valid || k.tenantID.Int64 != actor.TenantID)) {
			return licet.Errorf(licet.ENotFound, "no kms-host key matches: check the key (or, for an approval, that your tenant owns it)")
		}
		if err != nil {
			return err
		}
		if k.typ != string(keys.KMSHost) {
			return licet.Errorf(licet.EInvalid, "key %s is a %s key: a KMS host activates with a kms-host key", k.masked(), k.typ)
		}
		if k.blocked {
			return licet.Errorf(licet.CodeKeyBlocked, "key %s is blocked: ask the operator why; no host may activate with it", k.masked()).With("keyId", k.id)
		}
		limit, used := k.limit, k.used
		n, err := tx.Exec(ctx, `UPDATE kms_hosts SET host_key = ?, hostname = ?, method = ?, directory = ?, activations = activations + 1, last_activated_at = ?, signing_key = ?, certificate_expires_at = ? WHERE key_id = ? AND host_id = ? AND kind = ?`,
			hostKeyB64, req.Hostname, method, req.Directory, store.Millis(now), key.ID, store.Millis(out.ExpiresAt), k.id, req.HostID, kind)
		if err != nil {
			return err
		}
		action := "kms." + kind + ".reactivate"
		if n == 0 {
			// A new host takes one of the key's activations, by the same conditional update
			// as a MAK: the key's used count never passes its limit, whatever the concurrency.
			took, err := tx.Exec(ctx, `UPDATE product_keys SET used = used + 1 WHERE id = ? AND used < activation_limit`, k.id)
			if err != nil {
				return err
			}
			if took == 0 {
				return licet.Errorf(licet.CodeKMSHostLimit,
					"kms-host key %s has activated %d of its %d hosts and directories: %s would be one more and is refused. Way out: re-activate one of the hosts or directories already activated (the same one re-activating uses no more), or ask the operator to raise the key's limit (licet kms host-limit %d N)",
					k.masked(), used, limit, what, k.id).With("limit", limit).With("used", used).With("keyId", k.id)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO kms_hosts (key_id, host_id, host_key, hostname, method, kind, directory, activations, created_at, last_activated_at, signing_key, certificate_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
				k.id, req.HostID, hostKeyB64, req.Hostname, method, kind, req.Directory, store.Millis(now), store.Millis(now), key.ID, store.Millis(out.ExpiresAt)); err != nil {
				return err
			}
			used++
			action = "kms." + kind + ".activate"
		}
		out.Reactivation = n > 0
		out.HostsUsed, out.HostLimit = used, limit
		tenantID, err := s.describe(ctx, tx, k, out)
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{
			TenantID: tenantID, Action: action, Object: fmt.Sprintf("key:%d", k.id),
			After:   kind + ":" + req.HostID,
			Details: fmt.Sprintf("method=%s hostname=%q directory=%q hosts=%d/%d", method, req.Hostname, req.Directory, used, limit),
		})
	})
	if err != nil {
		return nil, err
	}
	return out, s.sign(ctx, key, out, req.HostKey, method)
}

// describe fills what a certificate says of its kms-host key: id, group, covered groups and
// their products, tenant. It returns the tenant's id (0 for none).
func (s *Service) describe(ctx context.Context, tx *store.Tx, k hostKey, out *licet.KMSHostCertificate) (int64, error) {
	var err error
	out.KeyID, out.Group = k.id, k.group
	if out.Covers, err = covers(ctx, tx, k.group); err != nil {
		return 0, err
	}
	if out.Products, err = products(ctx, tx, out.Covers); err != nil {
		return 0, err
	}
	if !k.tenantID.Valid {
		return 0, nil
	}
	return k.tenantID.Int64, tx.QueryRow(ctx, `SELECT slug FROM tenants WHERE id = ?`, k.tenantID.Int64).Scan(&out.Tenant)
}

// sign signs the certificate out describes with key and attaches the operator's key set. For a
// directory it signs the directory's activation object instead: the same ticket and signature,
// of kind directory-activation, with no host key.
func (s *Service) sign(ctx context.Context, key signing.Key, out *licet.KMSHostCertificate, hostKey []byte, method string) error {
	exp := out.ExpiresAt
	var serial [16]byte
	_, _ = rand.Read(serial[:])
	t := ticket.Ticket{
		Kind: ticket.KindHostCertificate, Serial: hex.EncodeToString(serial[:]), Group: out.Group, KeyID: out.KeyID,
		Machine: out.HostID, Method: method, Issuer: "operator", Tenant: out.Tenant,
		IssuedAt: out.IssuedAt, ExpiresAt: &exp, HostKey: hostKey, Covers: out.Covers,
	}
	if out.Kind == licet.KMSKindDirectory {
		t.Kind, t.HostKey, t.Directory = ticket.KindDirectory, nil, out.Directory
	}
	var err error
	out.Certificate, err = key.SignTicket(t)
	if err != nil {
		return err
	}
	_, out.KeySet, err = s.keys().KeySet(ctx)
	return err
}

// renewalSkew bounds how far a renewing host's clock may be from the service's.
const renewalSkew = 10 * time.Minute

// RenewHost implements licet.KMSHostService.
func (s *Service) RenewHost(ctx context.Context, r licet.KMSHostRenewal) (*licet.KMSHostCertificate, error) {
	if !licet.ValidKMSHostID(r.HostID) {
		return nil, licet.Errorf(licet.EInvalid, "hostId %q is invalid", r.HostID).With("field", "hostId")
	}
	if len(r.Certificate) == 0 || len(r.Certificate) > 16<<10 || len(r.Signature) != ed25519.SignatureSize {
		return nil, licet.Errorf(licet.EInvalid, "a renewal carries the host's certificate (at most 16 KiB) and a 64-byte signature")
	}
	now := s.Now().UTC().Truncate(time.Second)
	set, _, err := s.keys().KeySet(ctx)
	if err != nil {
		return nil, err
	}
	cert, err := ticket.ParseWith(set, r.Certificate)
	var retired *ticket.RetiredError
	if errors.As(err, &retired) {
		return nil, licet.Errorf(licet.CodeSigningKeyRetired, "the host certificate was %v. Way out: re-activate the host with its kms-host key (licet kms activate --key KEY), free for the same host", err).
			With("signingKey", retired.ID)
	}
	if err != nil || cert.Kind != ticket.KindHostCertificate || cert.Machine != r.HostID || len(cert.HostKey) != ed25519.PublicKeySize || cert.ExpiresAt == nil {
		return nil, licet.Errorf(licet.EInvalid, "the certificate is not a host certificate of this service for host %s", r.HostID).With("field", "certificate")
	}
	if !ed25519.Verify(cert.HostKey, r.Message(), r.Signature) {
		return nil, licet.Errorf(licet.EInvalid, "the renewal is not signed by the certified host key").With("field", "signature")
	}
	if d := r.At.Sub(now); d > renewalSkew || d < -renewalSkew {
		return nil, licet.Errorf(licet.EInvalid, "the renewal is dated %s, more than %s from this service's clock (%s): set the host's clock", r.At.UTC().Format(time.RFC3339), renewalSkew, now.Format(time.RFC3339)).With("field", "at")
	}
	if !now.Before(*cert.ExpiresAt) {
		return nil, licet.Errorf(licet.CodeKMSCertificateExpired, "the host certificate expired on %s: an expired certificate cannot be renewed. Way out: re-activate the host with its kms-host key (licet kms activate --key KEY), free for the same host", cert.ExpiresAt.Format(time.DateOnly))
	}
	key, err := s.keys().Active(ctx)
	if err != nil {
		return nil, err
	}
	out := &licet.KMSHostCertificate{HostID: r.HostID, IssuedAt: now, ExpiresAt: now.Add(licet.KMSHostCertificateValidity),
		OperatorKey: key.Private.Public().(ed25519.PublicKey), SigningKey: key.ID, Reactivation: true}
	hostKeyB64 := base64.StdEncoding.EncodeToString(cert.HostKey)
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		k, err := scanHostKey(tx.QueryRow(ctx, `SELECT `+hostKeyColumns+` FROM product_keys WHERE id = ?`+tx.ForUpdate(), cert.KeyID))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && k.blocked {
			return licet.Errorf(licet.CodeKeyBlocked, "key %s is blocked: the host's certificate is not renewed; ask the operator why", k.masked()).With("keyId", k.id)
		}
		var before uint32
		err2 := tx.QueryRow(ctx, `SELECT signing_key FROM kms_hosts WHERE key_id = ? AND host_id = ? AND host_key = ?`, cert.KeyID, r.HostID, hostKeyB64).Scan(&before)
		if errors.Is(err, sql.ErrNoRows) || errors.Is(err2, sql.ErrNoRows) {
			return licet.Errorf(licet.ENotFound, "host %s is not recorded with this key and host key: re-activate it with its kms-host key", r.HostID)
		}
		if err2 != nil {
			return err2
		}
		if _, err := tx.Exec(ctx, `UPDATE kms_hosts SET signing_key = ?, certificate_expires_at = ? WHERE key_id = ? AND host_id = ?`,
			key.ID, store.Millis(out.ExpiresAt), k.id, r.HostID); err != nil {
			return err
		}
		out.HostsUsed, out.HostLimit = k.used, k.limit
		tenantID, err := s.describe(ctx, tx, k, out)
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{
			TenantID: tenantID, Action: "kms.host.renew", Object: fmt.Sprintf("key:%d", k.id), After: "host:" + r.HostID,
			Details: fmt.Sprintf("certificate expiring %s renewed until %s; signing key %d -> %d", cert.ExpiresAt.Format(time.DateOnly), out.ExpiresAt.Format(time.DateOnly), before, key.ID),
		})
	})
	if err != nil {
		return nil, err
	}
	return out, s.sign(ctx, key, out, cert.HostKey, "renewal")
}

// covers returns the group and the groups it covers, the group first, the rest ascending.
func covers(ctx context.Context, tx *store.Tx, group uint16) ([]uint16, error) {
	covered, err := store.Collect(ctx, tx, func(r store.Scanner) (uint16, error) {
		var g uint16
		return g, r.Scan(&g)
	}, `SELECT covered_id FROM product_group_covers WHERE group_id = ? AND covered_id <> ? ORDER BY covered_id`, group, group)
	return append([]uint16{group}, covered...), err
}

// products returns the products of the groups, by slug.
func products(ctx context.Context, tx *store.Tx, groups []uint16) ([]licet.KMSProduct, error) {
	out, err := store.Collect(ctx, tx, func(r store.Scanner) (licet.KMSProduct, error) {
		var p licet.KMSProduct
		return p, r.Scan(&p.Slug, &p.Name, &p.Kind, &p.Group, &p.GVLK)
	}, `SELECT slug, name, kind, group_id, gvlk FROM products WHERE group_id IN (`+store.Placeholders(len(groups))+`) ORDER BY slug`, store.Args(groups)...)
	if out == nil {
		out = []licet.KMSProduct{}
	}
	return out, err
}

// MaxHostLimit bounds the host limit the operator may set on a key.
const MaxHostLimit = licet.MaxKMSHostLimit

// SetHostLimit implements licet.KMSHostService.
func (s *Service) SetHostLimit(ctx context.Context, keyID int64, limit int) error {
	if !licet.ActorFrom(ctx).IsOperator() {
		return licet.Errorf(licet.EForbidden, "only the operator may change a kms-host key's host limit")
	}
	if limit < 1 || limit > MaxHostLimit {
		return licet.Errorf(licet.EInvalid, "host limit %d is out of range: use 1 to %d", limit, MaxHostLimit).With("field", "limit")
	}
	now := store.Millis(s.Now())
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		k, err := keyByID(ctx, tx, keyID)
		if errors.Is(err, sql.ErrNoRows) {
			return licet.Errorf(licet.ENotFound, "key %d not found", keyID)
		}
		if err != nil {
			return err
		}
		if k.typ != string(keys.KMSHost) {
			return licet.Errorf(licet.EInvalid, "key %d is a %s key: host limits apply to kms-host keys", keyID, k.typ)
		}
		if limit < k.used {
			return licet.Errorf(licet.EConflict, "key %d has already activated %d hosts: its host limit cannot go below that", keyID, k.used).
				With("used", k.used)
		}
		before := k.limit
		if _, err := tx.Exec(ctx, `UPDATE product_keys SET activation_limit = ? WHERE id = ?`, limit, keyID); err != nil {
			return err
		}
		var tenantID int64
		if k.tenantID.Valid {
			tenantID = k.tenantID.Int64
		}
		return audit.Write(ctx, tx, now, audit.Record{TenantID: tenantID, Action: "kms.host_limit.set", Object: fmt.Sprintf("key:%d", keyID),
			Before: fmt.Sprint(before), After: fmt.Sprint(limit)})
	})
}
