package machinelist

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet"
)

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
