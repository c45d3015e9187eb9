package console

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
)

// TestJobStoreBounds: a session keeps at most maxJobsPerSession lists, the store at most
// maxJobs; a list is its session's and tenant's only, and expires jobTTL after its last use.
func TestJobStoreBounds(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	st := newJobStore(clock)
	put := func(session string) *bulkJob {
		j := &bulkJob{Session: session, Tenant: "contoso", list: &listfile.List{}}
		st.put(j)
		advance(time.Second) // a strict order of expiry
		return j
	}
	first, second, third := put("a"), put("a"), put("a")
	if _, err := st.get(first.ID, "a", "contoso"); licet.ErrorCode(err) != licet.ENotFound {
		t.Errorf("the session's third list kept its first: %v", err)
	}
	for _, j := range []*bulkJob{second, third} {
		if _, err := st.get(j.ID, "a", "contoso"); err != nil {
			t.Errorf("list %s: %v", j.ID, err)
		}
	}
	tests := []struct {
		name, id, session, tenant string
	}{
		{"another session", third.ID, "b", "contoso"},
		{"another tenant", third.ID, "a", "fabrikam"},
		{"unknown id", "nosuchjob", "a", "contoso"},
	}
	for _, tt := range tests {
		if _, err := st.get(tt.id, tt.session, tt.tenant); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("%s: %v, want NotFound", tt.name, err)
		}
	}
	var others []*bulkJob
	for i := range maxJobs + 3 {
		others = append(others, put(fmt.Sprintf("s%d", i)))
	}
	if n := len(st.jobs); n != maxJobs {
		t.Errorf("%d lists kept, want %d", n, maxJobs)
	}
	if _, err := st.get(others[len(others)-1].ID, others[len(others)-1].Session, "contoso"); err != nil {
		t.Errorf("the newest list was dropped: %v", err)
	}
	last := others[len(others)-1]
	advance(jobTTL - time.Second)
	if _, err := st.get(last.ID, last.Session, "contoso"); err != nil {
		t.Errorf("just before expiry: %v", err)
	}
	advance(jobTTL)
	if _, err := st.get(last.ID, last.Session, "contoso"); licet.ErrorCode(err) != licet.ENotFound {
		t.Errorf("after expiry: %v, want NotFound", err)
	}
}
