package signing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// Sealer encrypts secrets for storage with AES-256-GCM under a key derived (HKDF-SHA256, with a
// purpose string) from the seed of the signing key file, so that a database dump alone reveals
// no secret.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives a storage key for one purpose from the signing key file's key.
func NewSealer(file ed25519.PrivateKey, purpose string) (*Sealer, error) {
	if len(file) != ed25519.PrivateKeySize {
		return nil, errors.New("signing: the signing key has the wrong size")
	}
	k, err := hkdf.Key(sha256.New, file.Seed(), nil, purpose, 32)
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

// Seal returns base64(nonce || ciphertext) of plain.
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
		return "", errors.New("sealed value is malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", errors.New("sealed value does not open with this signing key file")
	}
	return string(plain), nil
}
