package activation

import (
	"crypto/ed25519"
	"encoding/hex"

	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/signing"
)

// KeyFingerprint returns how an installation ID names a key in the database: the key's
// fingerprint (keys.Key.Fingerprint) in lowercase hex.
func KeyFingerprint(fp [8]byte) string { return hex.EncodeToString(fp[:]) }

// KeyTail returns the last 5 characters of a key, shown in masked listings.
func KeyTail(k keys.Key) string {
	s := k.String()
	return s[len(s)-5:]
}

// sealInfo is the HKDF info string of the product key encryption key.
const sealInfo = "licet product keys"

// Sealer encrypts product keys for storage with AES-256-GCM under a key derived (HKDF-SHA256)
// from the operator's signing key file, so that a database dump alone reveals no key.
type Sealer = signing.Sealer

// NewSealer derives the storage key of product keys from the signing key file's key.
func NewSealer(signer ed25519.PrivateKey) (*Sealer, error) {
	return signing.NewSealer(signer, sealInfo)
}
