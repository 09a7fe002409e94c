package check_test

import (
	"os"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/check"
)

// readmeScenarioHeader is the header line of the README's scenario table.
const readmeScenarioHeader = "| scenario | expect | sent |"

// readmeRow is one row of the README's scenario table.
type readmeRow struct{ name, expect, sent string }

// readmeScenarioTable returns the rows of the one table in readme whose
// header is readmeScenarioHeader.
func readmeScenarioTable(tb testing.TB, readme string) []readmeRow {
	tb.Helper()
	lines := strings.Split(readme, "\n")
	start := -1
	for i, line := range lines {
		if strings.TrimSpace(line) == readmeScenarioHeader {
			if start >= 0 {
				tb.Fatalf("README.md has two tables headed %q (lines %d and %d)", readmeScenarioHeader, start+1, i+1)
			}
			start = i
		}
	}
	if start < 0 {
		tb.Fatalf("README.md has no table headed %q", readmeScenarioHeader)
	}
	if start+1 >= len(lines) || strings.Trim(strings.TrimSpace(lines[start+1]), "|-") != "" {
		tb.Fatalf("README.md line %d: no |---| line under the scenario table's header", start+2)
	}
	var rows []readmeRow
	for i := start + 2; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 3 {
			tb.Fatalf("README.md line %d: %d cells, want 3: %s", i+1, len(cells), line)
		}
		name := strings.TrimSpace(cells[0])
		if len(name) < 2 || name[0] != '`' || name[len(name)-1] != '`' {
			tb.Errorf("README.md line %d: the scenario %s is not in backquotes", i+1, name)
		}
		rows = append(rows, readmeRow{
			name:   strings.Trim(name, "`"),
			expect: strings.TrimSpace(cells[1]),
			sent:   strings.TrimSpace(cells[2]),
		})
	}
	return rows
}

func TestREADMEScenarioTable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := readmeScenarioTable(t, string(readme))
	scenarios := check.Scenarios()
	for i := range max(len(rows), len(scenarios)) {
		var row readmeRow
		var want readmeRow
		if i < len(rows) {
			row = rows[i]
		}
		if i < len(scenarios) {
			s := scenarios[i]
			want = readmeRow{name: s.Name, expect: statuses(s.Expect), sent: s.Sent}
		}
		if row != want {
			t.Errorf("README row %d:\n  %q\nwant (check.Scenarios()):\n  %q", i+1, row, want)
		}
	}
}
