package uploaddb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/internal/uploads"
	"github.com/licet/licet/internal/uploads/uploaddb"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestBounds: a session keeps at most MaxPerSession uploads, the store at most MaxUploads; an
// upload is its session's and tenant's only, and expires TTL after its last use. On both
// databases.
func TestBounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := &clock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
		st := &uploaddb.Store{DB: db, Now: clk.Now}
		ctx := context.Background()
		put := func(session string) *uploads.Upload {
			u := &uploads.Upload{Session: session, Tenant: "contoso", FileName: "u.txt", Content: []byte("adele.vance@contoso.com\n"), Change: []byte("{}"), DryRun: []byte("{}")}
			must(t, st.Put(ctx, u))
			clk.Add(time.Second) // a strict order of expiry
			return u
		}
		get := func(u *uploads.Upload, session, tenant string) bool {
			t.Helper()
			got, err := st.Get(ctx, u.ID, session, tenant)
			must(t, err)
			return got != nil
		}
		first, second, third := put("a"), put("a"), put("a")
		if get(first, "a", "contoso") {
			t.Errorf("the session's third upload kept its first")
		}
		if !get(second, "a", "contoso") || !get(third, "a", "contoso") {
			t.Errorf("the session's two newest uploads are not both kept")
		}
		if get(third, "b", "contoso") || get(third, "a", "fabrikam") || get(&uploads.Upload{ID: "nosuch"}, "a", "contoso") {
			t.Errorf("another session, another tenant or an unknown id got an upload")
		}
		var others []*uploads.Upload
		for i := range uploads.MaxUploads + 3 {
			others = append(others, put(fmt.Sprintf("s%d", i)))
		}
		var n int
		must(t, db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT COUNT(*) FROM console_uploads`).Scan(&n)
		}))
		if n != uploads.MaxUploads {
			t.Errorf("%d uploads kept, want %d", n, uploads.MaxUploads)
		}
		last := others[len(others)-1]
		if !get(last, last.Session, "contoso") {
			t.Errorf("the newest upload was dropped")
		}
		clk.Add(uploads.TTL - time.Second)
		if !get(last, last.Session, "contoso") {
			t.Errorf("just before expiry: gone")
		}
		clk.Add(uploads.TTL)
		if get(last, last.Session, "contoso") {
			t.Errorf("after expiry: still there")
		}
	})
}

// TestStepLease: one request at a time holds the apply of an upload's chunk; a second claim of
// the same position fails until the first finishes (which moves the position) or its lease
// lapses (a replica that died mid-chunk). On both databases.
func TestStepLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := &clock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
		st := &uploaddb.Store{DB: db, Now: clk.Now}
		ctx := context.Background()
		u := &uploads.Upload{Session: "s", Tenant: "contoso", Content: []byte("a@contoso.com\nb@contoso.com\n"), Change: []byte("{}"), DryRun: []byte("{}")}
		must(t, st.Put(ctx, u))
		claim := func(from int) bool {
			t.Helper()
			ok, err := st.Claim(ctx, u.ID, from)
			must(t, err)
			return ok
		}
		if claim(0) {
			t.Fatal("claimed a chunk before the apply started")
		}
		must(t, st.StartApply(ctx, u.ID, []byte(`{"results":[]}`)))
		if !claim(0) || claim(0) {
			t.Fatal("want the first claim of position 0 to win and the second to lose")
		}
		clk.Add(uploads.StepLease)
		if !claim(0) {
			t.Fatal("a lapsed lease was not taken over")
		}
		got, err := st.Get(ctx, u.ID, "s", "contoso")
		must(t, err)
		if got == nil || !got.Busy || string(got.Applied) != `{"results":[]}` {
			t.Fatalf("while a chunk is applied: %+v", got)
		}
		must(t, st.Finish(ctx, u.ID, []byte(`{"results":[1,2]}`), 2, ""))
		if claim(0) {
			t.Error("position 0 claimed again after the chunk was recorded")
		}
		got, err = st.Get(ctx, u.ID, "s", "contoso")
		must(t, err)
		if got.Busy || got.Next != 2 || string(got.Applied) != `{"results":[1,2]}` {
			t.Errorf("after the step: %+v", got)
		}
		must(t, st.Release(ctx, u.ID))
	})
}
