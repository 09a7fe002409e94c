//go:build !unix

package command

import "os/exec"

// ownProcessGroup leaves cmd as it is: without Unix process groups only the
// program itself is killed at its timeout, not what it started.
func ownProcessGroup(*exec.Cmd) {}

// killProcessGroup does nothing without Unix process groups.
func killProcessGroup(int) {}
