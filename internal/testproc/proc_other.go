//go:build !linux

// Package testproc helps tests that start servers (slapd, named) as child processes.
package testproc

import "os/exec"

// DieWithParent does nothing where the system cannot tie a child's life to its parent's.
func DieWithParent(*exec.Cmd) {}
