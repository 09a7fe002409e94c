//go:build unix

package command

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// ownProcessGroup makes cmd the leader of a process group of its own and
// makes its cancellation (timeout, Close) send SIGTERM to the whole group.
// What ignores it is killed later: the leader by os/exec after
// cmd.WaitDelay, the rest by killProcessGroup once Wait returns.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
}

// killProcessGroup sends SIGKILL to the process group pid leads, which is
// gone already when nothing of it remains.
func killProcessGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
