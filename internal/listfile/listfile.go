package listfile

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/licet/licet"
)

// Entry is one user of a list file, with the line it came from. Only UPN is set for a plain list;
// a CSV file may also give the other fields.
type Entry struct {
	Line           int
	UPN            string
	DisplayName    string
	UsageLocation  string
	Kind           licet.UserKind
	OnPremisesPSTN bool
}

// LineError is a line of a list file that was not understood.
type LineError struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// Duplicate is a line naming a user an earlier line already named.
type Duplicate struct {
	Line  int    `json:"line"`
	First int    `json:"first"`
	UPN   string `json:"userPrincipalName"`
}

// List is a parsed list file: the users it names (each once, in file order), the duplicate lines
// and the malformed lines.
type List struct {
	CSV        bool
	Entries    []Entry
	Duplicates []Duplicate
	Invalid    []LineError
}

// UPNs returns the UPNs of the entries, in order.
func (l *List) UPNs() []string {
	out := make([]string, len(l.Entries))
	for i, e := range l.Entries {
		out[i] = e.UPN
	}
	return out
}

// column names a CSV header may use for each field, compared in lower case without spaces,
// dashes and underscores.
var columns = map[string]string{
	"upn": "upn", "userprincipalname": "upn",
	"displayname": "displayName", "name": "displayName",
	"usagelocation":  "usageLocation",
	"kind":           "kind",
	"onpremisespstn": "onPremisesPSTN", "onprempstn": "onPremisesPSTN",
}

func columnKey(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer(" ", "", "_", "", "-", "").Replace(h)
}

// ParseList reads a list of users: one UPN per line, or CSV whose header has a upn or
// UserPrincipalName column (and optionally DisplayName, UsageLocation, Kind, OnPremisesPSTN).
// Blank lines and lines starting with # are skipped. It returns EInvalid for data that is not
// text (a NUL byte or invalid UTF-8) and for a CSV header without a UPN column; malformed and
// duplicate lines are returned in the List with their line numbers.
func ParseList(data []byte) (*List, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, licet.Errorf(licet.EInvalid, "the file is not text: it holds a NUL byte at offset %d (give a list of UPNs, one per line, or a CSV file)", i)
	}
	if !utf8.Valid(data) {
		return nil, licet.Errorf(licet.EInvalid, "the file is not text: it is not valid UTF-8 (give a list of UPNs, one per line, or a CSV file)")
	}
	l := &List{}
	seen := map[string]int{}
	var header map[int]string // column index → field, once the CSV header is read
	lines := strings.Split(string(data), "\n")
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if header == nil && !l.CSV {
			h, isCSV, err := parseHeader(line)
			if err != nil {
				return nil, licet.Errorf(licet.EInvalid, "line %d: %v", n, err).With("line", n)
			}
			if isCSV {
				l.CSV, header = true, h
				continue
			}
		}
		e, err := parseLine(line, header)
		if err != nil {
			l.Invalid = append(l.Invalid, LineError{Line: n, Text: Clip(line), Reason: err.Error()})
			continue
		}
		e.Line = n
		if first, dup := seen[e.UPN]; dup {
			l.Duplicates = append(l.Duplicates, Duplicate{Line: n, First: first, UPN: e.UPN})
			continue
		}
		seen[e.UPN] = n
		l.Entries = append(l.Entries, e)
	}
	return l, nil
}

// parseHeader decides whether the first line is a CSV header, and maps its columns.
func parseHeader(line string) (map[int]string, bool, error) {
	fields, err := csv.NewReader(strings.NewReader(line)).Read()
	if err != nil {
		if strings.Contains(line, ",") {
			return nil, false, fmt.Errorf("the CSV header is malformed: %v", err)
		}
		return nil, false, nil
	}
	h := map[int]string{}
	hasUPN := false
	for i, f := range fields {
		if field, ok := columns[columnKey(f)]; ok {
			h[i] = field
			hasUPN = hasUPN || field == "upn"
		}
	}
	switch {
	case hasUPN:
		return h, true, nil
	case len(fields) > 1:
		return nil, false, fmt.Errorf("the CSV header has no upn or UserPrincipalName column")
	}
	return nil, false, nil
}

// parseLine reads one line: a UPN, or a CSV record under header.
func parseLine(line string, header map[int]string) (Entry, error) {
	if header == nil {
		upn, err := NormalizeUPN(line)
		if err != nil {
			return Entry{}, fmt.Errorf("%s", licet.ErrorMessage(err))
		}
		return Entry{UPN: upn}, nil
	}
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	fields, err := r.Read()
	if err != nil {
		return Entry{}, fmt.Errorf("malformed CSV: %v", err)
	}
	var e Entry
	for i, f := range fields {
		f = strings.TrimSpace(f)
		switch header[i] {
		case "upn":
			upn, err := NormalizeUPN(f)
			if err != nil {
				return Entry{}, fmt.Errorf("%s", licet.ErrorMessage(err))
			}
			e.UPN = upn
		case "displayName":
			e.DisplayName = f
		case "usageLocation":
			e.UsageLocation = strings.ToUpper(f)
			if f != "" && !licet.ValidCountry(e.UsageLocation) {
				return Entry{}, fmt.Errorf("usage location %q is not an ISO 3166-1 alpha-2 country code", f)
			}
		case "kind":
			e.Kind = licet.UserKind(strings.ToLower(f))
			if e.Kind != "" && e.Kind != licet.UserPerson && e.Kind != licet.UserRoom {
				return Entry{}, fmt.Errorf("kind %q is neither person nor room", f)
			}
		case "onPremisesPSTN":
			b, ok := parseBool(f)
			if !ok {
				return Entry{}, fmt.Errorf("on-premises PSTN %q is not true or false", f)
			}
			e.OnPremisesPSTN = b
		}
	}
	if e.UPN == "" {
		return Entry{}, fmt.Errorf("the UPN column is empty or missing")
	}
	return e, nil
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "", "false", "no", "0", "n":
		return false, true
	case "true", "yes", "1", "y":
		return true, true
	}
	return false, false
}
