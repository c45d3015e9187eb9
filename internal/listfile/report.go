package listfile

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/licet/licet"
)

// ReportRow is one user of a per-user assignment report: the user's outcome and the line of the
// list file that named it.
type ReportRow struct {
	Line int `json:"line,omitempty"`
	licet.AssignResult
}

// Report is the per-user report of a bulk assignment, as `licet assign --report` and the
// console write it: every user's outcome in file order, the seat change per SKU, and the
// duplicate lines that were skipped.
type Report struct {
	DryRun     bool               `json:"dryRun"`
	Results    []ReportRow        `json:"results"`
	Seats      []licet.SeatChange `json:"seats"`
	Duplicates []Duplicate        `json:"duplicates"`
}

// NewReport starts the report of a list.
func NewReport(l *List, dryRun bool) *Report {
	dups := l.Duplicates
	if dups == nil {
		dups = []Duplicate{}
	}
	return &Report{DryRun: dryRun, Results: make([]ReportRow, 0, len(l.Entries)), Seats: []licet.SeatChange{}, Duplicates: dups}
}

// Add records the answer to a batch of the entries (in the same order): each user's outcome
// with its line, and the seat changes, summed per SKU over the batches (consumed and enabled are
// the latest batch's).
func (r *Report) Add(entries []Entry, res *licet.BatchResult) {
	for i, u := range res.Results {
		line := 0
		if i < len(entries) {
			line = entries[i].Line
		}
		r.Results = append(r.Results, ReportRow{Line: line, AssignResult: u})
	}
	for _, sc := range res.Seats {
		found := false
		for i := range r.Seats {
			if r.Seats[i].SKU == sc.SKU {
				delta := r.Seats[i].Delta + sc.Delta
				r.Seats[i] = sc
				r.Seats[i].Delta = delta
				found = true
				break
			}
		}
		if !found {
			r.Seats = append(r.Seats, sc)
		}
	}
}

// Count returns the number of users per outcome.
func (r *Report) Count() map[licet.Outcome]int {
	n := map[licet.Outcome]int{}
	for _, row := range r.Results {
		n[row.Outcome]++
	}
	return n
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteCSV writes the report as CSV: a header, one row per user in file order
// (line,upn,outcome,added,updated,removed,error_code,error_rule,error_sku,error_message; SKU
// lists space-separated), then one row per skipped duplicate line with outcome "duplicate".
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"line", "upn", "outcome", "added", "updated", "removed", "error_code", "error_rule", "error_sku", "error_message"})
	for _, row := range r.Results {
		var code, rule, sku, msg string
		if row.Error != nil {
			code, msg = row.Error.Code, row.Error.Message
			rule, _ = row.Error.Details["rule"].(string)
			sku, _ = row.Error.Details["skuPartNumber"].(string)
		}
		_ = cw.Write([]string{strconv.Itoa(row.Line), row.UPN, string(row.Outcome), strings.Join(row.Added, " "), strings.Join(row.Updated, " "), strings.Join(row.Removed, " "), code, rule, sku, msg})
	}
	for _, d := range r.Duplicates {
		_ = cw.Write([]string{strconv.Itoa(d.Line), d.UPN, "duplicate", "", "", "", "", "", "", fmt.Sprintf("duplicate of line %d; skipped", d.First)})
	}
	cw.Flush()
	return cw.Error()
}

// Job is a list uploaded for a bulk assignment, as the console keeps it between the dry run and
// the apply (package uploads stores it): the change chosen, the dry run's report and, once the
// apply has started, the apply's report so far.
type Job struct {
	ID, Session, Tenant string
	FileName            string
	List                *List
	Change              licet.LicenseChange
	Dry                 *Report
	Applied             *Report // nil until the apply starts
	Next                int     // entries applied so far
	Stopped             string  // why the apply stopped before the end, if it did
	Busy                bool    // a replica is applying a chunk now
	Base                int64   // bytes of the upload and the dry run, for the store's bound
}
