package keys

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"
)

// ConfirmationIDVersion is the current confirmation ID format version:
// version 2 carries the id of the operator key that signed it. Version 1
// (without a key id: key 1 signed it) is still read and verified.
const ConfirmationIDVersion = 2

// Confirmation ID domains separate their signatures from every other use
// of the operator's keys.
const (
	confirmationDomainV1 = "licet-cid-v1"
	confirmationDomainV2 = "licet-cid-v2"
)

const (
	cidBitsV1 = ed25519.SignatureSize*8 + 16 + 32 + 4      // 564 bits < 10^170
	cidBits   = ed25519.SignatureSize*8 + 16 + 16 + 32 + 4 // 580 bits < 10^175
)

var (
	cidFormatV1 = groupedDecimal{what: "confirmation ID", groups: 34, groupSize: 6}
	cidFormat   = groupedDecimal{what: "confirmation ID", groups: 35, groupSize: 6}
)

// confirmationEpoch is day 0 of ConfirmationID.IssuedDay.
var confirmationEpoch = time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)

// ConfirmationID is the service's answer to an installation ID. The
// isolated machine types it in and checks it offline with the operator's
// Ed25519 public key.
type ConfirmationID struct {
	// Version is the format version, ConfirmationIDVersion. Only its low
	// four bits are encoded.
	Version uint8
	// IssuedDay is the day of issue, counted in days since 2020-01-01 UTC.
	IssuedDay uint16
	// Serial is the activation's serial number at the service.
	Serial uint32
	// SigningKey is the id of the operator key that signed it (version 2);
	// 0 in version 1, which key 1 signed.
	SigningKey uint16
	// Signature is the operator's Ed25519 signature over the installation
	// ID and the fields above.
	Signature [ed25519.SignatureSize]byte
}

// message returns the signed bytes: the domain prefix, the installation
// ID's binary form, then version, issue day and serial, and (version 2) the
// signing key's id.
func (c ConfirmationID) message(iid InstallationID) []byte {
	domain := confirmationDomainV2
	if c.Version == 1 {
		domain = confirmationDomainV1
	}
	m := make([]byte, 0, len(domain)+iidBytesLen+1+2+4+2)
	m = append(m, domain...)
	m = append(m, iid.Bytes()...)
	m = append(m, c.Version&0xf)
	m = binary.BigEndian.AppendUint16(m, c.IssuedDay)
	m = binary.BigEndian.AppendUint32(m, c.Serial)
	if c.Version != 1 {
		m = binary.BigEndian.AppendUint16(m, c.SigningKey)
	}
	return m
}

// issuedDay converts t to days since 2020-01-01 UTC, clamped to the range
// of a uint16 (2020-01-01 to 2199-06-05).
func issuedDay(t time.Time) uint16 {
	if t.Before(confirmationEpoch) {
		return 0
	}
	days := int64(t.Sub(confirmationEpoch) / (24 * time.Hour))
	if days > math.MaxUint16 {
		return math.MaxUint16
	}
	return uint16(days)
}

// SignConfirmation issues the confirmation ID for iid, signed by the
// operator key kid, dated issued and carrying the activation serial. Like
// ed25519.Sign it panics if priv does not have ed25519.PrivateKeySize bytes.
func SignConfirmation(priv ed25519.PrivateKey, kid uint16, iid InstallationID, issued time.Time, serial uint32) ConfirmationID {
	c := ConfirmationID{Version: ConfirmationIDVersion, IssuedDay: issuedDay(issued), Serial: serial, SigningKey: kid}
	sig := ed25519.Sign(priv, c.message(iid))
	copy(c.Signature[:], sig)
	return c
}

// Verify checks that c was issued for iid by the holder of the private key
// belonging to pub. It returns ErrForeignConfirmation when c was made for
// another installation ID or its signature does not verify.
func (c ConfirmationID) Verify(pub ed25519.PublicKey, iid InstallationID) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrPublicKey, len(pub), ed25519.PublicKeySize)
	}
	if c.Version != ConfirmationIDVersion && c.Version != 1 {
		return fmt.Errorf("%w %d of confirmation ID", ErrVersion, c.Version)
	}
	if !ed25519.Verify(pub, c.message(iid), c.Signature[:]) {
		return ErrForeignConfirmation
	}
	return nil
}

// Issued returns the day of issue as midnight UTC.
func (c ConfirmationID) Issued() time.Time {
	return confirmationEpoch.AddDate(0, 0, int(c.IssuedDay))
}

// String returns the ID as groups of 6 digits joined by dashes: 35 groups
// in version 2, 34 in version 1. Each group is 5 data digits and a Damm
// check digit.
func (c ConfirmationID) String() string {
	n := new(big.Int).SetBytes(c.Signature[:])
	format := cidFormatV1
	if c.Version != 1 {
		format = cidFormat
		putBits(n, uint64(c.SigningKey), 16)
	}
	putBits(n, uint64(c.IssuedDay), 16)
	putBits(n, uint64(c.Serial), 32)
	putBits(n, uint64(c.Version&0xf), 4)
	return format.format(n)
}

// ParseConfirmationID decodes a confirmation ID as a person types it: the
// current format, 35 groups (version 2). Groups may be separated by dashes,
// spaces or nothing. A group whose check digit does not match is reported
// as a *GroupError naming the group; other problems as a *ParseError. A
// 34-group entry is reported as a group missing: it is one far more often
// than a version 1 ID (from before key ids), which a service issues no
// more. Parsing does not verify the signature; call Verify.
func ParseConfirmationID(s string) (ConfirmationID, error) {
	if countDigits(s) == cidFormatV1.groups*cidFormatV1.groupSize {
		return ConfirmationID{}, parseErr(cidFormat.what, ErrLength, "found %d groups, want %d: is a group missing? (34 groups is the format from before key rotation, no longer issued: ask for a new confirmation ID)",
			cidFormatV1.groups, cidFormat.groups)
	}
	return parseCID(s, cidFormat, cidBits, ConfirmationIDVersion)
}

// ParseStoredConfirmationID decodes a confirmation ID a machine installed
// earlier: the current format or version 1 (34 groups, signed by key 1),
// told apart by their number of digits, so that machines confirmed before
// key rotation stay licensed.
func ParseStoredConfirmationID(s string) (ConfirmationID, error) {
	if countDigits(s) == cidFormatV1.groups*cidFormatV1.groupSize {
		return parseCID(s, cidFormatV1, cidBitsV1, 1)
	}
	return parseCID(s, cidFormat, cidBits, ConfirmationIDVersion)
}

// parseCID decodes the digits of one format and version.
func parseCID(s string, format groupedDecimal, bits int, version uint8) (ConfirmationID, error) {
	n, err := format.parse(s)
	if err != nil {
		return ConfirmationID{}, err
	}
	if n.BitLen() > bits {
		return ConfirmationID{}, parseErr(format.what, ErrMalformed, "not a valid confirmation ID")
	}
	var c ConfirmationID
	c.Version = uint8(takeBits(n, 4))
	c.Serial = uint32(takeBits(n, 32))
	c.IssuedDay = uint16(takeBits(n, 16))
	if version != 1 {
		c.SigningKey = uint16(takeBits(n, 16))
	}
	n.FillBytes(c.Signature[:])
	if c.Version != version {
		return ConfirmationID{}, parseErr(format.what, ErrVersion, "unknown confirmation ID format version %d", c.Version)
	}
	return c, nil
}

// countDigits counts the decimal digits of s.
func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}
