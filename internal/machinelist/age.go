// Package machinelist holds the pure parts of listing the machine inventory: the filter's checks,
// the silence bounds (30d, 12h) and the CSV form. The CLI, the console and the API share them
// without linking the inventory's store.
package machinelist

import (
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet"
)

// ParseAge reads a silence bound such as "30d", "12h" or "90m": whole days with d, or any Go
// duration; at most 10 years.
func ParseAge(s string) (time.Duration, error) {
	bad := licet.Errorf(licet.EInvalid, "stale %q is not a duration: write days as 30d, or hours as 12h", s).With("field", "stale")
	if s == "" {
		return 0, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3660 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 0 || d > 3660*24*time.Hour {
			return 0, bad
		}
	}
	return d, nil
}
