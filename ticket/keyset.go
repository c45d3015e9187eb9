package ticket

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// States of an operator signing key.
const (
	KeyActive    = "active"    // signs new tickets, confirmation IDs and host certificates
	KeyVerifying = "verifying" // a previous key: still verifies what it signed, signs nothing new
	KeyRetired   = "retired"   // what it signed is refused
)

// KindKeySet is the kind of a signed key set.
const KindKeySet = "key-set"

// endorsementDomain separates endorsements from every other signature of an operator key.
const endorsementDomain = "licet-signing-key-endorsement-v1\x00"

// OperatorKey is one of the operator's signing keys, as a key set lists it.
type OperatorKey struct {
	ID        uint32     `json:"kid"`
	PublicKey []byte     `json:"publicKey"` // the 32-byte Ed25519 public key (base64 in JSON)
	State     string     `json:"state"`     // KeyActive, KeyVerifying or KeyRetired
	CreatedAt time.Time  `json:"createdAt"`
	RetiredAt *time.Time `json:"retiredAt,omitempty"`
	// EndorsedBy is the key that was active when this one was created and Endorsement its
	// signature over this key's id and public key: a machine that trusts the old key learns the
	// new one through it. The first key has neither.
	EndorsedBy  uint32 `json:"endorsedBy,omitempty"`
	Endorsement []byte `json:"endorsement,omitempty"`
}

// KeySet is the operator keys a verifier knows. A key with ID 0 is a key pinned without its id
// (before key ids existed): it is tried for any id the set does not list.
type KeySet struct {
	Keys []OperatorKey `json:"keys"`
}

// Pinned is the key set of one pinned public key whose id is not known.
func Pinned(pub ed25519.PublicKey) KeySet {
	return KeySet{Keys: []OperatorKey{{PublicKey: pub, State: KeyActive}}}
}

// RetiredError says that a ticket was signed by a retired operator key; it matches ErrRetired.
type RetiredError struct {
	ID        uint32
	RetiredAt time.Time
}

func (e *RetiredError) Error() string {
	return fmt.Sprintf("signed by operator key %d, which the operator retired on %s: what that key signed is no longer accepted; activate again to get a ticket under the current key",
		e.ID, e.RetiredAt.UTC().Format(time.DateOnly))
}

// Unwrap makes errors.Is(err, ErrRetired) true.
func (e *RetiredError) Unwrap() error { return ErrRetired }

// Lookup returns the public key of id (0 means key 1: tickets made before key ids existed).
// A retired key gives a *RetiredError; an id the set does not hold, ErrUnknownKey, unless the
// set holds a key pinned without its id, which is returned for the signature to decide.
func (s KeySet) Lookup(id uint32) (ed25519.PublicKey, error) {
	if id == 0 {
		id = 1
	}
	var unnamed ed25519.PublicKey
	for _, k := range s.Keys {
		switch {
		case k.ID == id && k.State == KeyRetired:
			at := time.Time{}
			if k.RetiredAt != nil {
				at = *k.RetiredAt
			}
			return nil, &RetiredError{ID: id, RetiredAt: at}
		case k.ID == id && len(k.PublicKey) == ed25519.PublicKeySize:
			return ed25519.PublicKey(k.PublicKey), nil
		case k.ID == 0 && len(k.PublicKey) == ed25519.PublicKeySize:
			unnamed = ed25519.PublicKey(k.PublicKey)
		}
	}
	if unnamed != nil {
		return unnamed, nil
	}
	return nil, fmt.Errorf("%w: key %d is not in its key set; contact the central service (or a KMS host) so that it learns the operator's current keys", ErrUnknownKey, id)
}

// Active returns the active key of the set, the one with the highest id; false when none is.
func (s KeySet) Active() (OperatorKey, bool) {
	var out OperatorKey
	for _, k := range s.Keys {
		if k.State == KeyActive && (out.PublicKey == nil || k.ID > out.ID) {
			out = k
		}
	}
	return out, out.PublicKey != nil
}

// Has reports whether the set holds pub (in any state).
func (s KeySet) Has(pub ed25519.PublicKey) bool {
	return s.find(pub) >= 0
}

func (s KeySet) find(pub []byte) int {
	return slices.IndexFunc(s.Keys, func(k OperatorKey) bool { return bytes.Equal(k.PublicKey, pub) })
}

// endorsementMessage is what an endorsement signs: the domain, the new key's id and public key.
func endorsementMessage(id uint32, pub []byte) []byte {
	m := append([]byte(endorsementDomain), binary.BigEndian.AppendUint32(nil, id)...)
	return append(m, pub...)
}

// Endorse signs a new key (its id and public key) with the key active before it.
func Endorse(by ed25519.PrivateKey, id uint32, pub ed25519.PublicKey) []byte {
	return ed25519.Sign(by, endorsementMessage(id, pub))
}

// keySetPayload is the signed content of a key set.
type keySetPayload struct {
	Version    int           `json:"v"`
	Kind       string        `json:"kind"`
	SigningKey uint32        `json:"kid"`
	IssuedAt   time.Time     `json:"iat"`
	Keys       []OperatorKey `json:"keys"`
}

// SignKeySet signs the operator's key set with the active key (id kid), in the form of a ticket:
// base64url(payload) "." base64url(signature).
func SignKeySet(priv ed25519.PrivateKey, kid uint32, keys []OperatorKey, issued time.Time) (string, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return "", errors.New("ticket: signing key has the wrong size")
	}
	payload, err := json.Marshal(keySetPayload{Version: Version, Kind: KindKeySet, SigningKey: kid, IssuedAt: issued.UTC(), Keys: keys})
	if err != nil {
		return "", err
	}
	return seal(priv, payload), nil
}

// VerifyKeySet checks a signed key set against the keys a machine already trusts and returns
// the keys it may trust from now on, and when the set was issued. A key of the set is trusted
// when the machine trusts it already or when a trusted key of the set endorsed it; the set's
// own signature must come from a trusted key. Every key of a set so signed is then taken with
// its state, except that a key the machine knows as retired stays retired.
func VerifyKeySet(trusted KeySet, signed string) (KeySet, time.Time, error) {
	payload, sig, err := open(signed)
	if err != nil {
		return KeySet{}, time.Time{}, err
	}
	var p keySetPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return KeySet{}, time.Time{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if p.Version != Version || p.Kind != KindKeySet {
		return KeySet{}, time.Time{}, fmt.Errorf("%w: not a version %d key set", ErrMalformed, Version)
	}
	if err := checkKeys(p.Keys); err != nil {
		return KeySet{}, time.Time{}, err
	}
	ok := make(map[uint32]bool, len(p.Keys))
	for _, k := range p.Keys { // ascending ids: an endorser comes before the keys it endorsed
		endorser := slices.IndexFunc(p.Keys, func(e OperatorKey) bool { return e.ID == k.EndorsedBy })
		ok[k.ID] = trusted.Has(k.PublicKey) ||
			(endorser >= 0 && ok[k.EndorsedBy] && ed25519.Verify(p.Keys[endorser].PublicKey, endorsementMessage(k.ID, k.PublicKey), k.Endorsement))
	}
	signer := slices.IndexFunc(p.Keys, func(k OperatorKey) bool { return k.ID == p.SigningKey })
	if signer < 0 || !ok[p.SigningKey] {
		return KeySet{}, time.Time{}, fmt.Errorf("%w: the key set is signed by key %d, which does not chain to a key this machine trusts", ErrSignature, p.SigningKey)
	}
	if !ed25519.Verify(p.Keys[signer].PublicKey, payload, sig) {
		return KeySet{}, time.Time{}, ErrSignature
	}
	out := KeySet{Keys: slices.Clone(p.Keys)}
	for _, k := range trusted.Keys {
		if i := out.find(k.PublicKey); i >= 0 && k.State == KeyRetired {
			out.Keys[i].State, out.Keys[i].RetiredAt = KeyRetired, k.RetiredAt
		}
	}
	return out, p.IssuedAt, nil
}

// checkKeys checks the form of a key set's keys: ids ascending from 1, 32-byte keys, known
// states, endorsed by an earlier key.
func checkKeys(keys []OperatorKey) error {
	if len(keys) == 0 || len(keys) > 1000 {
		return fmt.Errorf("%w: a key set holds 1 to 1000 keys", ErrMalformed)
	}
	for i, k := range keys {
		switch {
		case k.ID == 0 || (i > 0 && k.ID <= keys[i-1].ID):
			return fmt.Errorf("%w: key ids must ascend from 1", ErrMalformed)
		case len(k.PublicKey) != ed25519.PublicKeySize:
			return fmt.Errorf("%w: key %d is not a 32-byte Ed25519 key", ErrMalformed, k.ID)
		case k.State != KeyActive && k.State != KeyVerifying && k.State != KeyRetired:
			return fmt.Errorf("%w: key %d has unknown state %q", ErrMalformed, k.ID, k.State)
		case k.EndorsedBy >= k.ID:
			return fmt.Errorf("%w: key %d is endorsed by a later key", ErrMalformed, k.ID)
		}
	}
	return nil
}

// Trusted returns the keys a machine trusts that pinned pin and stored the signed key set
// stored ("" for none): the pin, and the keys of the set, which must chain to it.
func Trusted(pin ed25519.PublicKey, stored string) (KeySet, error) {
	set, _, err := trusted(pin, stored)
	return set, err
}

// trusted is Trusted, also returning when stored was issued (zero for none).
func trusted(pin ed25519.PublicKey, stored string) (KeySet, time.Time, error) {
	if len(pin) != ed25519.PublicKeySize {
		return KeySet{}, time.Time{}, errors.New("no valid operator key is pinned")
	}
	if stored == "" {
		return Pinned(pin), time.Time{}, nil
	}
	set, issued, err := VerifyKeySet(Pinned(pin), stored)
	if err != nil {
		return KeySet{}, time.Time{}, fmt.Errorf("the stored operator key set does not chain to the pinned key: %w", err)
	}
	return set, issued, nil
}

// Learn returns the key set a machine that pinned pin and stored the set stored keeps after
// receiving incoming: incoming when it chains to the keys trusted now, is not older than stored
// and still marks retired every key stored does (a machine recomputes trust from the pin and
// the one set it keeps, so a set that forgot a retirement would undo it); stored otherwise. The
// error says why incoming was refused; an older set is ignored without one.
func Learn(pin ed25519.PublicKey, stored, incoming string) (string, error) {
	if incoming == "" {
		return stored, nil
	}
	have, storedAt, err := trusted(pin, stored)
	if err != nil {
		return stored, err
	}
	if _, issued, err := VerifyKeySet(have, incoming); err != nil {
		return stored, fmt.Errorf("the operator key set does not chain to the key pinned on this machine: %w", err)
	} else if stored != "" && storedAt.After(issued) {
		return stored, nil
	}
	next, err := Trusted(pin, incoming)
	if err != nil {
		return stored, err
	}
	for _, k := range have.Keys {
		if k.State != KeyRetired || k.ID == 0 {
			continue
		}
		if _, err := next.Lookup(k.ID); !errors.Is(err, ErrRetired) {
			return stored, fmt.Errorf("the operator key set would bring back key %d, which this machine knows retired", k.ID)
		}
	}
	return incoming, nil
}
