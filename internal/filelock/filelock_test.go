package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestTryLock: a second lock on a held file fails with ErrLocked (flock locks are per open file
// description, so this holds within one process too), and succeeds once the first is released.
func TestTryLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "licet.db.lock")
	first, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("lock file mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second TryLock = %v, want ErrLocked", err)
	}
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	again, err := TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after Unlock = %v", err)
	}
	again.Unlock()
	if _, err := TryLock(filepath.Join(path, "missing", "x")); err == nil || errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock in a missing directory = %v, want an open error", err)
	}
}
