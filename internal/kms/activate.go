package kms

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/privatefile"
	"github.com/licet/licet/ticket"
)

// Formats of the air-gapped activation files.
const (
	RequestFormat  = "licet-kms-host-request"
	ResponseFormat = "licet-kms-host-response"
	FileVersion    = 1
	maxFileSize    = 1 << 20
)

// RequestFile is what an air-gapped host writes for `licet kms approve`: the host's identity and
// the hash of its key, never the key.
type RequestFile struct {
	Format    string               `json:"format"`
	Version   int                  `json:"version"`
	CreatedAt time.Time            `json:"createdAt"`
	Request   licet.KMSHostRequest `json:"request"`
}

// ResponseFile is what `licet kms approve` writes for the host to install.
type ResponseFile struct {
	Format      string                   `json:"format"`
	Version     int                      `json:"version"`
	Certificate licet.KMSHostCertificate `json:"certificate"`
}

// Identity is a host's identity: its id and public key, created on first use.
type Identity struct {
	HostID  string
	HostKey ed25519.PublicKey
}

// LoadIdentity opens the state directory and returns the host's identity, creating it when new.
func LoadIdentity(ctx context.Context, stateDir string) (Identity, error) {
	st, err := openState(ctx, stateDir)
	if err != nil {
		return Identity{}, err
	}
	defer st.close()
	id, key, err := st.identity(ctx)
	if err != nil {
		return Identity{}, err
	}
	return Identity{HostID: id, HostKey: key.Public().(ed25519.PublicKey)}, nil
}

// NewRequest returns the request of a host for a key: with the key itself for online
// activation, with only its hash for a request file.
func NewRequest(id Identity, key, hostname string, online bool) (licet.KMSHostRequest, error) {
	k, err := keys.Parse(key)
	if err != nil {
		return licet.KMSHostRequest{}, licet.Errorf(licet.EInvalid, "the kms-host key is not valid: %v", err)
	}
	if k.Type != keys.KMSHost {
		return licet.KMSHostRequest{}, licet.Errorf(licet.EInvalid, "the key is a %s key: a KMS host activates with a kms-host key", k.Type)
	}
	req := licet.KMSHostRequest{HostID: id.HostID, HostKey: id.HostKey, Hostname: hostname}
	if online {
		req.Key = k.String()
	} else {
		req.KeyHash = k.Hash()
	}
	return req, nil
}

// decodeStrict reads one JSON value with no unknown fields from at most maxFileSize bytes.
func decodeStrict(r io.Reader, v any, what string) error {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return err
	}
	if len(data) > maxFileSize {
		return licet.Errorf(licet.EInvalid, "%s is larger than %d bytes", what, maxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return licet.Errorf(licet.EInvalid, "%s is not valid: %v", what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return licet.Errorf(licet.EInvalid, "%s holds more than one JSON value", what)
	}
	return nil
}

// ReadRequestFile parses and checks a request file.
func ReadRequestFile(r io.Reader) (RequestFile, error) {
	var f RequestFile
	if err := decodeStrict(r, &f, "the request file"); err != nil {
		return f, err
	}
	if f.Format != RequestFormat || f.Version != FileVersion {
		return f, licet.Errorf(licet.EInvalid, "the file is not a KMS host request (format %q version %d, want %q version %d): give the file `licet kms activate --request-file` wrote", f.Format, f.Version, RequestFormat, FileVersion)
	}
	if f.Request.Key != "" || f.Request.KeyHash == "" {
		return f, licet.Errorf(licet.EInvalid, "the request file must name the key by key_hash only")
	}
	if err := f.Request.CheckHost(); err != nil {
		return f, err
	}
	return f, nil
}

// ReadResponseFile parses a response file (Install checks its content).
func ReadResponseFile(r io.Reader) (ResponseFile, error) {
	var f ResponseFile
	if err := decodeStrict(r, &f, "the response file"); err != nil {
		return f, err
	}
	if f.Format != ResponseFormat || f.Version != FileVersion {
		return f, licet.Errorf(licet.EInvalid, "the file is not a KMS host response (format %q version %d, want %q version %d): give the file `licet kms approve --out` wrote", f.Format, f.Version, ResponseFormat, FileVersion)
	}
	if f.Certificate.Certificate == "" {
		return f, licet.Errorf(licet.EInvalid, "the response file holds no certificate")
	}
	return f, nil
}

// WriteJSONFile writes v as indented JSON to path (mode 0600), refusing to overwrite.
func WriteJSONFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := privatefile.Create(path, append(data, '\n')); err != nil {
		return licet.Errorf(licet.EInvalid, "cannot write %s: %v", path, err)
	}
	return nil
}

// Install checks a certificate against this host and stores it: it must verify with an
// operator key this host trusts — pinned when given, else the key it trusted before, else (on
// first activation) the key the certificate names — or with a key the certificate's key set
// chains to from it, and be issued to this host's id and public key. The key set is kept: the
// host passes it on to its clients, so that they learn a rotated key without re-pinning.
func Install(ctx context.Context, stateDir string, c licet.KMSHostCertificate, pinned ed25519.PublicKey, now time.Time) (ticket.Ticket, error) {
	st, err := openState(ctx, stateDir)
	if err != nil {
		return ticket.Ticket{}, err
	}
	defer st.close()
	return st.install(ctx, c, pinned, now)
}

func (st *state) install(ctx context.Context, c licet.KMSHostCertificate, pinned ed25519.PublicKey, now time.Time) (ticket.Ticket, error) {
	id, key, err := st.identity(ctx)
	if err != nil {
		return ticket.Ticket{}, err
	}
	op := ed25519.PublicKey(c.OperatorKey)
	if len(op) != ed25519.PublicKeySize {
		return ticket.Ticket{}, licet.Errorf(licet.EInvalid, "the certificate's operator key is malformed")
	}
	trusted, root := ticket.Pinned(pinned), pinned
	if pinned == nil {
		if trusted, err = st.trust(ctx); err != nil {
			return ticket.Ticket{}, err
		}
		root, _ = st.root(ctx)
	}
	if root == nil { // first activation: trust on first use
		trusted, root = ticket.Pinned(op), op
	}
	keySet := ""
	if pinned == nil {
		if keySet, err = st.get(ctx, "key_set"); err != nil {
			return ticket.Ticket{}, err
		}
	}
	if c.KeySet != "" {
		if learned, _, err := ticket.VerifyKeySet(trusted, c.KeySet); err == nil {
			trusted, keySet = learned, c.KeySet
		}
	}
	if !trusted.Has(op) {
		return ticket.Ticket{}, licet.Errorf(licet.EInvalid, "foreign certificate: it is signed by operator key %s, which does not chain to %s, the key this host trusts. Way out: check --server; to move the host to another operator, pass that operator's key with --operator-key",
			base64.StdEncoding.EncodeToString(op), base64.StdEncoding.EncodeToString(root))
	}
	t, err := verifyCertificate(trusted, c.Certificate, id, key, now)
	if err != nil {
		return t, err
	}
	products, err := json.Marshal(c.Products)
	if err != nil {
		return t, err
	}
	return t, st.set(ctx, "certificate", c.Certificate, "operator_key", base64.StdEncoding.EncodeToString(root), "key_set", keySet, "products", string(products))
}

// root returns the operator key the host pinned, nil when none.
func (st *state) root(ctx context.Context) (ed25519.PublicKey, error) {
	b64, err := st.get(ctx, "operator_key")
	if err != nil || b64 == "" {
		return nil, err
	}
	op, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(op) != ed25519.PublicKeySize {
		return nil, errors.New("the stored operator key is malformed")
	}
	return op, nil
}

// keys returns the pinned operator key (nil before the first activation) and the stored key set.
func (st *state) keys(ctx context.Context) (root ed25519.PublicKey, keySet string, err error) {
	if root, err = st.root(ctx); err != nil || root == nil {
		return nil, "", err
	}
	keySet, err = st.get(ctx, "key_set")
	return root, keySet, err
}

// trust returns the operator keys the host trusts: the pinned key and those of the stored key
// set, which chains to it (ticket.Trusted). Empty before the first activation.
func (st *state) trust(ctx context.Context) (ticket.KeySet, error) {
	root, stored, err := st.keys(ctx)
	if err != nil || root == nil {
		return ticket.KeySet{}, err
	}
	return ticket.Trusted(root, stored)
}

// learnKeySet stores a key set from the central service as ticket.Learn decides, and returns
// the keys trusted then.
func (st *state) learnKeySet(ctx context.Context, signed string) (ticket.KeySet, error) {
	root, stored, err := st.keys(ctx)
	if err != nil || root == nil {
		return ticket.KeySet{}, err
	}
	next, err := ticket.Learn(root, stored, signed)
	if err != nil {
		return ticket.KeySet{}, fmt.Errorf("the central service's key set was refused: %w", err)
	}
	if next != stored {
		if err := st.set(ctx, "key_set", next); err != nil {
			return ticket.KeySet{}, err
		}
	}
	return ticket.Trusted(root, next)
}

// verifyCertificate checks a signed certificate: operator's signature, kind, issued to this host.
func verifyCertificate(op ticket.KeySet, signed, hostID string, key ed25519.PrivateKey, now time.Time) (ticket.Ticket, error) {
	t, err := ticket.ParseWith(op, signed)
	if err != nil {
		return t, licet.Errorf(licet.EInvalid, "the host certificate does not verify: %v", err)
	}
	if t.Kind != ticket.KindHostCertificate || t.ExpiresAt == nil || len(t.Covers) == 0 {
		return t, licet.Errorf(licet.EInvalid, "the file holds a %q ticket, not a KMS host certificate", t.Kind)
	}
	if t.Machine != hostID {
		return t, licet.Errorf(licet.EInvalid, "foreign certificate: it was issued to host %s, and this host is %s. Way out: answer this host's own request file", t.Machine, hostID)
	}
	if !ed25519.PublicKey(t.HostKey).Equal(key.Public()) {
		return t, licet.Errorf(licet.EInvalid, "foreign certificate: it certifies another key for host %s (was the state directory's host.key replaced?). Way out: activate again", hostID)
	}
	if !now.Before(*t.ExpiresAt) {
		return t, licet.Errorf(licet.CodeKMSCertificateExpired, "the host certificate expired on %s: activate again", t.ExpiresAt.Format(time.DateOnly))
	}
	return t, nil
}

// loadCertificate reads and re-verifies the installed certificate.
func (s *state) loadCertificate(ctx context.Context, hostID string, key ed25519.PrivateKey) (*certificate, error) {
	signed, err := s.get(ctx, "certificate")
	if err != nil {
		return nil, err
	}
	opB64, err := s.get(ctx, "operator_key")
	if err != nil {
		return nil, err
	}
	trusted, err := s.trust(ctx)
	if err != nil {
		return nil, err
	}
	keySet, err := s.get(ctx, "key_set")
	if err != nil {
		return nil, err
	}
	t, err := ticket.ParseWith(trusted, signed)
	if err != nil || t.Kind != ticket.KindHostCertificate || t.Machine != hostID || !ed25519.PublicKey(t.HostKey).Equal(key.Public()) || t.ExpiresAt == nil {
		why := "it does not belong to this host or does not verify"
		if err != nil {
			why = err.Error()
		}
		return nil, licet.Errorf(licet.EInvalid, "the stored host certificate is refused (%s): activate again", why)
	}
	var products []licet.KMSProduct
	raw, err := s.get(ctx, "products")
	if err != nil {
		return nil, err
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &products); err != nil {
			return nil, fmt.Errorf("stored product list: %w", err)
		}
	}
	c := &certificate{signed: signed, operator: opB64, keySet: keySet, t: t, products: make(map[string]licet.KMSProduct, len(products))}
	for _, p := range products {
		c.products[p.Slug] = p
	}
	return c, nil
}
