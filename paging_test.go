package licet_test

import (
	"testing"

	"github.com/licet/licet"
)

// TestPageLimit: no limit is the default, 1 to max is taken as asked, anything else is refused
// naming the bounds.
func TestPageLimit(t *testing.T) {
	for _, c := range []struct {
		n, want int
		code    string
	}{{0, 100, ""}, {1, 1, ""}, {1000, 1000, ""}, {-1, 0, licet.EInvalid}, {1001, 0, licet.EInvalid}} {
		got, err := licet.PageLimit(c.n, 100, 1000)
		if got != c.want || licet.ErrorCode(err) != c.code {
			t.Errorf("PageLimit(%d, 100, 1000) = %d, %v; want %d, code %q", c.n, got, err, c.want, c.code)
		}
	}
}
