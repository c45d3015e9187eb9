package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/privatefile"
)

// KMS host state files (kms.StateFile, kms.HostKeyFile: named here so that this package does not
// link the KMS host).
const (
	kmsStateFile = "kms.db"
	kmsHostKey   = "host.key"
)

// KMSState copies a KMS host's state directory, while the host serves, into out: a new
// directory (0700) holding a consistent copy of kms.db and the host's key file. The copy is a
// state directory itself: `licet kms serve --state-dir OUT` serves from it.
func KMSState(ctx context.Context, stateDir, out string) (Info, error) {
	src := filepath.Join(stateDir, kmsStateFile)
	if _, err := os.Stat(src); err != nil {
		return Info{}, licet.Errorf(licet.EInvalid, "%s is not a KMS host's state directory (%s: %v): give --state-dir", stateDir, kmsStateFile, pathError(err))
	}
	if err := os.Mkdir(out, 0o700); errors.Is(err, fs.ErrExist) {
		return Info{}, licet.Errorf(licet.EConflict, "%s exists: a backup never overwrites; choose another --out", out)
	} else if err != nil {
		return Info{}, licet.Errorf(licet.EInvalid, "cannot create %s: %v", out, pathError(err))
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(out)
		}
	}()
	db, err := sql.Open("sqlite", dsn(src, "_pragma=busy_timeout(10000)"))
	if err != nil {
		return Info{}, err
	}
	defer db.Close()
	dst := filepath.Join(out, kmsStateFile)
	if err := createPrivate(dst); err != nil {
		return Info{}, err
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return Info{}, fmt.Errorf("copy %s: %w", src, err)
	}
	if err := copyFile(filepath.Join(stateDir, kmsHostKey), filepath.Join(out, kmsHostKey)); err != nil {
		return Info{}, fmt.Errorf("copy the host key: %w", err)
	}
	check, err := sql.Open("sqlite", dsn(dst, "mode=ro"))
	if err != nil {
		return Info{}, err
	}
	defer check.Close()
	info := Info{File: out}
	if err := check.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&info.Integrity); err != nil || info.Integrity != "ok" {
		return Info{}, fmt.Errorf("the copy of %s fails its integrity check: %q %v", src, info.Integrity, err)
	}
	if st, err := os.Stat(dst); err == nil {
		info.Bytes = st.Size()
	}
	ok = true
	return info, nil
}

// createPrivate creates an empty 0600 file that VACUUM INTO then fills; it refuses an existing one.
func createPrivate(path string) error {
	err := privatefile.Create(path, nil)
	if errors.Is(err, fs.ErrExist) {
		return licet.Errorf(licet.EConflict, "%s exists: a backup never overwrites a file; choose another --out", path)
	}
	if err != nil {
		return licet.Errorf(licet.EInvalid, "cannot create %s: %v", path, pathError(err))
	}
	return nil
}
