package check

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
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
// one JSON object for scripts, or JUnit XML for CI systems.
func Write(w io.Writer, r Report, format string, colored bool) error {
	switch format {
	case FormatTable:
		return writeTable(w, r, term.NewPalette(colored))
	case FormatJSON:
		return writeJSON(w, r)
	case FormatJUnit:
		return writeJUnit(w, r)
	}
	return fmt.Errorf("unknown format %q: use table, json or junit", format)
}

func writeTable(w io.Writer, r Report, p term.Palette) error {
	fmt.Fprintf(w, "%s %s\n\n", p.Bold.Sprint("hooklab check"), r.URL)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	// The verdict and the reason share the last cell, which tabwriter does
	// not align: it would count the verdict's colour codes as width and
	// put the header out of line with the rows.
	const verdictHeader = "VERDICT  "
	fmt.Fprintln(tw, "SCENARIO\tSENT\tEXPECT\tGOT\t"+verdictHeader+"REASON")
	for _, res := range r.Results {
		got := "-"
		if res.Status != 0 {
			got = strconv.Itoa(res.Status)
		}
		verdict, color := "pass", p.OK
		note := res.Reason
		if res.Verdict != Pass {
			verdict, color = "FAIL", p.Bad
			if res.Status == 0 {
				note = res.Detail
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s%*s%s\n", res.Scenario, res.Sent, res.ExpectText(), got,
			color.Sprint(verdict), len(verdictHeader)-len(verdict), "", term.Truncate(note, 72))
	}
	if err := tw.Flush(); err != nil {
		return err
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
	fmt.Fprintf(w, "%s %d of %d scenarios failed: %s\n", p.Bad.Sprint("✗"), len(failed), len(r.Results), strings.Join(names, ", "))
	return nil
}

// jsonReport is the JSON form of a Report.
type jsonReport struct {
	URL     string       `json:"url"`
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
	out := jsonReport{URL: r.URL, OK: r.OK(), Failed: len(r.Failed()), Results: []jsonResult{}}
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
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
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
