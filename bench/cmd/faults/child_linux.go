package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the child if the runner dies first,
// so that no consumer outlives a runner that was itself killed.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
