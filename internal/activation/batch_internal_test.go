package activation

import (
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/hardware"
)

// TestDecideAll: a batch's jobs are decided in order against the key as loaded plus what the
// batch consumed: the same machine twice consumes once, a hardware change beyond tolerance
// consumes again, the limit stops the batch's last new machine, and each row is written once.
func TestDecideAll(t *testing.T) {
	hw := func(board string) string {
		m := map[string]string{}
		for _, c := range hardware.Components {
			m[c] = board
		}
		return hardware.Hash(m)
	}
	keys := map[string]*keyState{
		"k":       {id: 1, tenant: "contoso", limit: 4, used: 1},
		"blocked": {id: 2, blocked: true, limit: 9},
	}
	known := &machineState{machineRef: machineRef{1, "old"}, id: 77, productID: 5, hardware: hw("a")}
	mk := func(hash, machine, h string) *job {
		return &job{hash: hash, product: licet.Product{ID: 5}, machine: licet.Machine{ID: machine, Hardware: h, Hostname: machine + ".example"}}
	}
	jobs := []*job{
		mk("k", "new1", hw("x")), // consumes (2 of 4)
		mk("k", "new1", hw("x")), // same machine again: free
		mk("k", "old", hw("a")),  // known, within tolerance: free, row touched
		mk("k", "old", hw("b")),  // hardware changed: consumes (3 of 4)
		mk("k", "new2", ""),      // consumes (4 of 4)
		mk("k", "new3", ""),      // limit reached
		mk("unknown", "m", ""),   // unknown key
		mk("blocked", "m", ""),   // blocked key
	}
	results, w := decideAll(jobs, keys, []*machineState{known}, 1000)
	want := []struct {
		consumed bool
		code     string
	}{{true, ""}, {false, ""}, {false, ""}, {true, ""}, {true, ""}, {false, licet.CodeActivationLimitExceeded}, {false, licet.CodeInvalidProductKey}, {false, licet.CodeInvalidProductKey}}
	for i, r := range results {
		if r.consumed != want[i].consumed || licet.ErrorCode(r.err) != want[i].code {
			t.Errorf("job %d (%s): consumed %v, error %v; want consumed %v, code %q", i, jobs[i].machine.ID, r.consumed, r.err, want[i].consumed, want[i].code)
		}
	}
	if len(w.insert) != 2 || w.insert[0].machine != "new1" || w.insert[1].machine != "new2" {
		t.Errorf("inserts %+v, want new1 and new2 once each", w.insert)
	}
	if len(w.update) != 1 || w.update[0].id != 77 || w.update[0].hardware != hw("b") {
		t.Errorf("updates %+v, want row 77 once with the new hardware", w.update)
	}
	if len(w.consume) != 1 || w.consume[0].id != 1 || w.consume[0].consumed != 3 {
		t.Errorf("consumption %+v, want key 1 by 3", w.consume)
	}
}
