package keys

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"unicode"
)

// checkParseError requires err to be one of the package's error types.
func checkParseError(t *testing.T, input string, err error) {
	t.Helper()
	var pe *ParseError
	var ge *GroupError
	if !errors.As(err, &pe) && !errors.As(err, &ge) {
		t.Fatalf("parsing %q: error %v is %T, want *ParseError or *GroupError", input, err, err)
	}
	if err.Error() == "" {
		t.Fatalf("parsing %q: empty error message", input)
	}
}

func FuzzParseKey(f *testing.F) {
	for _, k := range testKeys(f, 10) {
		s := k.String()
		f.Add(s)
		f.Add(strings.ToLower(strings.ReplaceAll(s, "-", " ")))
		f.Add(s[:20])
	}
	f.Add("")
	f.Add("BCDFG-HJKOM-PQRTV-WXY23-46789")
	f.Add(strings.Repeat("9", 25))
	f.Add("ééééé-ééééé-ééééé-ééééé-ééééé")
	f.Fuzz(func(t *testing.T, s string) {
		_ = Masked(s)
		k, err := Parse(s)
		if err != nil {
			checkParseError(t, s, err)
			return
		}
		if err := k.Valid(); err != nil {
			t.Fatalf("Parse(%q) = %+v, which is not valid: %v", s, k, err)
		}
		c := k.String()
		k2, err := Parse(c)
		if err != nil {
			t.Fatalf("Parse(%q) = %+v, but its canonical form %q does not parse: %v", s, k, c, err)
		}
		if k2 != k || k2.String() != c {
			t.Fatalf("canonical form %q of %+v parses to %+v", c, k, k2)
		}
		if norm := strings.ToUpper(strings.Map(func(r rune) rune {
			if r == '-' || unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)); norm != strings.ReplaceAll(c, "-", "") {
			t.Fatalf("Parse(%q) accepted a string that is not the key %q", s, c)
		}
	})
}

func FuzzParseInstallationID(f *testing.F) {
	for _, id := range testIIDs(5) {
		s := id.String()
		f.Add(s)
		f.Add(strings.ReplaceAll(s, "-", ""))
		f.Add(s[:40])
	}
	f.Add("")
	f.Add("1234567-1234a67")
	f.Add(groupedWithChecks(iidFormat, strings.Repeat("9", 54)))
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseInstallationID(s)
		if err != nil {
			checkParseError(t, s, err)
			return
		}
		c := id.String()
		id2, err := ParseInstallationID(c)
		if err != nil {
			t.Fatalf("ParseInstallationID(%q) = %+v, but its canonical form %q does not parse: %v", s, id, c, err)
		}
		if id2 != id || id2.String() != c {
			t.Fatalf("canonical form %q of %+v parses to %+v", c, id, id2)
		}
	})
}

func FuzzParseConfirmationID(f *testing.F) {
	_, priv := testSigner(1)
	for i, id := range testIIDs(3) {
		s := SignConfirmation(priv, 1, id, testIssued, uint32(i)).String()
		f.Add(s)
		f.Add(strings.ReplaceAll(s, "-", " "))
		f.Add(s[:100])
	}
	f.Add("")
	f.Add(groupedWithChecks(cidFormat, strings.Repeat("9", 175)))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConfirmationID(s)
		if err != nil {
			checkParseError(t, s, err)
			return
		}
		out := c.String()
		c2, err := ParseConfirmationID(out)
		if err != nil {
			t.Fatalf("ParseConfirmationID(%q) = %+v, but its canonical form %q does not parse: %v", s, c, out, err)
		}
		if c2 != c || c2.String() != out {
			t.Fatalf("canonical form %q of %+v parses to %+v", out, c, c2)
		}
	})
}

func FuzzParseStoredConfirmationID(f *testing.F) {
	_, priv := testSigner(1)
	id := testIIDs(1)[0]
	v1 := ConfirmationID{Version: 1, IssuedDay: 2000, Serial: 9}
	copy(v1.Signature[:], ed25519.Sign(priv, v1.message(id)))
	f.Add(v1.String())
	f.Add(SignConfirmation(priv, 2, id, testIssued, 1).String())
	f.Add(groupedWithChecks(cidFormatV1, strings.Repeat("9", 170)))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseStoredConfirmationID(s)
		if err != nil {
			checkParseError(t, s, err)
			return
		}
		if c2, err := ParseStoredConfirmationID(c.String()); err != nil || c2 != c {
			t.Fatalf("canonical form of %+v parses to %+v, %v", c, c2, err)
		}
	})
}
