package machinelist_test

import (
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/machinelist"
)

func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"30d", "12h", "90m", "", "-1d", "99999999d", "1.5h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := machinelist.ParseAge(s)
		if err != nil && licet.ErrorCode(err) != licet.EInvalid {
			t.Fatalf("ParseAge(%q): %v", s, err)
		}
		if err == nil && (d < 0 || d > 3660*24*time.Hour) {
			t.Fatalf("ParseAge(%q) = %s: out of range", s, d)
		}
	})
}
