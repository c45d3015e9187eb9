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
	Version  int    `json:"v"`
	Kind     string `json:"kind"`
	Serial   string `json:"serial,omitempty"`  // unique id of this ticket
	Product  string `json:"product,omitempty"` // product slug
	Group    uint16 `json:"group,omitempty"`   // product group id
	KeyID    int64  `json:"key_id,omitempty"`  // the key's id, never the key
	Machine  string `json:"machine"`           // machine id (or host id for a host certificate)
	Hardware string `json:"hw,omitempty"`      // hardware hash at activation
	Method   string `json:"method,omitempty"`  // online, proxy, offline, kms
	Issuer   string `json:"iss,omitempty"`     // "operator" or the KMS host's id
	Tenant   string `json:"tenant,omitempty"`  // tenant slug
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
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(ed25519.Sign(priv, payload)), nil
}

// Parse decodes a signed ticket after checking its signature against pub. It does not check
// expiry or the machine: Check does.
func Parse(pub ed25519.PublicKey, signed string) (Ticket, error) {
	var t Ticket
	if len(pub) != ed25519.PublicKeySize {
		return t, errors.New("ticket: public key has the wrong size")
	}
	if len(signed) > 64<<10 {
		return t, fmt.Errorf("%w: longer than 64 KiB", ErrMalformed)
	}
	p, s, ok := strings.Cut(strings.TrimSpace(signed), ".")
	if !ok {
		return t, fmt.Errorf("%w: no signature part", ErrMalformed)
	}
	payload, err1 := b64.DecodeString(p)
	sig, err2 := b64.DecodeString(s)
	if err1 != nil || err2 != nil || len(sig) != ed25519.SignatureSize {
		return t, fmt.Errorf("%w: bad encoding", ErrMalformed)
	}
	if !ed25519.Verify(pub, payload, sig) {
		return t, ErrSignature
	}
	if err := json.Unmarshal(payload, &t); err != nil {
		return t, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if t.Version != Version {
		return t, fmt.Errorf("%w: version %d is not supported", ErrMalformed, t.Version)
	}
	return t, nil
}

// Check verifies a signed ticket for a machine at a time: the signature (through the host
// certificate for KMS tickets), that it was issued to machine, and that it has not expired.
func Check(operator ed25519.PublicKey, signed, machine string, now time.Time) (Ticket, error) {
	t, err := Parse(operator, signed)
	if err != nil && !errors.Is(err, ErrSignature) {
		return t, err
	}
	if errors.Is(err, ErrSignature) {
		// Maybe a KMS ticket: signed by a host whose certificate the operator signed.
		t, err = checkChained(operator, signed, now)
		if err != nil {
			return t, err
		}
	} else if t.Kind == KindKMSActivation {
		return t, fmt.Errorf("%w: a KMS activation must be signed by its host", ErrChain)
	}
	if t.Machine != machine {
		return t, ErrMachine
	}
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return t, ErrExpired
	}
	return t, nil
}

// checkChained verifies a ticket signed by a KMS host: the host certificate in Chain must be
// signed by the operator, unexpired, and cover the ticket's product group.
func checkChained(operator ed25519.PublicKey, signed string, now time.Time) (Ticket, error) {
	p, _, _ := strings.Cut(strings.TrimSpace(signed), ".")
	payload, err := b64.DecodeString(p)
	var unverified Ticket
	if err != nil || json.Unmarshal(payload, &unverified) != nil || unverified.Chain == "" {
		return unverified, ErrSignature
	}
	cert, err := Parse(operator, unverified.Chain)
	if err != nil || cert.Kind != KindHostCertificate || len(cert.HostKey) != ed25519.PublicKeySize {
		return unverified, ErrChain
	}
	if cert.ExpiresAt != nil && !now.Before(*cert.ExpiresAt) {
		return unverified, fmt.Errorf("%w: the host certificate has expired", ErrChain)
	}
	t, err := Parse(ed25519.PublicKey(cert.HostKey), signed)
	if err != nil {
		return t, err
	}
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
