package check_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/internal/golden"
	"github.com/hooklab/hooklab/internal/term"
)

// sampleReport is a fixed Report with each kind of row: passes (one with
// several expected codes and no reason, one with a long reason), a failure
// with a status, and a failure with no answer.
func sampleReport() check.Report {
	return check.Report{
		URL: "http://127.0.0.1:8080/webhook",
		Results: []check.Result{
			{Scenario: "valid-json", Sent: "a push, JSON, signed with X-Hub-Signature-256", Expect: []int{200},
				Status: 200, Reason: "ok", Verdict: check.Pass, Duration: 1500 * time.Microsecond},
			{Scenario: "signature-missing", Sent: "no signature header", Expect: []int{401, 403},
				Status: 403, Verdict: check.Pass, Duration: 250 * time.Microsecond}, // an answer with no body
			{Scenario: "wrong-secret", Sent: "signed with another secret", Expect: []int{401},
				Status: 200, Reason: `accepted <all> & "everything"`, Verdict: check.Fail,
				Detail: "got 200, want 401", Duration: 2 * time.Millisecond},
			{Scenario: "event-missing", Sent: "no X-GitHub-Event header", Expect: []int{400},
				Verdict: check.Fail, Detail: "no answer in 5s"},
			{Scenario: "still-up", Sent: "one more valid push, after all of the above", Expect: []int{200},
				Status: 202, Reason: "accepted: the delivery was queued for processing by the worker pool and will be handled shortly",
				Verdict: check.Pass, Duration: 3 * time.Millisecond},
		},
	}
}

func TestWriteGolden(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		colored bool
		file    string
	}{
		{name: "table", format: check.FormatTable, file: "report-table.golden"},
		{name: "table, coloured", format: check.FormatTable, colored: true, file: "report-table-color.golden"},
		{name: "json", format: check.FormatJSON, file: "report.json.golden"},
		{name: "json, colour asked for", format: check.FormatJSON, colored: true, file: "report.json.golden"},
		{name: "junit", format: check.FormatJUnit, file: "report.junit.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := check.Write(&out, sampleReport(), tt.format, tt.colored); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tt.file, out.Bytes())
		})
	}
}

// TestWriteTableColourOnlyAddsColour checks that the coloured table is the
// plain one once its colour codes are taken out, so that its columns line
// up on a terminal too.
func TestWriteTableColourOnlyAddsColour(t *testing.T) {
	var plain, colored bytes.Buffer
	if err := check.Write(&plain, sampleReport(), check.FormatTable, false); err != nil {
		t.Fatal(err)
	}
	if err := check.Write(&colored, sampleReport(), check.FormatTable, true); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(colored.Bytes(), plain.Bytes()) {
		t.Fatal("the coloured table has no colour")
	}
	sgr := regexp.MustCompile("\x1b\\[[0-9;]*m")
	if got := sgr.ReplaceAll(colored.Bytes(), nil); !bytes.Equal(got, plain.Bytes()) {
		t.Errorf("without its colour codes the coloured table is\n%s\nwant the plain one\n%s", got, plain.Bytes())
	}
}

func TestWriteTableAllPassed(t *testing.T) {
	r := sampleReport()
	r.Results = []check.Result{r.Results[0], r.Results[1]}
	var out bytes.Buffer
	if err := check.Write(&out, r, check.FormatTable, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\n✓ all 2 scenarios passed\n") {
		t.Errorf("the table does not end saying all passed:\n%s", out.String())
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name       string
		report     check.Report
		wantOK     bool
		wantPassed int
		wantFailed int
	}{
		{name: "passes and failures", report: sampleReport(), wantPassed: 3, wantFailed: 2},
		{name: "all passed", report: check.Report{URL: "http://x/webhook", Results: sampleReport().Results[:2]},
			wantOK: true, wantPassed: 2},
		{name: "empty", report: check.Report{URL: "http://x/webhook"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := check.Write(&out, tt.report, check.FormatJSON, false); err != nil {
				t.Fatal(err)
			}
			var got struct {
				URL     string `json:"url"`
				OK      *bool  `json:"ok"`
				Passed  *int   `json:"passed"`
				Failed  *int   `json:"failed"`
				Results []struct {
					Scenario   string   `json:"scenario"`
					Sent       string   `json:"sent"`
					Expect     []int    `json:"expect"`
					Status     int      `json:"status"`
					Reason     string   `json:"reason"`
					Verdict    string   `json:"verdict"`
					Detail     string   `json:"detail"`
					DurationMS *float64 `json:"duration_ms"`
				} `json:"results"`
			}
			dec := json.NewDecoder(&out)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("not one JSON object of the documented fields: %v", err)
			}
			if dec.More() {
				t.Error("more than one JSON value")
			}
			if got.OK == nil || got.Passed == nil || got.Failed == nil || got.Results == nil {
				t.Fatalf("ok, passed, failed or results missing: %+v", got)
			}
			if *got.OK != tt.wantOK || *got.Passed != tt.wantPassed || *got.Failed != tt.wantFailed {
				t.Errorf("ok %v passed %d failed %d, want %v %d %d", *got.OK, *got.Passed, *got.Failed,
					tt.wantOK, tt.wantPassed, tt.wantFailed)
			}
			if got.URL != tt.report.URL {
				t.Errorf("url %q, want %q", got.URL, tt.report.URL)
			}
			if len(got.Results) != len(tt.report.Results) {
				t.Fatalf("%d results, want %d", len(got.Results), len(tt.report.Results))
			}
			for i, res := range tt.report.Results {
				g := got.Results[i]
				if g.Scenario != res.Scenario || g.Sent != res.Sent || !reflect.DeepEqual(g.Expect, res.Expect) ||
					g.Status != res.Status || g.Reason != res.Reason || g.Verdict != string(res.Verdict) ||
					g.Detail != res.Detail || g.DurationMS == nil {
					t.Errorf("result %d = %+v, want %+v", i, g, res)
				}
			}
		})
	}
}

// junitDoc is the JUnit XML shape CI systems read.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestWriteJUnit(t *testing.T) {
	report := sampleReport()
	var out bytes.Buffer
	if err := check.Write(&out, report, check.FormatJUnit, false); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out.Bytes())
	}
	failed := len(report.Failed())
	if doc.Tests != len(report.Results) || doc.Failures != failed {
		t.Errorf("testsuites tests=%d failures=%d, want %d %d", doc.Tests, doc.Failures, len(report.Results), failed)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d test suites, want 1", len(doc.Suites))
	}
	suite := doc.Suites[0]
	if suite.Tests != len(report.Results) || suite.Failures != failed {
		t.Errorf("testsuite tests=%d failures=%d, want %d %d", suite.Tests, suite.Failures, len(report.Results), failed)
	}
	if len(suite.Cases) != len(report.Results) {
		t.Fatalf("%d test cases, want one per scenario (%d)", len(suite.Cases), len(report.Results))
	}
	for i, res := range report.Results {
		c := suite.Cases[i]
		if c.Name != res.Scenario {
			t.Errorf("test case %d is %q, want %q", i, c.Name, res.Scenario)
		}
		switch {
		case res.Verdict == check.Pass && c.Failure != nil:
			t.Errorf("%s passed but has a <failure>: %+v", res.Scenario, *c.Failure)
		case res.Verdict != check.Pass && c.Failure == nil:
			t.Errorf("%s failed but has no <failure>", res.Scenario)
		case c.Failure != nil && c.Failure.Message != res.Detail:
			t.Errorf("%s: failure message %q, want %q", res.Scenario, c.Failure.Message, res.Detail)
		}
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var out bytes.Buffer
	err := check.Write(&out, sampleReport(), "yaml", false)
	if err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("Write with format yaml: error %v, want one naming it", err)
	}
	if out.Len() != 0 {
		t.Errorf("Write with an unknown format wrote %q", out.String())
	}
}

func TestReportOK(t *testing.T) {
	pass := check.Result{Scenario: "valid-json", Verdict: check.Pass}
	fail := check.Result{Scenario: "wrong-secret", Verdict: check.Fail}
	tests := []struct {
		name    string
		results []check.Result
		ok      bool
		failed  []string
	}{
		{name: "empty", failed: []string{}},
		{name: "all passed", results: []check.Result{pass, pass}, ok: true, failed: []string{}},
		{name: "one failed", results: []check.Result{pass, fail}, failed: []string{"wrong-secret"}},
		{name: "no verdict", results: []check.Result{{Scenario: "ping"}}, failed: []string{"ping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check.Report{Results: tt.results}
			if r.OK() != tt.ok {
				t.Errorf("OK() = %v, want %v", r.OK(), tt.ok)
			}
			if got := failedNames(r); !reflect.DeepEqual(got, tt.failed) {
				t.Errorf("Failed() names %v, want %v", got, tt.failed)
			}
		})
	}
}

// TestWriteWidthGolden fits the table to a terminal's width: SENT is
// elided or left out and the reason wraps, while the scenario, the
// statuses and the verdict stay whole.
func TestWriteWidthGolden(t *testing.T) {
	tests := []struct {
		name  string
		width int
		file  string
	}{
		{name: "60 columns", width: 60, file: "report-table-60.golden"},
		{name: "80 columns", width: 80, file: "report-table-80.golden"},
		{name: "120 columns", width: 120, file: "report-table-120.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := check.WriteWidth(&out, sampleReport(), check.FormatTable, false, tt.width); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tt.file, out.Bytes())
		})
	}
}

// TestWriteWidthFits checks what the golden files show, at every width
// from narrow to wide: no line is wider than the terminal (once the
// scenario, statuses and verdict fit at all), each result's row starts
// with its scenario and holds its statuses and verdict whole, and the
// reason's words are all there, in order.
func TestWriteWidthFits(t *testing.T) {
	report := sampleReport()
	var natural bytes.Buffer
	if err := check.Write(&natural, report, check.FormatTable, false); err != nil {
		t.Fatal(err)
	}
	naturalWidth := 0
	for _, l := range strings.Split(natural.String(), "\n") {
		naturalWidth = max(naturalWidth, term.Columns(l))
	}
	// The narrowest table that fits: sampleReport's SCENARIO, EXPECT, GOT
	// and VERDICT columns (42) and a reason of 16. Narrower ones overflow,
	// but still hold every row whole.
	const narrowest = 58
	for width := 40; width <= naturalWidth+10; width++ {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			var out bytes.Buffer
			if err := check.WriteWidth(&out, report, check.FormatTable, false, width); err != nil {
				t.Fatal(err)
			}
			if width >= naturalWidth {
				if out.String() != natural.String() {
					t.Errorf("a table that fits changed:\n%s\nwant\n%s", out.String(), natural.String())
				}
				return
			}
			lines := strings.Split(out.String(), "\n")
			for i, l := range lines {
				if n := term.Columns(l); n > width && width >= narrowest {
					t.Errorf("line %d is %d columns wide, over %d: %q", i+1, n, width, l)
				}
			}
			text := strings.Join(strings.Fields(out.String()), " ")
			for _, res := range report.Results {
				row := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, res.Scenario+" ") })
				if row < 0 {
					t.Fatalf("no row starts with %s:\n%s", res.Scenario, out.String())
				}
				got, verdict := "-", "pass"
				if res.Status != 0 {
					got = strconv.Itoa(res.Status)
				}
				if res.Verdict != check.Pass {
					verdict = "FAIL"
				}
				if want := " " + res.ExpectText() + " " + got + " " + verdict; !strings.Contains(strings.Join(strings.Fields(lines[row]), " ")+" ", want+" ") {
					t.Errorf("the %s row %q does not hold %q", res.Scenario, lines[row], want)
				}
				note := res.Reason
				if res.Verdict != check.Pass && res.Status == 0 {
					note = res.Detail
				}
				if note = strings.TrimSuffix(term.TruncateColumns(note, 72), "…"); !strings.Contains(text, strings.Join(strings.Fields(note), " ")) {
					t.Errorf("the %s reason %q is not in the table, wrapped or not:\n%s", res.Scenario, note, out.String())
				}
			}
		})
	}
}

// TestWriteWidthCJK: a receiver's reason in Japanese, two columns a rune,
// is cut to 72 columns as any reason is, wraps to the terminal's width,
// loses none of the rest, and stays in the column under REASON.
func TestWriteWidthCJK(t *testing.T) {
	const reason = "署名が一致しません。本文または秘密鍵が異なります。送信側の設定を確認してください"
	report := check.Report{URL: "http://127.0.0.1:8080/webhook", Results: []check.Result{
		{Scenario: "wrong-secret", Sent: "signed with another secret", Expect: []int{401},
			Status: 401, Reason: reason, Verdict: check.Pass},
		{Scenario: "valid-json", Sent: "a push, JSON, signed with X-Hub-Signature-256", Expect: []int{200},
			Status: 200, Reason: "ok", Verdict: check.Pass},
	}}
	for _, width := range []int{60, 64, 72, 80} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			var out bytes.Buffer
			if err := check.WriteWidth(&out, report, check.FormatTable, false, width); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(out.String(), "\n")
			for i, l := range lines {
				if n := term.Columns(l); n > width {
					t.Errorf("line %d is %d columns wide, over %d: %q", i+1, n, width, l)
				}
			}
			header := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "SCENARIO") })
			row := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "wrong-secret ") })
			if header < 0 || row < 0 {
				t.Fatalf("no header or no wrong-secret row:\n%s", out.String())
			}
			at := term.Columns(lines[header][:strings.Index(lines[header], "REASON")])
			var text strings.Builder
			for _, l := range lines[row:] {
				if l == "" || (l != lines[row] && strings.TrimSpace(l[:min(len(l), at)]) != "") {
					break
				}
				cell := term.CutColumns(l, at)
				if term.Columns(cell) != at || strings.TrimSpace(l[len(cell):]) == "" {
					t.Errorf("the reason does not start at column %d: %q", at, l)
				}
				text.WriteString(strings.TrimSpace(l[len(cell):]))
			}
			// The reason is cut to 72 columns first, as in a wide table.
			if want := term.TruncateColumns(reason, 72); text.String() != want {
				t.Errorf("the reason reads %q, want %q\n%s", text.String(), want, out.String())
			}
		})
	}
}

func TestWrapText(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		width int
		want  []string
	}{
		{name: "empty", in: "", width: 10, want: []string{""}},
		{name: "fits", in: "signature mismatch", width: 18, want: []string{"signature mismatch"}},
		{name: "at a space", in: "signature mismatch", width: 17, want: []string{"signature", "mismatch"}},
		{name: "several words a line", in: "a b c d e f", width: 5, want: []string{"a b c", "d e f"}},
		{name: "a word longer than a line", in: "x abcdefghij y", width: 4, want: []string{"x", "abcd", "efgh", "ij y"}},
		{name: "runes, not bytes", in: "ééé ééé", width: 3, want: []string{"ééé", "ééé"}},
		{name: "combining accents take no columns", in: "e\u0301te\u0301 e\u0301te\u0301", width: 3, want: []string{"e\u0301te\u0301", "e\u0301te\u0301"}},
		{name: "a cut keeps the accent with its letter", in: "re\u0301sume\u0301", width: 2, want: []string{"re\u0301", "su", "me\u0301"}},
		{name: "CJK takes two columns a rune", in: "署名が 一致しません", width: 6, want: []string{"署名が", "一致し", "ません"}},
		{name: "a wide rune is never split", in: "署名が一致", width: 5, want: []string{"署名", "が一", "致"}},
		{name: "a word cut to its end leaves no empty line", in: "abcdefgh", width: 4, want: []string{"abcd", "efgh"}},
		{name: "a wide rune wider than the line goes alone", in: "署名", width: 1, want: []string{"署", "名"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := check.WrapText(tt.in, tt.width); !slices.Equal(got, tt.want) {
				t.Errorf("wrapText(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
			}
		})
	}
}

// TestWriteWidthWrapsFailedLine: the last line, which names every failed
// scenario, wraps at the width too, and names them all.
func TestWriteWidthWrapsFailedLine(t *testing.T) {
	var r check.Report
	for _, name := range check.Names() {
		r.Results = append(r.Results, check.Result{Scenario: name, Sent: "x", Expect: []int{200}, Verdict: check.Fail, Detail: "connection refused"})
	}
	const width = 80
	var out bytes.Buffer
	if err := check.WriteWidth(&out, r, check.FormatTable, false, width); err != nil {
		t.Fatal(err)
	}
	_, tail, found := strings.Cut(out.String(), "\n\n✗ ")
	if !found {
		t.Fatalf("no failed line:\n%s", out.String())
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if term.Columns(l) > width {
			t.Errorf("line over %d columns: %q", width, l)
		}
	}
	want := strings.Join(check.Names(), ", ")
	if got := strings.Join(strings.Fields(tail), " "); !strings.Contains(got, want) {
		t.Errorf("the failed line\n%s\ndoes not name, in order, %s", tail, want)
	}
}
