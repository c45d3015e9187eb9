package kms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a duration written like Go's ("2h", "15m", "1h30m") with days allowed in
// front ("7d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 32 {
		return 0, fmt.Errorf("duration %q: write it like 7d, 2h or 15m", s)
	}
	var days int64
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 32)
		if err != nil || n < 0 || n > 10000 {
			return 0, fmt.Errorf("duration %q: the days must be a whole number from 0 to 10000, like 7d", s)
		}
		days, s = n, s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("duration %q: write it like 7d, 2h or 15m", s)
		}
		rest = d
	}
	total := time.Duration(days)*24*time.Hour + rest
	if total < rest {
		return 0, fmt.Errorf("duration is too long")
	}
	return total, nil
}

// FormatDuration writes d with days and without zero units, the way ParseDuration reads it:
// "7d", "2h", "1d12h", "1h30m".
func FormatDuration(d time.Duration) string {
	days := d / (24 * time.Hour)
	rest := d - days*24*time.Hour
	s := rest.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	switch {
	case days == 0:
		return s
	case rest == 0:
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%s", days, s)
}
