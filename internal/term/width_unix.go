//go:build unix

package term

import "golang.org/x/sys/unix"

// windowWidth asks the terminal on fd for its size; 0 when fd is not a
// terminal.
func windowWidth(fd uintptr) int {
	ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
