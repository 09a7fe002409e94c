package check

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hooklab/hooklab/internal/term"
)

// Output formats for a Report.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatJUnit = "junit"
)

// Write writes r in format: a table for people (coloured when colored),
// one JSON object for scripts, or JUnit XML for CI systems. The table is
// as wide as it needs to be; WriteWidth fits it to a terminal.
func Write(w io.Writer, r Report, format string, colored bool) error {
	return WriteWidth(w, r, format, colored, 0)
}

// WriteWidth is Write with the table fitted to width columns, a
// terminal's: the descriptive columns give way (SENT is elided, then left
// out; the reason wraps onto more lines), never the scenario, the statuses
// or the verdict. A width of 0 or less, or one the table already fits,
// leaves the table as Write prints it. JSON and JUnit ignore width.
func WriteWidth(w io.Writer, r Report, format string, colored bool, width int) error {
	switch format {
	case FormatTable:
		return writeTable(w, r, term.NewPalette(colored), width)
	case FormatJSON:
		return writeJSON(w, r)
	case FormatJUnit:
		return writeJUnit(w, r)
	}
	return fmt.Errorf("unknown format %q: use table, json or junit", format)
}

// The narrowest a descriptive column is cut to before the table gives up
// fitting: a narrower SENT is left out, a narrower reason overflows.
const (
	minSentWidth   = 12
	minReasonWidth = 16
)

// tableRow is one row of the table, uncoloured.
type tableRow struct {
	scenario, sent, expect, got, verdict, note string
}

// columnGap is the space between two columns.
const columnGap = 2

// verdictHeader is the verdict column's title and width. The verdict and
// the reason share the last cell, so that the verdict's colour codes never
// count as width.
const verdictHeader = "VERDICT  "

func writeTable(w io.Writer, r Report, p term.Palette, width int) error {
	profile := ""
	if r.Profile != "" && r.Profile != DefaultProfile {
		profile = " (" + r.Profile + " profile)"
	}
	fmt.Fprintf(w, "%s %s%s\n\n", p.Bold.Sprint("hooklab check"), r.URL, profile)
	rows := []tableRow{{scenario: "SCENARIO", sent: "SENT", expect: "EXPECT", got: "GOT", verdict: "VERDICT", note: "REASON"}}
	for _, res := range r.Results {
		row := tableRow{scenario: res.Scenario, sent: res.Sent, expect: res.ExpectText(), got: "-", verdict: "pass", note: res.Reason}
		if res.Status != 0 {
			row.got = strconv.Itoa(res.Status)
		}
		if res.Verdict != Pass {
			row.verdict = "FAIL"
			if res.Status == 0 {
				row.note = res.Detail
			}
		}
		row.note = term.TruncateColumns(row.note, 72)
		rows = append(rows, row)
	}
	var nameW, sentW, expectW, gotW, noteW int
	for _, row := range rows {
		nameW = max(nameW, columns(row.scenario)+columnGap)
		sentW = max(sentW, columns(row.sent)+columnGap)
		expectW = max(expectW, columns(row.expect)+columnGap)
		gotW = max(gotW, columns(row.got)+columnGap)
		noteW = max(noteW, columns(row.note))
	}
	fixed := nameW + expectW + gotW + len(verdictHeader)
	wrapNotes := false
	if width > 0 && fixed+sentW+noteW > width {
		// Too wide: the reason keeps what it needs up to half the room
		// left, SENT takes the rest or, when that is too narrow to read,
		// goes.
		avail := width - fixed
		sentW = min(sentW, avail-min(noteW, max(avail/2, minReasonWidth)))
		if sentW-columnGap < minSentWidth {
			sentW = 0
		}
		noteW, wrapNotes = max(avail-sentW, minReasonWidth), true
	}
	indent := strings.Repeat(" ", nameW+sentW+expectW+gotW+len(verdictHeader))
	for i, row := range rows {
		var b strings.Builder
		b.WriteString(pad(row.scenario, nameW))
		if sentW > 0 {
			b.WriteString(pad(term.TruncateColumns(row.sent, sentW-columnGap), sentW))
		}
		b.WriteString(pad(row.expect, expectW))
		b.WriteString(pad(row.got, gotW))
		verdict := row.verdict
		switch {
		case i == 0:
		case row.verdict == "pass":
			verdict = p.OK.Sprint(verdict)
		default:
			verdict = p.Bad.Sprint(verdict)
		}
		b.WriteString(verdict + strings.Repeat(" ", len(verdictHeader)-len(row.verdict)))
		notes := []string{row.note}
		if wrapNotes {
			notes = wrapText(row.note, noteW)
		}
		b.WriteString(notes[0])
		for _, more := range notes[1:] {
			b.WriteString("\n" + indent + more)
		}
		b.WriteString("\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	failed := r.Failed()
	fmt.Fprintln(w)
	if len(failed) == 0 {
		fmt.Fprintf(w, "%s all %d scenarios passed\n", p.OK.Sprint("✓"), len(r.Results))
		return nil
	}
	names := make([]string, len(failed))
	for i, f := range failed {
		names[i] = f.Scenario
	}
	line := fmt.Sprintf("%d of %d scenarios failed: %s", len(failed), len(r.Results), strings.Join(names, ", "))
	lines := []string{line}
	if width > 0 {
		lines = wrapText(line, max(width-2, minReasonWidth))
	}
	fmt.Fprintf(w, "%s %s\n", p.Bad.Sprint("✗"), strings.Join(lines, "\n  "))
	return nil
}

// columns is the width of s on a terminal (term.Columns): two columns for
// a CJK rune, none for a combining accent.
func columns(s string) int { return term.Columns(s) }

// pad writes s and spaces to width columns.
func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(width-columns(s), 0))
}

// wrapText breaks s into lines of at most width columns at spaces, and
// cuts a word wider than a line between its runes (a letter keeps its
// accents). It returns at least one line.
func wrapText(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for columns(word) > width {
			if line != "" {
				lines, line = append(lines, line), ""
			}
			cut := term.CutColumns(word, width)
			if cut == "" { // a wide rune and a width of one: it goes alone
				cut = term.CutColumns(word, 2)
			}
			lines, word = append(lines, cut), word[len(cut):]
		}
		if word == "" {
			continue
		}
		switch {
		case line == "":
			line = word
		case columns(line)+1+columns(word) <= width:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
	}
	if line == "" && len(lines) > 0 { // the last word was cut to the end
		return lines
	}
	return append(lines, line)
}

// jsonReport is the JSON form of a Report.
type jsonReport struct {
	URL     string       `json:"url"`
	Profile string       `json:"profile,omitempty"`
	OK      bool         `json:"ok"`
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	Results []jsonResult `json:"results"`
}

type jsonResult struct {
	Result
	DurationMS float64 `json:"duration_ms"`
}

func writeJSON(w io.Writer, r Report) error {
	out := jsonReport{URL: r.URL, Profile: r.Profile, OK: r.OK(), Failed: len(r.Failed()), Results: []jsonResult{}}
	out.Passed = len(r.Results) - out.Failed
	for _, res := range r.Results {
		out.Results = append(out.Results, jsonResult{Result: res, DurationMS: float64(res.Duration.Microseconds()) / 1000})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// The JUnit XML shape CI systems read: one test case per scenario.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

// junitProperties are a suite's settings: here, the profile.
type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// seconds writes d as JUnit does: seconds with three decimals.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

func writeJUnit(w io.Writer, r Report) error {
	suite := junitSuite{Name: "hooklab check " + r.URL, Tests: len(r.Results), Failures: len(r.Failed())}
	if r.Profile != "" {
		suite.Properties = &junitProperties{Property: []junitProperty{{Name: "profile", Value: r.Profile}}}
	}
	var total time.Duration
	for _, res := range r.Results {
		total += res.Duration
		c := junitCase{Name: res.Scenario, ClassName: "hooklab.check", Time: seconds(res.Duration),
			SystemOut: "sent: " + res.Sent + "\nexpect: " + res.ExpectText()}
		if res.Reason != "" {
			c.SystemOut += "\nreason: " + res.Reason
		}
		if res.Verdict != Pass {
			c.Failure = &junitFailure{Message: res.Detail, Type: "unexpected_answer",
				Text: "sent: " + res.Sent + "\nwant: " + res.ExpectText() + "\ngot: " + gotText(res)}
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Time = seconds(total)
	doc := junitSuites{Name: "hooklab check", Tests: suite.Tests, Failures: suite.Failures, Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func gotText(res Result) string {
	if res.Status == 0 {
		return res.Detail
	}
	s := strconv.Itoa(res.Status)
	if res.Reason != "" {
		s += " " + res.Reason
	}
	return s
}
