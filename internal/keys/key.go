package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"strings"
	"unicode"
)

// Alphabet lists the 24 symbols of a product key in digit order. Letters
// and digits that are easily confused (A E I L N O S U Z, 0 1 5) are left
// out.
const Alphabet = "BCDFGHJKMPQRTVWXY2346789"

// KeyVersion is the current product key format version.
const KeyVersion = 1

const (
	keyBase       = 24
	keyLen        = 25 // symbols in a key
	keyDataLen    = 23 // data symbols; the last two are check symbols
	keyGroupLen   = 5
	keyModulus    = 571 // largest prime not above 24*24
	keySerialSize = 10  // bytes of random serial
	keyWhat       = "product key"
)

// keyWeights are the weights of the check equation
//
//	sum(keyWeights[i] * digit[i]) ≡ 0 (mod keyModulus).
//
// They are non-zero and pairwise distinct modulo the prime keyModulus, so a
// changed symbol or any swap of two unequal symbols always changes the sum.
// The check symbols get weights 24 and 1 so that together they can express
// every residue.
var keyWeights = func() [keyLen]int {
	var w [keyLen]int
	for i := 0; i < keyDataLen; i++ {
		w[i] = 25 + i
	}
	w[keyDataLen] = keyBase
	w[keyDataLen+1] = 1
	return w
}()

var keySymbolValue = func() [256]int8 {
	var v [256]int8
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(Alphabet); i++ {
		v[Alphabet[i]] = int8(i)
		v[unicode.ToLower(rune(Alphabet[i]))] = int8(i)
	}
	return v
}()

// Type is the kind of product key.
type Type string

// The key types. Their order fixes the code stored in the key.
const (
	// Retail is a key sold for one installation.
	Retail Type = "retail"
	// MAK is a multiple activation key.
	MAK Type = "mak"
	// KMSHost is the key of a local key management server.
	KMSHost Type = "kms-host"
	// KMSClient is the generic key of a client activated by a KMS host.
	KMSClient Type = "kms-client"
	// Setup is a key that only installs and never activates.
	Setup Type = "setup"
)

var typeCodes = []Type{1: Retail, 2: MAK, 3: KMSHost, 4: KMSClient, 5: Setup}

// Types returns all key types in code order.
func Types() []Type {
	return append([]Type(nil), typeCodes[1:]...)
}

// ParseType returns the Type named s, such as "retail" or "kms-host".
func ParseType(s string) (Type, error) {
	t := Type(strings.ToLower(strings.TrimSpace(s)))
	if t.code() == 0 {
		return "", fmt.Errorf("%w %q (want one of retail, mak, kms-host, kms-client, setup)", ErrType, s)
	}
	return t, nil
}

// String returns the name of the type.
func (t Type) String() string { return string(t) }

func (t Type) code() uint64 {
	for c, n := range typeCodes {
		if c > 0 && n == t {
			return uint64(c)
		}
	}
	return 0
}

// Key is the decoded content of a product key.
type Key struct {
	// Version is the key format version, KeyVersion for new keys.
	Version uint8
	// Type is the kind of key.
	Type Type
	// Group is the product group the key belongs to.
	Group uint16
	// Serial is random and makes each key unique.
	Serial [keySerialSize]byte
}

// New returns a key of the current version with a serial read from rnd,
// or from crypto/rand when rnd is nil.
func New(t Type, group uint16, rnd io.Reader) (Key, error) {
	if t.code() == 0 {
		return Key{}, fmt.Errorf("%w %q", ErrType, string(t))
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	k := Key{Version: KeyVersion, Type: t, Group: group}
	if _, err := io.ReadFull(rnd, k.Serial[:]); err != nil {
		return Key{}, fmt.Errorf("reading key serial: %w", err)
	}
	return k, nil
}

// Valid reports whether the key has the current version and a known type,
// that is whether String produces a key that Parse accepts.
func (k Key) Valid() error {
	if k.Version != KeyVersion {
		return fmt.Errorf("%w %d", ErrVersion, k.Version)
	}
	if k.Type.code() == 0 {
		return fmt.Errorf("%w %q", ErrType, string(k.Type))
	}
	return nil
}

// String returns the canonical form XXXXX-XXXXX-XXXXX-XXXXX-XXXXX. For a
// key that is not Valid the result is rejected by Parse.
func (k Key) String() string {
	// Layout, most significant first: serial (80 bits), group (16),
	// type (4), version (4): 104 bits < 24^23.
	n := new(big.Int).SetBytes(k.Serial[:])
	n.Lsh(n, 16).Or(n, big.NewInt(int64(k.Group)))
	n.Lsh(n, 4).Or(n, big.NewInt(int64(k.Type.code()&0xf)))
	version := k.Version
	if version > 0xf {
		version = 0 // does not fit; encode a version Parse rejects
	}
	n.Lsh(n, 4).Or(n, big.NewInt(int64(version)))

	var d [keyLen]int
	digitsOf(n, keyBase, d[:keyDataLen])
	sum := 0
	for i := 0; i < keyDataLen; i++ {
		sum += keyWeights[i] * d[i]
	}
	c := (keyModulus - sum%keyModulus) % keyModulus
	d[keyDataLen], d[keyDataLen+1] = c/keyBase, c%keyBase

	var b strings.Builder
	b.Grow(keyLen + keyLen/keyGroupLen)
	for i, v := range d {
		if i > 0 && i%keyGroupLen == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(Alphabet[v])
	}
	return b.String()
}

// Parse decodes a product key. It accepts lower case, spaces or dashes
// anywhere, missing dashes and surrounding whitespace. Errors are of type
// *ParseError.
func Parse(s string) (Key, error) {
	var d [keyLen]int
	n := 0
	pos := 0
	for _, r := range strings.TrimSpace(s) {
		pos++
		if r == '-' || unicode.IsSpace(r) {
			continue
		}
		v := int8(-1)
		if r < 256 {
			v = keySymbolValue[r]
		}
		if v < 0 {
			return Key{}, parseErr(keyWhat, ErrCharacter,
				"character %q at position %d is not used in product keys (the letters A, E, I, O, U, L, N, S, Z and the digits 0, 1, 5 never appear)", r, pos)
		}
		if n < keyLen {
			d[n] = int(v)
		}
		n++
	}
	if n != keyLen {
		return Key{}, parseErr(keyWhat, ErrLength, "found %d characters, want %d", n, keyLen)
	}
	sum := 0
	for i, v := range d {
		sum += keyWeights[i] * v
	}
	if sum%keyModulus != 0 || d[keyDataLen]*keyBase+d[keyDataLen+1] >= keyModulus {
		return Key{}, parseErr(keyWhat, ErrMistyped, "check failed: a character is mistyped or two neighbouring characters are swapped")
	}
	num := numberOf(d[:keyDataLen], keyBase)
	if num.BitLen() > 8*keySerialSize+24 {
		return Key{}, parseErr(keyWhat, ErrMalformed, "not a valid product key")
	}
	var k Key
	k.Version = uint8(takeBits(num, 4))
	if k.Version != KeyVersion {
		return Key{}, parseErr(keyWhat, ErrVersion, "unknown key format version %d", k.Version)
	}
	code := takeBits(num, 4)
	if code == 0 || code >= uint64(len(typeCodes)) {
		return Key{}, parseErr(keyWhat, ErrType, "unknown key type code %d", code)
	}
	k.Type = typeCodes[code]
	k.Group = uint16(takeBits(num, 16))
	num.FillBytes(k.Serial[:])
	return k, nil
}

// Hash returns the lowercase hex SHA-256 of the canonical key string: how the database finds a
// key without storing it in clear.
func (k Key) Hash() string {
	sum := sha256.Sum256([]byte(k.String()))
	return hex.EncodeToString(sum[:])
}

// Fingerprint returns the first 8 bytes of the SHA-256 hash of the
// canonical key string. It identifies a key without storing it.
func (k Key) Fingerprint() [8]byte {
	sum := sha256.Sum256([]byte(k.String()))
	var f [8]byte
	copy(f[:], sum[:])
	return f
}

// Masked hides all but the last group of a key, for display and logs:
// "*****-*****-*****-*****-ABCDE". Input that does not have the shape of a
// key is masked completely.
func Masked(canonical string) string {
	const hidden = "*****-*****-*****-*****-"
	var syms []rune
	for _, r := range strings.TrimSpace(canonical) {
		if r == '-' || unicode.IsSpace(r) {
			continue
		}
		syms = append(syms, unicode.ToUpper(r))
	}
	if len(syms) != keyLen {
		return hidden + "*****"
	}
	for _, r := range syms[keyLen-keyGroupLen:] {
		if r >= 256 || keySymbolValue[r] < 0 {
			return hidden + "*****"
		}
	}
	return hidden + string(syms[keyLen-keyGroupLen:])
}
