// Package privatefile keeps licet's secret files private to their owner: files holding secrets
// (signing keys, tokens, backups, KMS host state) are written with mode 0600 through Create and
// Write, a SQLite database is created 0600 before SQLite opens it (SQLite then gives its -wal and
// -shm files the same mode), and files an older licet left readable by others are tightened.
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
	if err := Create(path, nil); err != nil && !errors.Is(err, fs.ErrExist) {
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

// Create writes data to a new file at path with mode 0600 and syncs it to disk; it fails with an
// error wrapping fs.ErrExist when path exists, and removes what it created when a write fails.
func Create(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := finish(f, data); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// Write writes data to path with mode 0600, replacing the file's content and its mode (a file
// readable by others before is not after), and syncs it to disk.
func Write(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	return finish(f, data)
}

// finish writes data to f, syncs and closes it.
func finish(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
