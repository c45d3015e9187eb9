package seats_test

import (
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/seats"
)

func TestParseE164(t *testing.T) {
	tests := []struct {
		name, in, want, says string
	}{
		{name: "plain", in: "+14255550100", want: "+14255550100"},
		{name: "separators", in: " +1 (425) 555-0100 ", want: "+14255550100"},
		{name: "dots", in: "+33.1.23.45.67.89", want: "+33123456789"},
		{name: "shortest", in: "+6834002", want: "+6834002"},
		{name: "longest", in: "+123456789012345", want: "+123456789012345"},
		{name: "no plus", in: "14255550100", says: "does not start with +"},
		{name: "national form", in: "01 23 45 67 89", says: "does not start with +"},
		{name: "double zero prefix", in: "0033123456789", says: "does not start with +"},
		{name: "letters", in: "+1425CALLNOW", says: "other than digits"},
		{name: "two plus", in: "++14255550100", says: "other than digits"},
		{name: "leading zero", in: "+0123456789", says: "never starts with 0"},
		{name: "too short", in: "+123456", says: "fewer than 7"},
		{name: "too long", in: "+1234567890123456", says: "more than 15"},
		{name: "only plus", in: "+", says: "no digits"},
		{name: "empty", in: "", says: "does not start with +"},
		{name: "doubled hyphen", in: "+1 425--555 0100", says: "doubled separator"},
		{name: "overlong input", in: "+1" + strings.Repeat(" ", 50) + "4255550100", says: "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := seats.ParseE164(tt.in)
			if tt.says != "" {
				if licet.ErrorCode(err) != licet.EInvalid || !strings.Contains(licet.ErrorMessage(err), tt.says) {
					t.Fatalf("ParseE164(%q) = %q, %v; want an invalid error saying %q", tt.in, got, err, tt.says)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseE164(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCheckNumberCountry(t *testing.T) {
	tests := []struct {
		name, number, country, says string
	}{
		{name: "US", number: "+14255550100", country: "US"},
		{name: "Canada shares +1", number: "+16135550100", country: "CA"},
		{name: "France", number: "+33123456789", country: "FR"},
		{name: "Kazakhstan shares +7", number: "+77012345678", country: "KZ"},
		{name: "a country without a known code is not checked", number: "+5012345678", country: "AQ"},
		{name: "French number for Germany", number: "+33123456789", country: "DE", says: "is a number of FR"},
		{name: "US number for France", number: "+14255550100", country: "FR", says: "FR numbers start with +33"},
		{name: "bad country", number: "+14255550100", country: "XX", says: "ISO 3166"},
		{name: "lower case country", number: "+14255550100", country: "us", says: "ISO 3166"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := seats.CheckNumberCountry(tt.number, tt.country)
			if tt.says == "" {
				if err != nil {
					t.Fatalf("CheckNumberCountry(%s, %s) = %v, want nil", tt.number, tt.country, err)
				}
				return
			}
			if licet.ErrorCode(err) != licet.EInvalid || !strings.Contains(licet.ErrorMessage(err), tt.says) {
				t.Fatalf("CheckNumberCountry(%s, %s) = %v, want an invalid error saying %q", tt.number, tt.country, err, tt.says)
			}
		})
	}
}

func FuzzParseE164(f *testing.F) {
	for _, s := range []string{"+14255550100", "+1 (425) 555-0100", "+33.1.23.45.67.89", "0033123", "+", "++1", "+0 12", "+١٢٣٤٥٦٧٨"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := seats.ParseE164(s)
		if err != nil {
			if licet.ErrorCode(err) != licet.EInvalid {
				t.Fatalf("ParseE164(%q): error code %s, want invalid", s, licet.ErrorCode(err))
			}
			return
		}
		if len(n) < 8 || len(n) > 16 || n[0] != '+' || n[1] == '0' {
			t.Fatalf("ParseE164(%q) = %q: not E.164", s, n)
		}
		for _, c := range n[1:] {
			if c < '0' || c > '9' {
				t.Fatalf("ParseE164(%q) = %q holds %q", s, n, c)
			}
		}
		if again, err := seats.ParseE164(n); err != nil || again != n {
			t.Fatalf("ParseE164(%q) = %q, %v; want it unchanged", n, again, err)
		}
		for _, cc := range []string{"US", "FR", "DE", "KZ"} {
			_ = seats.CheckNumberCountry(n, cc)
		}
	})
}
