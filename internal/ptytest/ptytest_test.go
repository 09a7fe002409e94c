//go:build linux

package ptytest_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hooklab/hooklab/internal/ptytest"
)

// The terminal end has the width asked for, and what is written to it
// comes back whole once it is closed.
func TestOpen(t *testing.T) {
	tty, out := ptytest.Open(t, 97)
	ws, err := unix.IoctlGetWinsize(int(tty.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col != 97 {
		t.Fatalf("width %v, %v; want 97 columns", ws, err)
	}
	if _, err := tty.WriteString("one\ntwo\n"); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	if got := <-out; got != "one\ntwo\n" {
		t.Errorf("read back %q, want %q", got, "one\ntwo\n")
	}
}
