// Package testproc helps tests that start servers (slapd, named) as child processes.
package testproc

import (
	"os/exec"
	"syscall"
)

// DieWithParent makes the child end with the test process, even when a test panics or is
// killed, so no server outlives its test.
func DieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
