package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLocks: shared locks coexist; an exclusive lock fails while any is held and holds off shared
// ones (flock locks belong to an open file, so this holds within one process too).
func TestLocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licet.db.lock")
	s1, err := TryShared(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("lock file mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
	s2, err := TryShared(path)
	if err != nil {
		t.Fatalf("second shared lock = %v, want it granted", err)
	}
	if _, err := TryExclusive(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("exclusive lock while shared ones are held = %v, want ErrLocked", err)
	}
	s1.Unlock()
	s2.Unlock()
	ex, err := TryExclusive(path)
	if err != nil {
		t.Fatalf("exclusive lock once released = %v", err)
	}
	if _, err := TryShared(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("shared lock while an exclusive one is held = %v, want ErrLocked", err)
	}
	ex.Unlock()
	if _, err := TryExclusive(filepath.Join(path, "missing", "x")); err == nil || errors.Is(err, ErrLocked) {
		t.Fatalf("a lock in a missing directory = %v, want an open error", err)
	}
}
