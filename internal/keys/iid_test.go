package keys

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

var iidShape = regexp.MustCompile(`^[0-9]{7}(-[0-9]{7}){8}$`)

func TestDammTable(t *testing.T) {
	for x := 0; x < 10; x++ {
		if dammTable[x][x] != 0 {
			t.Fatalf("table[%d][%d] = %d, want 0", x, x, dammTable[x][x])
		}
		var row, col [10]bool
		for y := 0; y < 10; y++ {
			row[dammTable[x][y]] = true
			col[dammTable[y][x]] = true
		}
		for v := 0; v < 10; v++ {
			if !row[v] || !col[v] {
				t.Fatalf("row or column %d is not a permutation", x)
			}
		}
	}
	// Weak total anti-symmetry: from any state c, digits x then y and y
	// then x lead to different states unless x == y.
	for c := 0; c < 10; c++ {
		for x := 0; x < 10; x++ {
			for y := 0; y < 10; y++ {
				if x != y && dammTable[dammTable[c][x]][y] == dammTable[dammTable[c][y]][x] {
					t.Fatalf("state %d: %d,%d and %d,%d collide", c, x, y, y, x)
				}
			}
		}
	}
}

func drawIID(t *rapid.T) InstallationID {
	id := InstallationID{Version: InstallationIDVersion, ProductID: rapid.Uint32().Draw(t, "product")}
	copy(id.KeyFingerprint[:], rapid.SliceOfN(rapid.Byte(), 8, 8).Draw(t, "key"))
	copy(id.MachineFingerprint[:], rapid.SliceOfN(rapid.Byte(), 8, 8).Draw(t, "machine"))
	return id
}

func testIIDs(n int) []InstallationID {
	rnd := rand.NewChaCha8([32]byte{4, 5, 6})
	ids := make([]InstallationID, max(n, 2))
	for i := range ids {
		ids[i].Version = InstallationIDVersion
		_, _ = rnd.Read(ids[i].KeyFingerprint[:])
		_, _ = rnd.Read(ids[i].MachineFingerprint[:])
		ids[i].ProductID = uint32(rnd.Uint64())
	}
	// Extremes of the value range.
	ids[0] = InstallationID{Version: InstallationIDVersion}
	ids[1] = InstallationID{Version: InstallationIDVersion, ProductID: ^uint32(0),
		KeyFingerprint:     [8]byte{255, 255, 255, 255, 255, 255, 255, 255},
		MachineFingerprint: [8]byte{255, 255, 255, 255, 255, 255, 255, 255}}
	return ids[:n]
}

func TestInstallationIDRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		id := drawIID(t)
		s := id.String()
		if !iidShape.MatchString(s) {
			t.Fatalf("String() = %q, not 9 groups of 7 digits", s)
		}
		for _, v := range []string{s, strings.ReplaceAll(s, "-", " "), strings.ReplaceAll(s, "-", ""), " " + s + "\t"} {
			got, err := ParseInstallationID(v)
			if err != nil {
				t.Fatalf("ParseInstallationID(%q): %v", v, err)
			}
			if got != id {
				t.Fatalf("ParseInstallationID(%q) = %+v, want %+v", v, got, id)
			}
		}
	})
}

func TestNewInstallationID(t *testing.T) {
	k := testKeys(t, 1)[0]
	id := NewInstallationID(k, 7, [8]byte{9})
	want := InstallationID{Version: InstallationIDVersion, KeyFingerprint: k.Fingerprint(), ProductID: 7, MachineFingerprint: [8]byte{9}}
	if id != want {
		t.Errorf("NewInstallationID = %+v, want %+v", id, want)
	}
	if got := len(id.Bytes()); got != 21 {
		t.Errorf("len(Bytes()) = %d, want 21", got)
	}
}

// checkGroupErrors changes every digit of s to every other digit and swaps
// every pair of unequal neighbouring digits inside a group, and requires
// parse to report the changed group.
func checkGroupErrors(t *testing.T, s string, groupSize int, parse func(string) error) {
	t.Helper()
	b := []byte(s)
	group := func(i int) int { return i/(groupSize+1) + 1 }
	expect := func(what string, want int) {
		t.Helper()
		err := parse(string(b))
		var ge *GroupError
		if !errors.As(err, &ge) {
			t.Fatalf("%s in %s: err = %v, want *GroupError", what, s, err)
		}
		if ge.Group != want {
			t.Fatalf("%s in %s: reported group %d, want %d", what, s, ge.Group, want)
		}
		if !errors.Is(err, ErrMistyped) {
			t.Fatalf("%s: error does not wrap ErrMistyped", what)
		}
	}
	for i := range b {
		if b[i] == '-' {
			continue
		}
		orig := b[i]
		for d := byte('0'); d <= '9'; d++ {
			if d == orig {
				continue
			}
			b[i] = d
			expect(fmt.Sprintf("digit %c at index %d", d, i), group(i))
		}
		b[i] = orig
		if i+1 < len(b) && b[i+1] != '-' && b[i] != b[i+1] {
			b[i], b[i+1] = b[i+1], b[i]
			expect(fmt.Sprintf("swap at index %d", i), group(i))
			b[i], b[i+1] = b[i+1], b[i]
		}
	}
}

func TestInstallationIDDetectsMistypedGroups(t *testing.T) {
	for _, id := range testIIDs(60) {
		checkGroupErrors(t, id.String(), 7, func(s string) error {
			_, err := ParseInstallationID(s)
			return err
		})
	}
}

func TestInstallationIDDetectsSwappedGroups(t *testing.T) {
	for _, id := range testIIDs(60) {
		eachGroupSwap(id.String(), func(i, j int, swapped string) {
			_, err := ParseInstallationID(swapped)
			var ge *GroupError
			if !errors.As(err, &ge) || ge.Group != i+1 {
				t.Fatalf("groups %d and %d swapped: err = %v, want group %d reported", i+1, j+1, err, i+1)
			}
		})
	}
}

// eachGroupSwap calls fn with s after swapping each pair of unequal dash-separated groups i < j
// (counted from 0).
func eachGroupSwap(s string, fn func(i, j int, swapped string)) {
	groups := strings.Split(s, "-")
	for i := range groups {
		for j := i + 1; j < len(groups); j++ {
			if groups[i] == groups[j] {
				continue
			}
			g := append([]string(nil), groups...)
			g[i], g[j] = g[j], g[i]
			fn(i, j, strings.Join(g, "-"))
		}
	}
}

// groupedWithChecks formats data digits into groups with valid check
// digits, so tests can build IDs with chosen content.
func groupedWithChecks(g groupedDecimal, data string) string {
	per := g.groupSize - 1
	var parts []string
	for i := 0; i < g.groups; i++ {
		chunk := data[i*per : (i+1)*per]
		digits := make([]int, per)
		for j := range chunk {
			digits[j] = int(chunk[j] - '0')
		}
		parts = append(parts, chunk+string(rune('0'+groupCheck(i+1, digits))))
	}
	return strings.Join(parts, "-")
}

func TestParseInstallationIDErrors(t *testing.T) {
	valid := testIIDs(3)[2].String()
	groups := strings.Split(valid, "-")
	// A valid ID's data with the first group's data changed in two places
	// that the group check digit does not notice: the whole-ID checksum
	// must.
	data := strings.Builder{}
	for _, g := range groups {
		data.WriteString(g[:6])
	}
	d := []byte(data.String())
	var checksumBroken string
	for x := byte('0'); x <= '9' && checksumBroken == ""; x++ {
		if x == d[0] {
			continue
		}
		d2 := append([]byte(nil), d...)
		d2[0] = x
		s := groupedWithChecks(iidFormat, string(d2))
		if _, err := ParseInstallationID(s); err != nil && !errors.Is(err, ErrMalformed) {
			checksumBroken = s
		}
	}
	if checksumBroken == "" {
		t.Fatal("could not build an ID with a broken checksum")
	}

	checkParseErrors(t, "ParseInstallationID", ParseInstallationID, []parseErrorCase{
		{"empty", "", ErrLength, "installation ID: found 0 digits, want 63 (9 groups of 7)"},
		{"eight groups", strings.Join(groups[:8], "-"), ErrLength, "installation ID: found 8 groups, want 9"},
		{"ten groups", valid + "-" + groups[0], ErrLength, "installation ID: found 10 groups, want 9"},
		{"short group", strings.Join(append(groups[:3:3], append([]string{groups[3][:6]}, groups[4:]...)...), " "), ErrLength,
			"installation ID: group 4 has 6 digits, want 7"},
		{"digits without groups", strings.ReplaceAll(valid, "-", "")[:62], ErrLength, "installation ID: found 62 digits, want 63 (9 groups of 7)"},
		{"letter", "1234567-123a567", ErrCharacter, "installation ID: character 'a' at position 12 is not a digit"},
		{"fourth group mistyped", strings.Join(append(groups[:3:3], append([]string{bump(groups[3], 2)}, groups[4:]...)...), "-"), ErrMistyped,
			"group 4 of the installation ID is mistyped (check digit does not match)"},
		{"checksum", checksumBroken, ErrMistyped,
			"installation ID: checksum does not match: digits were mistyped in more than one place or groups were swapped"},
		{"unknown version", InstallationID{Version: 2}.String(), ErrVersion, "installation ID: unknown installation ID format version 2"},
		{"out of range", groupedWithChecks(iidFormat, strings.Repeat("9", 54)), ErrMalformed, "installation ID: not a valid installation ID"},
	})
}

// bump changes the digit at index i of s.
func bump(s string, i int) string {
	b := []byte(s)
	b[i] = '0' + (b[i]-'0'+1)%10
	return string(b)
}
