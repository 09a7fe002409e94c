package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/hooklab/hooklab/check"
)

// mustCheckPTY opens a pseudo-terminal cols wide and returns its terminal
// end, which hooklab writes to, and a channel that gets everything written
// to it once the terminal end is closed. It skips the test where there are
// no pseudo-terminals.
func mustCheckPTY(tb testing.TB, cols uint16) (*os.File, <-chan string) {
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
		// Read until the terminal end is closed (EIO), so that a table
		// larger than the terminal's buffer never blocks hooklab.
		var b bytes.Buffer
		io.Copy(&b, master)
		out <- strings.ReplaceAll(b.String(), "\r\n", "\n")
	}()
	return tty, out
}

// TestCheckTableWidthTerminal: on a terminal the table fits the terminal's
// width, or $COLUMNS when it is set.
func TestCheckTableWidthTerminal(t *testing.T) {
	target := mustAnswer200(t)
	tests := []struct {
		name    string
		columns string
		want    int
	}{
		{name: "the terminal's width", want: 80},
		{name: "COLUMNS", columns: "60", want: 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tty, output := mustCheckPTY(t, 80)
			var stderr bytes.Buffer
			w := world{terminal: true, env: map[string]string{"COLUMNS": tt.columns}, random: seededRandom(t.Name())}
			code := runWith(t.Context(), []string{"hooklab", "check", target, "--secret", checkSecret, "--color", "never",
				"--env-file", os.DevNull}, w.system(t, tty, &stderr))
			tty.Close()
			out := <-output
			if code != exitError {
				t.Errorf("exit code %d, want 1\nstderr:\n%s", code, stderr.String())
			}
			for _, l := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(l); n > tt.want {
					t.Errorf("a line is %d columns wide, over %d: %q", n, tt.want, l)
				}
			}
			for _, name := range check.Names() {
				if !strings.Contains(out, "\n"+name+" ") {
					t.Errorf("no row starts with %s:\n%s", name, out)
				}
			}
		})
	}
}
