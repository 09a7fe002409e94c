package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/internal/ptytest"
)

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
			tty, output := ptytest.Open(t, 80)
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
