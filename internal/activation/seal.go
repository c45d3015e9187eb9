package activation

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"

	"github.com/licet/licet/internal/keys"
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
// from the operator's Ed25519 seed, so that a database dump alone reveals no key.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives the storage key from the operator's signing key.
func NewSealer(signer ed25519.PrivateKey) (*Sealer, error) { return NewSealerFor(signer, sealInfo) }

// NewSealerFor derives a storage key for another kind of secret (info names it, e.g.
// "licet webhook secrets"), so that each kind is sealed under its own key.
func NewSealerFor(signer ed25519.PrivateKey, info string) (*Sealer, error) {
	if len(signer) != ed25519.PrivateKeySize {
		return nil, errors.New("activation: the signing key has the wrong size")
	}
	k, err := hkdf.Key(sha256.New, signer.Seed(), nil, info, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal returns base64(nonce || ciphertext) of the key text.
func (s *Sealer) Seal(plain string) string {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), nil))
}

// Open decrypts what Seal returned.
func (s *Sealer) Open(sealed string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("activation: sealed key is malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", errors.New("activation: sealed key does not open with this signing key")
	}
	return string(plain), nil
}
