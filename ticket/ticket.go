// Package ticket is licet's signed proof of activation. A ticket is a JSON payload and an Ed25519
// signature, written as base64url(payload) "." base64url(signature). Tickets are verified offline
// with the operator's public key; a KMS host's tickets carry the host's certificate (a ticket of
// kind KindHostCertificate signed by the operator), so they chain to the same key.
package ticket

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Version is the ticket format version.
const Version = 1

// Kinds of ticket.
const (
	KindActivation      = "activation"     // a machine activated by the central service (MAK, retail, offline, proxy)
	KindHostCertificate = "kms-host"       // a KMS host activated by the central service
	KindKMSActivation   = "kms-activation" // a machine activated by a KMS host
	// KindDirectory is a directory's activation object: signed by the operator, it activates
	// the machines that can bind to the directory and read it (Machine is the directory's id).
	KindDirectory = "directory-activation"
)

// Ticket is what a signature binds. Fields that do not apply are left empty.
type Ticket struct {
	Version int    `json:"v"`
	Kind    string `json:"kind"`
	Serial  string `json:"serial,omitempty"`  // unique id of this ticket
	Product string `json:"product,omitempty"` // product slug
	Group   uint16 `json:"group,omitempty"`   // product group id
	KeyID   int64  `json:"key_id,omitempty"`  // the product key's id, never the key
	// SigningKey is the id of the operator signing key that signed the ticket (tickets of the
	// operator: activations and host certificates); 0 in tickets made before key rotation
	// existed, which were all signed by key 1.
	SigningKey uint32 `json:"kid,omitempty"`
	Machine    string `json:"machine"`          // machine id (or host id for a host certificate)
	Hardware   string `json:"hw,omitempty"`     // hardware hash at activation
	Method     string `json:"method,omitempty"` // online, proxy, offline, kms
	Issuer     string `json:"iss,omitempty"`    // "operator" or the KMS host's id
	Tenant     string `json:"tenant,omitempty"` // tenant slug
	// Directory is the directory's name, in a directory activation object.
	Directory string `json:"directory,omitempty"`

	IssuedAt   time.Time  `json:"iat"`
	ExpiresAt  *time.Time `json:"exp,omitempty"`   // nil: does not expire
	RenewAfter *time.Time `json:"renew,omitempty"` // when the holder should renew

	// Host certificates: the host's public key and the product groups it may activate.
	HostKey []byte   `json:"host_key,omitempty"`
	Covers  []uint16 `json:"covers,omitempty"`
	// KMS tickets: the host certificate of the signer, verified against the operator's key.
	Chain string `json:"chain,omitempty"`
}

// Errors of Verify.
var (
	ErrMalformed = errors.New("ticket is malformed")
	ErrSignature = errors.New("ticket signature does not verify: it was altered or signed by another key")
	ErrExpired   = errors.New("ticket has expired")
	ErrMachine   = errors.New("ticket was issued to another machine")
	ErrChain     = errors.New("ticket's KMS host certificate is invalid")
	// ErrRetired: the ticket was signed by an operator key the operator has retired. The error
	// returned wraps it in a *RetiredError naming the key and the date.
	ErrRetired = errors.New("ticket was signed by a retired operator key")
	// ErrUnknownKey: the ticket names an operator key id the verifier does not know yet.
	ErrUnknownKey = errors.New("ticket was signed by an operator key this machine does not know")
)

var b64 = base64.RawURLEncoding.Strict()

// Sign returns the signed text of t.
func Sign(priv ed25519.PrivateKey, t Ticket) (string, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return "", errors.New("ticket: signing key has the wrong size")
	}
	if t.Version == 0 {
		t.Version = Version
	}
	payload, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	return seal(priv, payload), nil
}

// seal joins a payload and its signature as base64url(payload) "." base64url(signature).
func seal(priv ed25519.PrivateKey, payload []byte) string {
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(ed25519.Sign(priv, payload))
}

// open splits a signed text into its payload and signature, without verifying.
func open(signed string) (payload, sig []byte, err error) {
	if len(signed) > 64<<10 {
		return nil, nil, fmt.Errorf("%w: longer than 64 KiB", ErrMalformed)
	}
	p, s, ok := strings.Cut(strings.TrimSpace(signed), ".")
	if !ok {
		return nil, nil, fmt.Errorf("%w: no signature part", ErrMalformed)
	}
	payload, err1 := b64.DecodeString(p)
	sig, err2 := b64.DecodeString(s)
	if err1 != nil || err2 != nil || len(sig) != ed25519.SignatureSize {
		return nil, nil, fmt.Errorf("%w: bad encoding", ErrMalformed)
	}
	return payload, sig, nil
}

// Parse decodes a signed ticket after checking its signature against pub. It does not check
// expiry or the machine: Check does.
func Parse(pub ed25519.PublicKey, signed string) (Ticket, error) {
	var t Ticket
	if len(pub) != ed25519.PublicKeySize {
		return t, errors.New("ticket: public key has the wrong size")
	}
	payload, sig, err := open(signed)
	if err != nil {
		return t, err
	}
	if !ed25519.Verify(pub, payload, sig) {
		return t, ErrSignature
	}
	return decode(payload)
}

func decode(payload []byte) (Ticket, error) {
	var t Ticket
	if err := json.Unmarshal(payload, &t); err != nil {
		return t, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if t.Version != Version {
		return t, fmt.Errorf("%w: version %d is not supported", ErrMalformed, t.Version)
	}
	return t, nil
}

// Unverified decodes a signed ticket without checking its signature: only to read a ticket
// already verified (such as the host certificate in a verified KMS ticket's Chain), or for
// messages.
func Unverified(signed string) (Ticket, error) {
	payload, _, err := open(signed)
	if err != nil {
		return Ticket{}, err
	}
	return decode(payload)
}

// ParseWith decodes a ticket signed by one of the operator's keys: the key its kid names in
// keys (key 1 when it names none). A key the set marks retired gives ErrRetired; a kid the set
// does not hold, ErrUnknownKey. With an error, the ticket returned is unverified: only for
// messages.
func ParseWith(keys KeySet, signed string) (Ticket, error) {
	payload, sig, err := open(signed)
	if err != nil {
		return Ticket{}, err
	}
	unverified, err := decode(payload)
	if err != nil {
		return unverified, err
	}
	return verifyWith(keys, unverified, payload, sig)
}

// verifyWith checks the signature of an opened and decoded operator ticket against the key
// its kid names in keys, so that the payload is decoded once.
func verifyWith(keys KeySet, unverified Ticket, payload, sig []byte) (Ticket, error) {
	pub, err := keys.Lookup(unverified.SigningKey)
	if err != nil {
		return unverified, err
	}
	if !ed25519.Verify(pub, payload, sig) {
		return Ticket{}, ErrSignature
	}
	return unverified, nil
}

// Check verifies a signed ticket for a machine at a time against one operator key: see
// CheckWith.
func Check(operator ed25519.PublicKey, signed, machine string, now time.Time) (Ticket, error) {
	return CheckWith(Pinned(operator), signed, machine, now)
}

// CheckWith verifies a signed ticket for a machine at a time against the operator's keys: the
// signature (through the host certificate for KMS tickets) by a key of the set that is not
// retired, that it was issued to machine, and that it has not expired.
func CheckWith(keys KeySet, signed, machine string, now time.Time) (Ticket, error) {
	payload, sig, err := open(signed)
	if err != nil {
		return Ticket{}, err
	}
	unverified, err := decode(payload)
	if err != nil {
		return unverified, err
	}
	var t Ticket
	if unverified.Chain != "" || unverified.Kind == KindKMSActivation {
		// A KMS ticket: signed by a host whose certificate the operator signed.
		if unverified.Kind != KindKMSActivation || unverified.Chain == "" {
			return unverified, fmt.Errorf("%w: a KMS activation must be signed by its host", ErrChain)
		}
		t, err = checkChained(keys, unverified, payload, sig, now)
	} else {
		t, err = verifyWith(keys, unverified, payload, sig)
	}
	if err != nil {
		return t, err
	}
	if t.Machine != machine {
		return t, ErrMachine
	}
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return t, ErrExpired
	}
	return t, nil
}

// checkChained verifies an opened and decoded ticket signed by a KMS host: the host
// certificate in its Chain must be signed by an operator key that is not retired, unexpired,
// and cover the ticket's product group.
func checkChained(keys KeySet, unverified Ticket, payload, sig []byte, now time.Time) (Ticket, error) {
	cert, err := ParseWith(keys, unverified.Chain)
	if errors.Is(err, ErrRetired) {
		return cert, fmt.Errorf("%w: %w", ErrChain, err)
	}
	if err != nil || cert.Kind != KindHostCertificate || len(cert.HostKey) != ed25519.PublicKeySize {
		return cert, ErrChain
	}
	if cert.ExpiresAt != nil && !now.Before(*cert.ExpiresAt) {
		return cert, fmt.Errorf("%w: the host certificate has expired", ErrChain)
	}
	if !ed25519.Verify(ed25519.PublicKey(cert.HostKey), payload, sig) {
		return Ticket{}, ErrSignature
	}
	t := unverified
	if t.Kind != KindKMSActivation || t.Issuer != cert.Machine {
		return t, fmt.Errorf("%w: the ticket was not issued by the certified host", ErrChain)
	}
	covered := false
	for _, g := range cert.Covers {
		covered = covered || g == t.Group
	}
	if !covered {
		return t, fmt.Errorf("%w: the host is not certified for product group %d", ErrChain, t.Group)
	}
	return t, nil
}
