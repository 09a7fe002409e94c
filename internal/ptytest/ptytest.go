//go:build linux

// Package ptytest opens pseudo-terminals for tests of output that fits
// the terminal's width: what hooklab writes to a real terminal, read back
// from its other end.
package ptytest

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Open opens a pseudo-terminal cols wide and returns its terminal end,
// which the code under test writes to, and a channel that gets everything
// written to it (with "\r\n" read back as "\n") once the terminal end is
// closed. Both ends are closed when the test ends. It skips the test where
// there are no pseudo-terminals.
func Open(tb testing.TB, cols uint16) (*os.File, <-chan string) {
	tb.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		tb.Skipf("no pseudo-terminals here: %v", err)
	}
	tb.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		tb.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		tb.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: cols}); err != nil {
		tb.Fatal(err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tty.Close() })
	out := make(chan string, 1)
	go func() {
		// Read until the terminal end is closed (EIO), so that output
		// larger than the terminal's buffer never blocks the writer.
		var b bytes.Buffer
		io.Copy(&b, master)
		out <- strings.ReplaceAll(b.String(), "\r\n", "\n")
	}()
	return tty, out
}
