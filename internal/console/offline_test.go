package console

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestIDGroups(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"1234567-2345678-3456789", "1234567|2345678|3456789"},
		{" 1234567  2345678\t3456789 ", "1234567|2345678|3456789"},
		{"12345672345678345", "1234567|2345678|345"},
		{"12-34--56", "12|34|56"},
		{"", ""},
	} {
		if got := strings.Join(idGroups(tt.in), "|"); got != tt.want {
			t.Errorf("idGroups(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzIDGroups: the groups of any text are valid UTF-8, non-empty, without a separator, and are
// the text's other characters in order.
func FuzzIDGroups(f *testing.F) {
	f.Add("1234567-2345678-3456789")
	f.Add("12345672345678345")
	f.Add("é—1 2")
	sep := func(r rune) bool { return r == '-' || unicode.IsSpace(r) }
	f.Fuzz(func(t *testing.T, s string) {
		groups := idGroups(s)
		for _, g := range groups {
			if g == "" || !utf8.ValidString(g) || strings.ContainsFunc(g, sep) {
				t.Fatalf("idGroups(%q) has group %q", s, g)
			}
		}
		var kept strings.Builder
		for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
			if !sep(r) {
				kept.WriteRune(r)
			}
		}
		if strings.Join(groups, "") != kept.String() {
			t.Fatalf("idGroups(%q) = %q, lost or reordered characters", s, groups)
		}
	})
}
