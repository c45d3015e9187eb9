// Package privatefile keeps licet's database files private to their owner: a SQLite database is
// created 0600 before SQLite opens it (SQLite then gives its -wal and -shm files the same mode),
// and files an older licet left readable by others are tightened.
package privatefile

import (
	"errors"
	"io/fs"
	"os"
)

// SQLite prepares the SQLite database at path: it creates an empty file with mode 0600 when none
// exists, and takes group and other permissions away from path, path-wal, path-shm and
// path-journal when they exist.
func SQLite(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := Tighten(p); err != nil {
			return err
		}
	}
	return nil
}

// Tighten sets mode 0600 on path when it exists and others or its group may read or write it.
func Tighten(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode().IsRegular() && st.Mode().Perm()&0o077 != 0 {
		return os.Chmod(path, st.Mode().Perm()&0o700)
	}
	return nil
}
