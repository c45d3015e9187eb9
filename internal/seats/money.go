package seats

import (
	"fmt"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
)

// MaxAmount bounds one deposit, charge, threshold or recharge amount, in minor units
// (100,000,000.00).
const MaxAmount = 100_000_000_00

// MaxBalance bounds a credits balance, in minor units (10,000,000,000.00).
const MaxBalance = 10_000_000_000_00

// ParseAmount reads an amount of money written with at most two decimals, "12.34", "12.3" or
// "12", into minor units (1234, 1230, 1200). It refuses signs, exponents, thousands separators,
// a leading or trailing dot, more than two decimals, leading zeros and amounts over MaxAmount.
func ParseAmount(s string) (int64, error) {
	bad := func(why string) (int64, error) {
		return 0, licet.Errorf(licet.EInvalid, "amount %q is not a number of the form 12.34: %s", listfile.Clip(s), why).With("field", "amount")
	}
	for i, c := range s {
		switch {
		case c == '-' && i == 0:
			return bad("amounts are never negative")
		case c == '.' && strings.Count(s, ".") == 1:
		case c < '0' || c > '9':
			return bad(fmt.Sprintf("%q is not a digit", c))
		}
	}
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case s == "":
		return bad("it is empty")
	case whole == "":
		return bad("write a digit before the dot (0.50)")
	case dot && frac == "":
		return bad("write the decimals after the dot, or no dot")
	case len(frac) > 2:
		return bad("at most two decimals")
	case len(whole) > 1 && whole[0] == '0':
		return bad("no leading zeros")
	case len(whole) > 9:
		return bad(fmt.Sprintf("over the limit of %s", FormatAmount(MaxAmount)))
	}
	var v int64
	for _, c := range whole + frac + strings.Repeat("0", 2-len(frac)) {
		v = v*10 + int64(c-'0')
	}
	if v > MaxAmount {
		return bad(fmt.Sprintf("over the limit of %s", FormatAmount(MaxAmount)))
	}
	return v, nil
}

// FormatAmount writes minor units with two decimals: 1234 → "12.34", -50 → "-0.50".
func FormatAmount(v int64) string {
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign, u = "-", uint64(-v)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
