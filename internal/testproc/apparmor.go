package testproc

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
)

// Unconfined returns a program to run a test server with: the program itself, or, when
// AppArmor is enabled, a copy of it in dir (with the same base name, which slapd reads), since
// Debian's profiles (usr.sbin.named, usr.sbin.slapd) attach by path and forbid the temporary
// directories the tests use.
func Unconfined(program, dir string) (string, error) {
	return unconfined(program, dir, "/sys/module/apparmor/parameters/enabled")
}

func unconfined(program, dir, enabledFile string) (string, error) {
	enabled, err := os.ReadFile(enabledFile)
	if err != nil || !bytes.HasPrefix(enabled, []byte("Y")) {
		return program, nil
	}
	src, err := os.Open(program)
	if err != nil {
		return "", err
	}
	defer src.Close()
	copyPath := filepath.Join(dir, filepath.Base(program))
	dst, err := os.OpenFile(copyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return "", err
	}
	return copyPath, dst.Close()
}
