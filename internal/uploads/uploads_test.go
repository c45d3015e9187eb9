package uploads

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// TestJobStoreBounds: a session keeps at most maxJobsPerSession lists, the store at most
// maxJobs; a list is its session's and tenant's only, and expires jobTTL after its last use.
// On both databases.
func TestJobStoreBounds(t *testing.T) {
	storetest.Each(t, testJobStoreBounds)
}

func testJobStoreBounds(t *testing.T, db *store.DB) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	st := New(db, clock)
	ctx := context.Background()
	put := func(session string) *listfile.Job {
		j := &listfile.Job{Session: session, Tenant: "contoso", List: &listfile.List{}, Dry: &listfile.Report{}}
		if err := st.Put(ctx, j, []byte("adele.vance@contoso.com\n")); err != nil {
			t.Fatal(err)
		}
		advance(time.Second) // a strict order of expiry
		return j
	}
	first, second, third := put("a"), put("a"), put("a")
	if _, err := st.Get(ctx, first.ID, "a", "contoso"); licet.ErrorCode(err) != licet.ENotFound {
		t.Errorf("the session's third list kept its first: %v", err)
	}
	for _, j := range []*listfile.Job{second, third} {
		if _, err := st.Get(ctx, j.ID, "a", "contoso"); err != nil {
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
		if _, err := st.Get(ctx, tt.id, tt.session, tt.tenant); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("%s: %v, want NotFound", tt.name, err)
		}
	}
	var others []*listfile.Job
	for i := range maxJobs + 3 {
		others = append(others, put(fmt.Sprintf("s%d", i)))
	}
	var n int
	if err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM console_uploads`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	if n != maxJobs {
		t.Errorf("%d lists kept, want %d", n, maxJobs)
	}
	if _, err := st.Get(ctx, others[len(others)-1].ID, others[len(others)-1].Session, "contoso"); err != nil {
		t.Errorf("the newest list was dropped: %v", err)
	}
	last := others[len(others)-1]
	advance(jobTTL - time.Second)
	if _, err := st.Get(ctx, last.ID, last.Session, "contoso"); err != nil {
		t.Errorf("just before expiry: %v", err)
	}
	advance(jobTTL)
	if _, err := st.Get(ctx, last.ID, last.Session, "contoso"); licet.ErrorCode(err) != licet.ENotFound {
		t.Errorf("after expiry: %v, want NotFound", err)
	}
}

// TestJobStoreStepLease: one request at a time holds the apply of a list's chunk; a second claim
// of the same position fails until the first finishes (which moves the position) or its lease
// lapses (a replica that died mid-chunk). On both databases.
func TestJobStoreStepLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		st := New(db, func() time.Time { return now })
		ctx := context.Background()
		content := []byte("a@contoso.com\nb@contoso.com\n")
		list, err := listfile.ParseList(content)
		if err != nil {
			t.Fatal(err)
		}
		j := &listfile.Job{Session: "s", Tenant: "contoso", List: list, Dry: listfile.NewReport(list, true)}
		if err := st.Put(ctx, j, content); err != nil {
			t.Fatal(err)
		}
		claim := func(from int) bool {
			t.Helper()
			ok, err := st.Claim(ctx, j.ID, from)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if claim(0) {
			t.Fatal("claimed a chunk before the apply started")
		}
		if err := st.StartApply(ctx, j); err != nil {
			t.Fatal(err)
		}
		if !claim(0) || claim(0) {
			t.Fatal("want the first claim of position 0 to win and the second to lose")
		}
		now = now.Add(stepLease)
		if !claim(0) {
			t.Fatal("a lapsed lease was not taken over")
		}
		got, err := st.Get(ctx, j.ID, "s", "contoso")
		if err != nil || !got.Busy || got.Applied == nil {
			t.Fatalf("while a chunk is applied: %+v, %v", got, err)
		}
		got.Next = 2
		if err := st.FinishStep(ctx, got); err != nil {
			t.Fatal(err)
		}
		if claim(0) {
			t.Error("position 0 claimed again after the chunk was recorded")
		}
		if got, _ = st.Get(ctx, j.ID, "s", "contoso"); got.Busy || got.Next != 2 {
			t.Errorf("after the step: busy %v, next %d; want free at 2", got.Busy, got.Next)
		}
	})
}
