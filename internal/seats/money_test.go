package seats_test

import (
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/seats"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		says string
	}{
		{in: "12.34", want: 1234},
		{in: "12.3", want: 1230},
		{in: "12", want: 1200},
		{in: "0.01", want: 1},
		{in: "0", want: 0},
		{in: "100000000.00", want: seats.MaxAmount},
		{in: "", says: "empty"},
		{in: "-5", says: "never negative"},
		{in: "+5", says: "not a digit"},
		{in: "12.345", says: "two decimals"},
		{in: "1e3", says: "not a digit"},
		{in: "1,000.00", says: "not a digit"},
		{in: ".5", says: "digit before the dot"},
		{in: "5.", says: "decimals after the dot"},
		{in: "007", says: "leading zeros"},
		{in: " 5", says: "not a digit"},
		{in: "5 USD", says: "not a digit"},
		{in: "100000000.01", says: "over the limit"},
		{in: "99999999999999999999", says: "over the limit"},
		{in: "1.2.3", says: "not a digit"},
		{in: "NaN", says: "not a digit"},
		{in: "１２", says: "not a digit"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := seats.ParseAmount(tt.in)
			if tt.says != "" {
				if licet.ErrorCode(err) != licet.EInvalid || !strings.Contains(licet.ErrorMessage(err), tt.says) {
					t.Fatalf("ParseAmount(%q) = %d, %v; want an invalid error saying %q", tt.in, got, err, tt.says)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormatAmount(t *testing.T) {
	for v, want := range map[int64]string{0: "0.00", 5: "0.05", 1234: "12.34", -50: "-0.50", seats.MaxAmount: "100000000.00"} {
		if got := seats.FormatAmount(v); got != want {
			t.Errorf("FormatAmount(%d) = %q, want %q", v, got, want)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"12.34", "0", "0.5", "-1", "1e3", ".5", "5.", "007", "100000000.00", "9999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := seats.ParseAmount(s)
		if err != nil {
			if licet.ErrorCode(err) != licet.EInvalid {
				t.Fatalf("ParseAmount(%q): code %s, want invalid", s, licet.ErrorCode(err))
			}
			return
		}
		if v < 0 || v > seats.MaxAmount {
			t.Fatalf("ParseAmount(%q) = %d: out of range", s, v)
		}
		// The canonical form reads back to the same value.
		if again, err := seats.ParseAmount(seats.FormatAmount(v)); err != nil || again != v {
			t.Fatalf("ParseAmount(FormatAmount(%d)) = %d, %v", v, again, err)
		}
	})
}
