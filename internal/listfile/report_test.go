package listfile_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
)

// TestReport: batches add up (seat deltas summed, the latest consumed kept), lines follow the
// entries, and the CSV and JSON carry every user and every duplicate.
func TestReport(t *testing.T) {
	list, err := listfile.ParseList([]byte("a@x.com\nb@x.com\na@x.com\nc@x.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep := listfile.NewReport(list, false)
	rep.Add(list.Entries[:2], &licet.BatchResult{
		Results: []licet.AssignResult{{UPN: "a@x.com", Outcome: licet.OutcomeAssigned, Added: []string{"E3", "MCOEV"}}, {UPN: "b@x.com", Outcome: licet.OutcomeAlreadyAssigned}},
		Seats:   []licet.SeatChange{{SKU: "E3", Delta: 1, Consumed: 5, Enabled: 6}},
	})
	rep.Add(list.Entries[2:], &licet.BatchResult{
		Results: []licet.AssignResult{{UPN: "c@x.com", Outcome: licet.OutcomeFailed, Error: licet.Errorf(licet.CodeCountViolation, "no units, left").With("skuPartNumber", "E3").With("rule", "r1")}},
		Seats:   []licet.SeatChange{{SKU: "E3", Delta: 0, Consumed: 6, Enabled: 6}, {SKU: "MCOEV", Delta: 1, Consumed: 1, Enabled: 2}},
	})
	if got := rep.Seats; len(got) != 2 || got[0] != (licet.SeatChange{SKU: "E3", Delta: 1, Consumed: 6, Enabled: 6}) || got[1].SKU != "MCOEV" {
		t.Errorf("seats %+v, want E3 +1 consumed 6, then MCOEV", got)
	}
	if n := rep.Count(); n[licet.OutcomeAssigned] != 1 || n[licet.OutcomeFailed] != 1 || n[licet.OutcomeAlreadyAssigned] != 1 {
		t.Errorf("count %v", n)
	}
	var b bytes.Buffer
	if err := rep.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := "line,upn,outcome,added,updated,removed,error_code,error_rule,error_sku,error_message\n" +
		"1,a@x.com,assigned,E3 MCOEV,,,,,,\n" +
		"2,b@x.com,already_assigned,,,,,,,\n" +
		"4,c@x.com,failed,,,,CountViolation,r1,E3,\"no units, left\"\n" +
		"3,a@x.com,duplicate,,,,,,,duplicate of line 1; skipped\n"
	if b.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		DryRun  bool `json:"dryRun"`
		Results []struct {
			Line    int    `json:"line"`
			UPN     string `json:"upn"`
			Outcome string `json:"outcome"`
			Error   *struct {
				Code string `json:"code"`
			} `json:"error"`
		} `json:"results"`
		Seats      []licet.SeatChange   `json:"seats"`
		Duplicates []listfile.Duplicate `json:"duplicates"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, b.String())
	}
	if len(doc.Results) != 3 || doc.Results[2].Line != 4 || doc.Results[2].Error == nil || doc.Results[2].Error.Code != "CountViolation" ||
		len(doc.Duplicates) != 1 || doc.Duplicates[0].First != 1 || len(doc.Seats) != 2 {
		t.Errorf("JSON report:\n%s", b.String())
	}
	if !strings.Contains(b.String(), `"dryRun": false`) {
		t.Errorf("JSON report lacks dryRun:\n%s", b.String())
	}
}
