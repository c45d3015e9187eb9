package keys

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"

	"pgregory.net/rapid"
)

var keyShape = regexp.MustCompile(`^[` + Alphabet + `]{5}(-[` + Alphabet + `]{5}){4}$`)

// testKeys returns n keys with deterministic random serials, cycling
// through all types.
func testKeys(t testing.TB, n int) []Key {
	t.Helper()
	rnd := rand.NewChaCha8([32]byte{1, 2, 3})
	types := Types()
	keys := make([]Key, n)
	for i := range keys {
		k, err := New(types[i%len(types)], uint16(i*977), rnd)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	return keys
}

func drawKey(t *rapid.T) Key {
	k := Key{
		Version: KeyVersion,
		Type:    rapid.SampledFrom(Types()).Draw(t, "type"),
		Group:   rapid.Uint16().Draw(t, "group"),
	}
	copy(k.Serial[:], rapid.SliceOfN(rapid.Byte(), keySerialSize, keySerialSize).Draw(t, "serial"))
	return k
}

func TestKeyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k := drawKey(t)
		s := k.String()
		if !keyShape.MatchString(s) {
			t.Fatalf("String() = %q, not in canonical shape", s)
		}
		variants := []string{
			s,
			strings.ToLower(s),
			strings.ReplaceAll(s, "-", ""),
			"  " + strings.ReplaceAll(s, "-", " ") + "\n",
			strings.ToLower(strings.ReplaceAll(s, "-", " - ")),
		}
		for _, v := range variants {
			got, err := Parse(v)
			if err != nil {
				t.Fatalf("Parse(%q): %v", v, err)
			}
			if got != k {
				t.Fatalf("Parse(%q) = %+v, want %+v", v, got, k)
			}
		}
	})
}

func TestKeyDetectsEverySingleSubstitution(t *testing.T) {
	for _, k := range testKeys(t, 200) {
		s := []byte(strings.ReplaceAll(k.String(), "-", ""))
		for pos := range s {
			orig := s[pos]
			for i := 0; i < len(Alphabet); i++ {
				if Alphabet[i] == orig {
					continue
				}
				s[pos] = Alphabet[i]
				if _, err := Parse(string(s)); !errors.Is(err, ErrMistyped) {
					t.Fatalf("key %s with %q at position %d: err = %v, want ErrMistyped", k, Alphabet[i], pos+1, err)
				}
			}
			s[pos] = orig
		}
	}
}

func TestKeyDetectsEverySwap(t *testing.T) {
	for _, k := range testKeys(t, 200) {
		s := []byte(strings.ReplaceAll(k.String(), "-", ""))
		// Neighbours, the guarantee the format promises, and, because all
		// weights are distinct, any other pair as well.
		for i := 0; i < len(s); i++ {
			for j := i + 1; j < len(s); j++ {
				if s[i] == s[j] {
					continue
				}
				s[i], s[j] = s[j], s[i]
				if _, err := Parse(string(s)); !errors.Is(err, ErrMistyped) {
					t.Fatalf("key %s with positions %d and %d swapped: err = %v, want ErrMistyped", k, i+1, j+1, err)
				}
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

// withValidCheck returns the 25-symbol key made of the 23 data symbols and
// the check symbols that satisfy the check, found by trying all of them.
func withValidCheck(t *testing.T, data string) string {
	t.Helper()
	for i := 0; i < len(Alphabet); i++ {
		for j := 0; j < len(Alphabet); j++ {
			s := data + string(Alphabet[i]) + string(Alphabet[j])
			if _, err := Parse(s); !errors.Is(err, ErrMistyped) {
				return s
			}
		}
	}
	t.Fatalf("no check symbols found for %s", data)
	return ""
}

// parseErrorCase is a malformed input and the error a parser must give for it.
type parseErrorCase struct {
	name  string
	input string
	kind  error
	msg   string
}

// checkParseErrors runs parse (called name) on each case: it must fail with an error that
// passes the checks in also, wraps the case's kind and reads the case's message.
func checkParseErrors[T any](t *testing.T, name string, parse func(string) (T, error), tests []parseErrorCase, also ...func(t *testing.T, err error)) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parse(tt.input)
			if err == nil {
				t.Fatalf("%s(%q) = %+v, want error", name, tt.input, v)
			}
			for _, check := range also {
				check(t, err)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v does not wrap %v", err, tt.kind)
			}
			if got := err.Error(); got != tt.msg {
				t.Errorf("message\n got %q\nwant %q", got, tt.msg)
			}
		})
	}
}

func TestParseKeyErrors(t *testing.T) {
	valid := testKeys(t, 1)[0].String()
	swapped := []byte(valid)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	if swapped[0] == swapped[1] {
		t.Fatal("test key has equal first symbols")
	}
	checkParseErrors(t, "Parse", Parse, []parseErrorCase{
		{"empty", "", ErrLength, "product key: found 0 characters, want 25"},
		{"only dashes", " - - ", ErrLength, "product key: found 0 characters, want 25"},
		{"one short", valid[:len(valid)-1], ErrLength, "product key: found 24 characters, want 25"},
		{"one long", valid + "B", ErrLength, "product key: found 26 characters, want 25"},
		{"letter O", "BCDFG-HJKOM-PQRTV-WXY23-46789", ErrCharacter,
			"product key: character 'O' at position 10 is not used in product keys (the letters A, E, I, O, U, L, N, S, Z and the digits 0, 1, 5 never appear)"},
		{"digit zero lower case context", "bcdfg0", ErrCharacter,
			"product key: character '0' at position 6 is not used in product keys (the letters A, E, I, O, U, L, N, S, Z and the digits 0, 1, 5 never appear)"},
		{"position counts from trimmed input", "  BC_", ErrCharacter,
			"product key: character '_' at position 3 is not used in product keys (the letters A, E, I, O, U, L, N, S, Z and the digits 0, 1, 5 never appear)"},
		{"non-ASCII", "BCDFGé", ErrCharacter,
			"product key: character 'é' at position 6 is not used in product keys (the letters A, E, I, O, U, L, N, S, Z and the digits 0, 1, 5 never appear)"},
		{"swapped neighbours", string(swapped), ErrMistyped,
			"product key: check failed: a character is mistyped or two neighbouring characters are swapped"},
		{"unknown version", Key{Version: 2, Type: Retail}.String(), ErrVersion,
			"product key: unknown key format version 2"},
		{"version too large to encode", Key{Version: 17, Type: Retail}.String(), ErrVersion,
			"product key: unknown key format version 0"},
		{"unknown type", Key{Version: 1, Type: "bogus"}.String(), ErrType,
			"product key: unknown key type code 0"},
		{"out of range", withValidCheck(t, strings.Repeat("9", 23)), ErrMalformed,
			"product key: not a valid product key"},
	}, func(t *testing.T, err error) {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error %v is %T, want *ParseError", err, err)
		}
	})
}

func TestNew(t *testing.T) {
	k, err := New(KMSHost, 42, bytes.NewReader([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}))
	if err != nil {
		t.Fatal(err)
	}
	want := Key{Version: KeyVersion, Type: KMSHost, Group: 42, Serial: [10]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}
	if k != want {
		t.Errorf("New = %+v, want %+v", k, want)
	}
	if err := k.Valid(); err != nil {
		t.Errorf("Valid: %v", err)
	}
	if _, err := New("bogus", 1, nil); !errors.Is(err, ErrType) {
		t.Errorf("New with unknown type: err = %v, want ErrType", err)
	}
	if _, err := New(Retail, 1, iotest.ErrReader(errors.New("boom"))); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("New with failing reader: err = %v, want the reader's error", err)
	}
	a, err := New(Retail, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(Retail, 1, nil)
	if a == b {
		t.Errorf("two keys from crypto/rand are equal: %v", a)
	}
}

func TestValid(t *testing.T) {
	if err := (Key{Version: 2, Type: Retail}).Valid(); !errors.Is(err, ErrVersion) {
		t.Errorf("version 2: err = %v, want ErrVersion", err)
	}
	if err := (Key{Version: 1, Type: "x"}).Valid(); !errors.Is(err, ErrType) {
		t.Errorf("type x: err = %v, want ErrType", err)
	}
}

func TestParseType(t *testing.T) {
	tests := []struct {
		in   string
		want Type
		ok   bool
	}{
		{"retail", Retail, true},
		{"MAK", MAK, true},
		{" kms-host ", KMSHost, true},
		{"kms-client", KMSClient, true},
		{"setup", Setup, true},
		{"", "", false},
		{"kms", "", false},
		{"oem", "", false},
	}
	for _, tt := range tests {
		got, err := ParseType(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseType(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrType) {
			t.Errorf("ParseType(%q) error %v does not wrap ErrType", tt.in, err)
		}
	}
	if got := len(Types()); got != 5 {
		t.Errorf("len(Types()) = %d, want 5", got)
	}
}

func TestFingerprint(t *testing.T) {
	keys := testKeys(t, 50)
	seen := map[[8]byte]bool{}
	for _, k := range keys {
		f := k.Fingerprint()
		sum := sha256.Sum256([]byte(k.String()))
		if !bytes.Equal(f[:], sum[:8]) {
			t.Fatalf("Fingerprint(%s) = %x, want %x", k, f, sum[:8])
		}
		if seen[f] {
			t.Fatalf("duplicate fingerprint %x", f)
		}
		seen[f] = true
	}
}

func TestMasked(t *testing.T) {
	tests := []struct{ in, want string }{
		{"BCDFG-HJKMP-QRTVW-XY234-6789B", "*****-*****-*****-*****-6789B"},
		{"bcdfghjkmpqrtvwxy2346789b", "*****-*****-*****-*****-6789B"},
		{"", "*****-*****-*****-*****-*****"},
		{"BCDFG", "*****-*****-*****-*****-*****"},
		{"BCDFG-HJKMP-QRTVW-XY234-6789BC", "*****-*****-*****-*****-*****"},
		{"BCDFG-HJKMP-QRTVW-XY234-<tag>", "*****-*****-*****-*****-*****"},
	}
	for _, tt := range tests {
		if got := Masked(tt.in); got != tt.want {
			t.Errorf("Masked(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKeyWeights(t *testing.T) {
	seen := map[int]bool{}
	for i, w := range keyWeights {
		if w%keyModulus == 0 || seen[w%keyModulus] {
			t.Fatalf("weight %d at %d is zero or repeated modulo %d", w, i, keyModulus)
		}
		seen[w%keyModulus] = true
	}
	if keyModulus < len(Alphabet) || keyModulus > len(Alphabet)*len(Alphabet) {
		t.Fatalf("modulus %d cannot be both prime above the base and expressible by two check symbols", keyModulus)
	}
	for d := 2; d*d <= keyModulus; d++ {
		if keyModulus%d == 0 {
			t.Fatalf("modulus %d is not prime", keyModulus)
		}
	}
}

func TestHash(t *testing.T) {
	k, err := New(MAK, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(k.String()))
	if got, want := k.Hash(), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Hash() = %q, want the hex SHA-256 of %q: %q", got, k.String(), want)
	}
	if f := k.Fingerprint(); hex.EncodeToString(f[:]) != k.Hash()[:16] {
		t.Fatalf("Fingerprint %x is not the first 8 bytes of Hash %s", f, k.Hash())
	}
}
