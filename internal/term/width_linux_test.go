package term

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal of the given width and returns its
// terminal end, the one a program writes to.
func openPTY(tb testing.TB, cols uint16) *os.File {
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
	return tty
}

func TestWidth(t *testing.T) {
	tty := openPTY(t, 97)
	file, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	tests := []struct {
		name    string
		out     any
		columns string
		want    int
	}{
		{name: "a terminal", out: tty, want: 97},
		{name: "a terminal, with COLUMNS", out: tty, columns: "60", want: 60},
		{name: "a terminal, with COLUMNS not a number", out: tty, columns: "wide", want: 97},
		{name: "a file, whatever COLUMNS says", out: file, columns: "60", want: 0},
		{name: "not a file", out: os.Stdout.Name(), columns: "60", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "COLUMNS" {
					return tt.columns
				}
				return ""
			}
			if got := Width(tt.out, getenv); got != tt.want {
				t.Errorf("Width = %d, want %d", got, tt.want)
			}
		})
	}
}
