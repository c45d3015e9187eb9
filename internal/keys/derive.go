package keys

import (
	"crypto/sha256"
	"encoding/binary"
)

// ProductNumber returns the number an installation ID carries for a product: the first 4 bytes
// (big endian) of SHA-256 of "licet product " followed by the product's slug. An isolated
// machine knows its product's slug but not the service's database ids, so the number is derived
// from the slug; the service matches it against the products of the key's group.
func ProductNumber(slug string) uint32 {
	sum := sha256.Sum256([]byte("licet product " + slug))
	return binary.BigEndian.Uint32(sum[:4])
}

// MachineFingerprint returns the machine fingerprint an installation ID carries: the first 8
// bytes of SHA-256 of "licet machine " followed by the machine id. The hardware hash is left
// out, so that a change of hardware within tolerance keeps the installation ID.
func MachineFingerprint(machineID string) [8]byte {
	sum := sha256.Sum256([]byte("licet machine " + machineID))
	var fp [8]byte
	copy(fp[:], sum[:8])
	return fp
}
