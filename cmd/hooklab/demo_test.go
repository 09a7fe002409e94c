package main

import (
	"encoding/hex"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/internal/golden"
)

// demoLogLine matches a delivery's line in listen's text log and captures
// its status.
var demoLogLine = regexp.MustCompile(`^\d{2}:\d{2}:\d{2}\.\d{3} (\d{3}) `)

// logTime matches the wall-clock time that starts each log line.
var logTime = regexp.MustCompile(`(?m)^\d{2}:\d{2}:\d{2}\.\d{3} `)

// demoSecret is the secret demo generates from seededRandom(seed): the
// first 32 bytes, hex encoded.
func demoSecret(tb testing.TB, seed string) string {
	tb.Helper()
	b := make([]byte, 32)
	if _, err := io.ReadFull(seededRandom(seed), b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestDemo(t *testing.T) {
	const seed = "demo"
	// demo reads no files, so it can run where the golden file is.
	w := inPackageDir
	w.random = seededRandom(seed)
	got := runHooklab(t, w, "demo")
	checkOutput(t, got, exitOK, nil, nil)
	if got.stderr != "" {
		t.Errorf("stderr is not empty:\n%s", got.stderr)
	}
	all := check.Names()
	lines := strings.Split(got.stdout, "\n")

	wantFirst := "hooklab demo  a listener on http://127.0.0.1:"
	if !strings.HasPrefix(lines[0], wantFirst) || !strings.HasSuffix(lines[0], "/webhook with a generated secret; sending it "+strconv.Itoa(len(all))+" scenarios") {
		t.Errorf("first line %q, want %q... and the number of scenarios", lines[0], wantFirst)
	}

	// listen's log: one line per scenario, all before the table.
	var logged []string
	lastLog := -1
	for i, l := range lines {
		if m := demoLogLine.FindStringSubmatch(l); m != nil {
			logged = append(logged, m[1])
			lastLog = i
		}
	}
	if len(logged) != len(all) {
		t.Errorf("%d delivery lines in the log, want one per scenario (%d):\n%s", len(logged), len(all), got.stdout)
	}
	tableHead := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "hooklab check ") })
	if tableHead < 0 || tableHead < lastLog {
		t.Errorf("the table (line %d) does not come after the last log line (%d):\n%s", tableHead+1, lastLog+1, got.stdout)
	}

	rows, last := mustCheckTable(t, got.stdout)
	checkTableVerdicts(t, rows, all, nil)
	if want := "✓ all " + strconv.Itoa(len(all)) + " scenarios passed"; last != want {
		t.Errorf("last line %q, want %q", last, want)
	}
	var statuses []string
	for _, r := range rows {
		statuses = append(statuses, r.got)
	}
	for _, want := range []string{"200", "400", "401", "405", "411", "413", "415"} {
		if !slices.Contains(statuses, want) {
			t.Errorf("no %s in the table's GOT column: %q", want, statuses)
		}
	}
	// Each log line is the answer to its scenario, in the same order.
	if !slices.Equal(logged, statuses) {
		t.Errorf("statuses logged\n%q\ndiffer from the table's\n%q", logged, statuses)
	}

	secret := demoSecret(t, seed)
	checkNoSecret(t, got, secret, secret[:16])

	golden.Check(t, "demo.txt", withoutPorts(logTime.ReplaceAllString(got.stdout, "HH:MM:SS.mmm ")))
}

// TestDemoColor checks that --color reaches both the log and the table.
// The rules of auto are listen's, tested there; each demo takes half a
// second (net/http waits that long before closing the connection of the
// body it did not read, body-too-large), so the cases are few.
func TestDemoColor(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		terminal bool
		want     bool
	}{
		{name: "always despite NO_COLOR", args: []string{"--color", "always"}, env: map[string]string{envNoColor: "1"}, want: true},
		{name: "never on a terminal", args: []string{"--color", "never"}, terminal: true},
		{name: "default without a terminal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runHooklab(t, world{env: tt.env, terminal: tt.terminal, random: seededRandom(t.Name())}, append([]string{"demo"}, tt.args...)...)
			checkOutput(t, got, exitOK, nil, nil)
			table := strings.Index(got.stdout, "SCENARIO ")
			if table < 0 {
				t.Fatalf("no table:\n%s", got.stdout)
			}
			for _, l := range strings.Split(got.stdout[:table], "\n") {
				if !demoLogLine.MatchString(ansiEscape.ReplaceAllString(l, "")) {
					continue
				}
				if colored := strings.Contains(l, "\x1b["); colored != tt.want {
					t.Errorf("escapes in a log line: %v, want %v\n%q", colored, tt.want, l)
				}
			}
			if colored := strings.Contains(got.stdout[table:], "\x1b["); colored != tt.want {
				t.Errorf("escapes in the table: %v, want %v\n%q", colored, tt.want, got.stdout[table:])
			}
			// Colour or not, every scenario passed. (The columns are not
			// compared: tabwriter counts the escapes as width.)
			plain := ansiEscape.ReplaceAllString(got.stdout, "")
			for _, name := range check.Names() {
				if !slices.ContainsFunc(strings.Split(plain, "\n"), func(l string) bool {
					f := strings.Fields(l)
					return len(f) > 1 && f[0] == name && slices.Contains(f, "pass")
				}) {
					t.Errorf("no row says %s passed:\n%s", name, plain)
				}
			}
			if !strings.HasSuffix(plain, " all "+strconv.Itoa(len(check.Names()))+" scenarios passed\n") {
				t.Errorf("the output does not end with all scenarios passed:\n%s", plain)
			}
		})
	}
}

func TestDemoUsageErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string // after "demo"
		wantStderr []string
	}{
		{name: "an argument", args: []string{"extra"}, wantStderr: []string{"demo takes no arguments", `"extra"`}},
		{name: "unknown colour mode", args: []string{"--color", "sometimes"}, wantStderr: []string{"--color", `"sometimes"`}},
		{name: "unknown flag", args: []string{"--secret", "s"}, wantStderr: []string{"secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runHooklab(t, world{random: seededRandom(t.Name())}, append([]string{"demo"}, tt.args...)...)
			checkOutput(t, got, exitUsage, nil, tt.wantStderr)
			if got.stdout != "" {
				t.Errorf("stdout is not empty: nothing should have run\n%s", got.stdout)
			}
		})
	}
}

// TestDemoCannotGenerateSecret: without randomness there is no secret, and
// the demo says so instead of running with a weak one.
func TestDemoCannotGenerateSecret(t *testing.T) {
	got := runHooklab(t, world{random: failingReader{}}, "demo")
	checkOutput(t, got, exitError, nil, []string{"cannot generate a secret"})
}
