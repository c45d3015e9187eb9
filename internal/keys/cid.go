package keys

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"
)

// ConfirmationIDVersion is the current confirmation ID format version.
const ConfirmationIDVersion = 1

// confirmationDomain separates confirmation ID signatures from every other
// use of the operator's key.
const confirmationDomain = "licet-cid-v1"

const cidBits = ed25519.SignatureSize*8 + 16 + 32 + 4 // 564 bits < 10^170

var cidFormat = groupedDecimal{what: "confirmation ID", groups: 34, groupSize: 6}

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
	// Signature is the operator's Ed25519 signature over the installation
	// ID and the fields above.
	Signature [ed25519.SignatureSize]byte
}

// confirmationMessage returns the signed bytes: the domain prefix, the
// installation ID's binary form, then version, issue day and serial.
func confirmationMessage(iid InstallationID, version uint8, day uint16, serial uint32) []byte {
	m := make([]byte, 0, len(confirmationDomain)+iidBytesLen+1+2+4)
	m = append(m, confirmationDomain...)
	m = append(m, iid.Bytes()...)
	m = append(m, version&0xf)
	m = binary.BigEndian.AppendUint16(m, day)
	m = binary.BigEndian.AppendUint32(m, serial)
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

// SignConfirmation issues the confirmation ID for iid, dated issued and
// carrying the activation serial. Like ed25519.Sign it panics if priv does
// not have ed25519.PrivateKeySize bytes.
func SignConfirmation(priv ed25519.PrivateKey, iid InstallationID, issued time.Time, serial uint32) ConfirmationID {
	c := ConfirmationID{Version: ConfirmationIDVersion, IssuedDay: issuedDay(issued), Serial: serial}
	sig := ed25519.Sign(priv, confirmationMessage(iid, c.Version, c.IssuedDay, c.Serial))
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
	if c.Version != ConfirmationIDVersion {
		return fmt.Errorf("%w %d of confirmation ID", ErrVersion, c.Version)
	}
	if !ed25519.Verify(pub, confirmationMessage(iid, c.Version, c.IssuedDay, c.Serial), c.Signature[:]) {
		return ErrForeignConfirmation
	}
	return nil
}

// Issued returns the day of issue as midnight UTC.
func (c ConfirmationID) Issued() time.Time {
	return confirmationEpoch.AddDate(0, 0, int(c.IssuedDay))
}

// String returns the ID as 34 groups of 6 digits joined by dashes. Each
// group is 5 data digits and a Damm check digit.
func (c ConfirmationID) String() string {
	n := new(big.Int).SetBytes(c.Signature[:])
	putBits(n, uint64(c.IssuedDay), 16)
	putBits(n, uint64(c.Serial), 32)
	putBits(n, uint64(c.Version&0xf), 4)
	return cidFormat.format(n)
}

// ParseConfirmationID decodes a confirmation ID. Groups may be separated by
// dashes, spaces or nothing. A group whose check digit does not match is
// reported as a *GroupError naming the group; other problems as a
// *ParseError. Parsing does not verify the signature; call Verify.
func ParseConfirmationID(s string) (ConfirmationID, error) {
	n, err := cidFormat.parse(s)
	if err != nil {
		return ConfirmationID{}, err
	}
	if n.BitLen() > cidBits {
		return ConfirmationID{}, parseErr(cidFormat.what, ErrMalformed, "not a valid confirmation ID")
	}
	var c ConfirmationID
	c.Version = uint8(takeBits(n, 4))
	c.Serial = uint32(takeBits(n, 32))
	c.IssuedDay = uint16(takeBits(n, 16))
	n.FillBytes(c.Signature[:])
	if c.Version != ConfirmationIDVersion {
		return ConfirmationID{}, parseErr(cidFormat.what, ErrVersion, "unknown confirmation ID format version %d", c.Version)
	}
	return c, nil
}
