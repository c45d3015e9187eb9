package testproc

import (
	"os"
	"path/filepath"
	"testing"
)

func TestUnconfined(t *testing.T) {
	dir := t.TempDir()
	program := filepath.Join(dir, "slapd")
	if err := os.WriteFile(program, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	off := filepath.Join(dir, "off")
	on := filepath.Join(dir, "on")
	_ = os.WriteFile(off, []byte("N\n"), 0o644)
	_ = os.WriteFile(on, []byte("Y\n"), 0o644)
	if got, err := unconfined(program, t.TempDir(), off); err != nil || got != program {
		t.Fatalf("AppArmor off: %q, %v; want the program itself", got, err)
	}
	into := t.TempDir()
	got, err := unconfined(program, into, on)
	if err != nil || got != filepath.Join(into, "slapd") {
		t.Fatalf("AppArmor on: %q, %v; want a copy named slapd in %s", got, err, into)
	}
	if st, err := os.Stat(got); err != nil || st.Mode()&0o100 == 0 {
		t.Fatalf("the copy is not executable: %v %v", st, err)
	}
}
