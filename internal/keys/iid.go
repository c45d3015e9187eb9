package keys

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
)

// InstallationIDVersion is the current installation ID format version.
const InstallationIDVersion = 1

const (
	iidChecksumBits = 15
	iidBits         = iidChecksumBits + 64 + 32 + 64 + 4 // 179 bits < 10^54
	iidBytesLen     = 21
)

var iidFormat = groupedDecimal{what: "installation ID", groups: 9, groupSize: 7}

// InstallationID is what a machine without network access reads to the
// service, for example over the phone, to be activated offline.
type InstallationID struct {
	// Version is the format version, InstallationIDVersion. Only its low
	// four bits are encoded.
	Version uint8
	// KeyFingerprint is Key.Fingerprint of the product key being activated.
	KeyFingerprint [8]byte
	// ProductID is the product's number: ProductNumber of its slug.
	ProductID uint32
	// MachineFingerprint identifies the machine; the caller derives it by
	// hashing the machine id and hardware details.
	MachineFingerprint [8]byte
}

// NewInstallationID returns an installation ID of the current version for
// activating key on the machine with the given fingerprint.
func NewInstallationID(key Key, productID uint32, machine [8]byte) InstallationID {
	return InstallationID{
		Version:            InstallationIDVersion,
		KeyFingerprint:     key.Fingerprint(),
		ProductID:          productID,
		MachineFingerprint: machine,
	}
}

// Bytes returns the 21-byte binary form of the ID: version, key
// fingerprint, product id (big endian) and machine fingerprint. It is the
// form a confirmation ID signs.
func (id InstallationID) Bytes() []byte {
	b := make([]byte, 0, iidBytesLen)
	b = append(b, id.Version&0xf)
	b = append(b, id.KeyFingerprint[:]...)
	b = binary.BigEndian.AppendUint32(b, id.ProductID)
	b = append(b, id.MachineFingerprint[:]...)
	return b
}

// checksum returns the whole-ID checksum: the first 15 bits of the SHA-256
// hash of Bytes.
func (id InstallationID) checksum() uint64 {
	sum := sha256.Sum256(id.Bytes())
	return uint64(binary.BigEndian.Uint16(sum[:2]) >> (16 - iidChecksumBits))
}

// String returns the ID as 9 groups of 7 digits joined by dashes. Each
// group is 6 data digits and a Damm check digit.
func (id InstallationID) String() string {
	n := new(big.Int)
	putBits(n, id.checksum(), iidChecksumBits)
	putBits(n, binary.BigEndian.Uint64(id.KeyFingerprint[:]), 64)
	putBits(n, uint64(id.ProductID), 32)
	putBits(n, binary.BigEndian.Uint64(id.MachineFingerprint[:]), 64)
	putBits(n, uint64(id.Version&0xf), 4)
	return iidFormat.format(n)
}

// ParseInstallationID decodes an installation ID. Groups may be separated
// by dashes, spaces or nothing. A group whose check digit does not match is
// reported as a *GroupError naming the group; other problems as a
// *ParseError.
func ParseInstallationID(s string) (InstallationID, error) {
	n, err := iidFormat.parse(s)
	if err != nil {
		return InstallationID{}, err
	}
	if n.BitLen() > iidBits {
		return InstallationID{}, parseErr(iidFormat.what, ErrMalformed, "not a valid installation ID")
	}
	var id InstallationID
	id.Version = uint8(takeBits(n, 4))
	binary.BigEndian.PutUint64(id.MachineFingerprint[:], takeBits(n, 64))
	id.ProductID = uint32(takeBits(n, 32))
	binary.BigEndian.PutUint64(id.KeyFingerprint[:], takeBits(n, 64))
	if takeBits(n, iidChecksumBits) != id.checksum() {
		return InstallationID{}, parseErr(iidFormat.what, ErrMistyped,
			"checksum does not match: digits were mistyped in more than one place or groups were swapped")
	}
	if id.Version != InstallationIDVersion {
		return InstallationID{}, parseErr(iidFormat.what, ErrVersion, "unknown installation ID format version %d", id.Version)
	}
	return id, nil
}
