package keys

import (
	"crypto/ed25519"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var cidShape = regexp.MustCompile(`^[0-9]{6}(-[0-9]{6}){34}$`)

func testSigner(seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	priv := ed25519.NewKeyFromSeed(s)
	return priv.Public().(ed25519.PublicKey), priv
}

var testIssued = time.Date(2026, time.March, 5, 15, 4, 5, 0, time.UTC)

func TestConfirmationIDRoundTrip(t *testing.T) {
	pub, priv := testSigner(1)
	rapid.Check(t, func(t *rapid.T) {
		iid := drawIID(t)
		day := rapid.IntRange(0, 65535).Draw(t, "day")
		serial := rapid.Uint32().Draw(t, "serial")
		c := SignConfirmation(priv, 1, iid, confirmationEpoch.AddDate(0, 0, day).Add(23*time.Hour), serial)
		if int(c.IssuedDay) != day || c.Serial != serial || c.Version != ConfirmationIDVersion {
			t.Fatalf("SignConfirmation = %+v, want day %d serial %d", c, day, serial)
		}
		s := c.String()
		if !cidShape.MatchString(s) {
			t.Fatalf("String() = %q, not 35 groups of 6 digits", s)
		}
		for _, v := range []string{s, strings.ReplaceAll(s, "-", " "), strings.ReplaceAll(s, "-", "")} {
			got, err := ParseConfirmationID(v)
			if err != nil {
				t.Fatalf("ParseConfirmationID(%q): %v", v, err)
			}
			if got != c {
				t.Fatalf("ParseConfirmationID = %+v, want %+v", got, c)
			}
		}
		if err := c.Verify(pub, iid); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})
}

func TestConfirmationIDIsBoundToInstallationID(t *testing.T) {
	pub, priv := testSigner(1)
	otherPub, _ := testSigner(2)
	iid := testIIDs(3)[2]
	c := SignConfirmation(priv, 1, iid, testIssued, 4711)
	if err := c.Verify(pub, iid); err != nil {
		t.Fatalf("Verify for its own IID: %v", err)
	}
	others := map[string]InstallationID{}
	o := iid
	o.ProductID++
	others["product"] = o
	o = iid
	o.KeyFingerprint[7] ^= 1
	others["key"] = o
	o = iid
	o.MachineFingerprint[0] ^= 0x80
	others["machine"] = o
	o = iid
	o.Version = 2
	others["version"] = o
	others["another"] = testIIDs(4)[3]
	for name, other := range others {
		if err := c.Verify(pub, other); !errors.Is(err, ErrForeignConfirmation) {
			t.Errorf("Verify for IID with other %s: err = %v, want ErrForeignConfirmation", name, err)
		}
	}
	if err := c.Verify(otherPub, iid); !errors.Is(err, ErrForeignConfirmation) {
		t.Errorf("Verify with another operator's key: err = %v, want ErrForeignConfirmation", err)
	}
	if err := c.Verify(pub[:31], iid); !errors.Is(err, ErrPublicKey) {
		t.Errorf("Verify with short public key: err = %v, want ErrPublicKey", err)
	}
	for _, change := range []func(*ConfirmationID){
		func(c *ConfirmationID) { c.Serial++ },
		func(c *ConfirmationID) { c.IssuedDay++ },
		func(c *ConfirmationID) { c.Signature[10] ^= 4 },
	} {
		altered := c
		change(&altered)
		if err := altered.Verify(pub, iid); !errors.Is(err, ErrForeignConfirmation) {
			t.Errorf("Verify of altered %+v: err = %v, want ErrForeignConfirmation", altered, err)
		}
	}
	altered := c
	altered.Version = 3
	if err := altered.Verify(pub, iid); !errors.Is(err, ErrVersion) {
		t.Errorf("Verify of version 3: err = %v, want ErrVersion", err)
	}
}

func TestConfirmationIDDetectsMistypedGroups(t *testing.T) {
	pub, priv := testSigner(1)
	for i, iid := range testIIDs(20) {
		c := SignConfirmation(priv, 1, iid, testIssued, uint32(i))
		checkGroupErrors(t, c.String(), 6, func(s string) error {
			got, err := ParseConfirmationID(s)
			if err == nil && got.Verify(pub, iid) == nil {
				t.Fatalf("altered %s parses and verifies", s)
			}
			return err
		})
	}
}

func TestConfirmationIDSwappedGroupsFail(t *testing.T) {
	pub, priv := testSigner(1)
	iid := testIIDs(1)[0]
	c := SignConfirmation(priv, 1, iid, testIssued, 99)
	eachGroupSwap(c.String(), func(i, j int, swapped string) {
		got, err := ParseConfirmationID(swapped)
		if err == nil {
			if (j-i)%10 != 0 {
				t.Fatalf("groups %d and %d swapped: parsed, want group check failure", i+1, j+1)
			}
			err = got.Verify(pub, iid)
		}
		if err == nil {
			t.Fatalf("groups %d and %d swapped: parses and verifies", i+1, j+1)
		}
	})
}

func TestConfirmationIDIssued(t *testing.T) {
	_, priv := testSigner(1)
	iid := testIIDs(1)[0]
	tests := []struct {
		issued time.Time
		want   time.Time
	}{
		{testIssued, time.Date(2026, time.March, 5, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, time.March, 5, 23, 30, 0, 0, time.FixedZone("UTC-2", -2*3600)), time.Date(2026, time.March, 6, 0, 0, 0, 0, time.UTC)},
		{time.Date(2019, time.December, 31, 0, 0, 0, 0, time.UTC), confirmationEpoch},
		{time.Date(2300, time.January, 1, 0, 0, 0, 0, time.UTC), confirmationEpoch.AddDate(0, 0, 65535)},
	}
	for _, tt := range tests {
		c := SignConfirmation(priv, 1, iid, tt.issued, 1)
		if got := c.Issued(); !got.Equal(tt.want) {
			t.Errorf("issued %v: Issued() = %v, want %v", tt.issued, got, tt.want)
		}
	}
}

func TestParseConfirmationIDErrors(t *testing.T) {
	_, priv := testSigner(1)
	valid := SignConfirmation(priv, 1, testIIDs(1)[0], testIssued, 7).String()
	groups := strings.Split(valid, "-")
	checkParseErrors(t, "ParseConfirmationID", ParseConfirmationID, []parseErrorCase{
		{"empty", "  ", ErrLength, "confirmation ID: found 0 digits, want 210 (35 groups of 6)"},
		{"33 groups", strings.Join(groups[2:], "-"), ErrLength, "confirmation ID: found 33 groups, want 35"},
		{"34 groups", strings.Join(groups[1:], "-"), ErrLength, "confirmation ID: found 34 groups, want 35: is a group missing? (34 groups is the format from before key rotation, no longer issued: ask for a new confirmation ID)"},
		{"last group missing", strings.Join(groups[:34], "-"), ErrLength, "confirmation ID: found 34 groups, want 35: is a group missing? (34 groups is the format from before key rotation, no longer issued: ask for a new confirmation ID)"},
		{"installation ID instead", testIIDs(1)[0].String(), ErrLength, "confirmation ID: found 9 groups, want 35"},
		{"long group", strings.Replace(valid, "-", "0-", 1), ErrLength, "confirmation ID: group 1 has 7 digits, want 6"},
		{"letter", "123456 12345x", ErrCharacter, "confirmation ID: character 'x' at position 13 is not a digit"},
		{"group 35 mistyped", strings.Join(append(groups[:34:34], bump(groups[34], 0)), "-"), ErrMistyped,
			"group 35 of the confirmation ID is mistyped (check digit does not match)"},
		{"unknown version", ConfirmationID{Version: 9}.String(), ErrVersion, "confirmation ID: unknown confirmation ID format version 9"},
		{"out of range", groupedWithChecks(cidFormat, strings.Repeat("9", 175)), ErrMalformed, "confirmation ID: not a valid confirmation ID"},
	})
}

// TestConfirmationIDVersion1 reads and verifies an ID of the format before key ids (34 groups,
// signed by key 1), and keeps its mistyped-group detection.
func TestConfirmationIDVersion1(t *testing.T) {
	pub, priv := testSigner(1)
	iid := testIIDs(1)[0]
	c := ConfirmationID{Version: 1, IssuedDay: issuedDay(testIssued), Serial: 42}
	copy(c.Signature[:], ed25519.Sign(priv, c.message(iid)))
	s := c.String()
	if n := len(strings.Split(s, "-")); n != 34 {
		t.Fatalf("version 1 has %d groups, want 34", n)
	}
	got, err := ParseStoredConfirmationID(s)
	if err != nil || got != c {
		t.Fatalf("ParseStoredConfirmationID = %+v, %v; want %+v", got, err, c)
	}
	if err := got.Verify(pub, iid); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if _, err := ParseConfirmationID(s); !errors.Is(err, ErrLength) {
		t.Fatalf("a version 1 ID typed in: %v, want a length error", err)
	}
	groups := strings.Split(s, "-")
	groups[33] = bump(groups[33], 0)
	var ge *GroupError
	if _, err := ParseStoredConfirmationID(strings.Join(groups, "-")); !errors.As(err, &ge) || ge.Group != 34 {
		t.Fatalf("a mistyped version 1 ID: %v", err)
	}
	v2 := SignConfirmation(priv, 3, iid, testIssued, 42)
	if got, err := ParseStoredConfirmationID(v2.String()); err != nil || got != v2 {
		t.Fatalf("a version 2 ID as stored: %+v, %v", got, err)
	}
	// The key id is signed: changing it breaks the signature.
	v2.SigningKey = 4
	if err := v2.Verify(pub, iid); err == nil {
		t.Fatal("an altered key id verified")
	}
}
