//go:build !windows

package kms_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/licet/licet/internal/kms"
)

// TestStateFilesPrivate: the host's state directory is 0700 and its database (with its -wal and
// -shm) and key are 0600, whatever the umask: the test runs under the common 022, which would
// leave files the host does not restrict readable by others.
func TestStateFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "licet-kms")
	h, err := kms.Open(context.Background(), kms.Config{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	want := map[string]os.FileMode{dir: 0o700, filepath.Join(dir, kms.HostKeyFile): 0o600}
	for _, f := range []string{kms.StateFile, kms.StateFile + "-wal", kms.StateFile + "-shm"} {
		want[filepath.Join(dir, f)] = 0o600
	}
	for path, mode := range want {
		st, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		if st.Mode().Perm() != mode {
			t.Errorf("mode of %s = %v, want %v", filepath.Base(path), st.Mode().Perm(), mode)
		}
	}
}
