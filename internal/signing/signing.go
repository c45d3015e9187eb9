// Package signing keeps the operator's Ed25519 signing key: a 0600 PEM file outside the database,
// created on first start and shared by replicas.
package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/privatefile"
)

// Load reads an Ed25519 private key from a PEM (PKCS #8) file.
func Load(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, licet.Errorf(licet.EInvalid, "signing key %s is not a PEM \"PRIVATE KEY\" file", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "signing key %s cannot be parsed: %v", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, licet.Errorf(licet.EInvalid, "signing key %s is not an Ed25519 key", path)
	}
	return priv, nil
}

// Create makes a new key and writes it to path with mode 0600; it refuses to overwrite a file.
func Create(path string) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	if err := privatefile.Create(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, fmt.Errorf("create signing key: %w", err)
	}
	return priv, nil
}

// Exists reports whether a file is at path.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
