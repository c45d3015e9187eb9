// Package filelock holds an advisory lock on a file for the life of a process: `licet serve`
// holds a shared one beside its SQLite database, and `licet restore` takes it exclusively before it
// replaces the database, so a restore never pulls the file from under a running server. The operating system
// releases the lock when the process ends, however it ends.
package filelock

import (
	"errors"
	"os"
)

// ErrLocked says another process holds the lock.
var ErrLocked = errors.New("the file is locked by another process")

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// TryShared creates path (0600) when missing and takes a shared lock on it without waiting: many
// holders may share it (several servers on one database); it returns ErrLocked while an exclusive
// lock is held.
func TryShared(path string) (*Lock, error) { return try(path, false) }

// TryExclusive creates path (0600) when missing and takes an exclusive lock on it without
// waiting; it returns ErrLocked while anyone else holds a lock on it.
func TryExclusive(path string) (*Lock, error) { return try(path, true) }

func try(path string, exclusive bool) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f, exclusive); err != nil {
		f.Close()
		return nil, err
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock; the file stays.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the lock
	l.f = nil
	return err
}
