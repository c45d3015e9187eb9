package fleet

import (
	"encoding/csv"
	"io"
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

// CSVHeader is the header row of the inventory's CSV form.
var CSVHeader = []string{"id", "tenant", "machineId", "hostname", "product", "method", "keyTail", "hostId", "state", "stateUntil", "firstSeen", "lastSeen", "stale"}

// WriteCSV writes machines as CSV (RFC 4180) with CSVHeader, times in RFC 3339 UTC.
func WriteCSV(w io.Writer, ms []licet.InventoryMachine) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, m := range ms {
		until := ""
		if m.StateUntil != nil {
			until = stamp(*m.StateUntil)
		}
		if err := cw.Write([]string{strconv.FormatInt(m.ID, 10), m.Tenant, m.MachineID, csvSafe(m.Hostname), m.Product, m.Method, m.KeyTail,
			m.HostID, m.State, until, stamp(m.FirstSeen), stamp(m.LastSeen), strconv.FormatBool(m.Stale)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a reported text from being read as a formula by spreadsheets.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
