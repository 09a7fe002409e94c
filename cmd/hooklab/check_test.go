package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/internal/golden"
	"github.com/hooklab/hooklab/receiver"
)

// checkSecret is the secret of the receivers check runs against here. It
// is distinctive, so that a test can tell when any output contains it.
const checkSecret = "check-test-Secret-9d41f0c7be2a6358e1f4"

// seededRandom is randomness that never runs out and is the same on every
// run: check draws a delivery id per scenario from it, demo its secret too.
// A world's default randomness is 32 bytes, enough for one secret only.
func seededRandom(seed string) io.Reader {
	return rand.NewChaCha8(sha256.Sum256([]byte("hooklab check test " + seed)))
}

// runCheckCommand runs `hooklab check` with args to the end, with
// randomness of its own unless w has some.
func runCheckCommand(tb testing.TB, w world, args ...string) result {
	tb.Helper()
	if w.random == nil {
		w.random = seededRandom(tb.Name())
	}
	return runHooklab(tb, w, append([]string{"check"}, args...)...)
}

// checkRow is one row of check's table.
type checkRow struct {
	scenario, expect, got, verdict, reason string
}

// mustCheckTable returns the rows of check's table in out, and the line
// that follows the table, which must be the last line of out. Colour is
// removed first; columns are found by the header's titles.
func mustCheckTable(tb testing.TB, out string) (rows []checkRow, last string) {
	tb.Helper()
	lines := strings.Split(ansiEscape.ReplaceAllString(out, ""), "\n")
	head := slices.IndexFunc(lines, func(l string) bool {
		return strings.HasPrefix(l, "SCENARIO ") && strings.Contains(l, " VERDICT ")
	})
	if head < 0 {
		tb.Fatalf("no table in the output:\n%s", out)
	}
	col := func(title string) int {
		i := strings.Index(lines[head], title)
		if i < 0 {
			tb.Fatalf("the table's header has no %s: %q", title, lines[head])
		}
		return i
	}
	sent, expect, got, verdict, reason := col("SENT"), col("EXPECT"), col("GOT"), col("VERDICT"), col("REASON")
	i := head + 1
	for ; i < len(lines) && lines[i] != ""; i++ {
		l := lines[i]
		if len(l) < reason {
			l += strings.Repeat(" ", reason-len(l)) // no reason
		}
		rows = append(rows, checkRow{
			scenario: strings.TrimSpace(l[:sent]),
			expect:   strings.TrimSpace(l[expect:got]),
			got:      strings.TrimSpace(l[got:verdict]),
			verdict:  strings.TrimSpace(l[verdict:reason]),
			reason:   strings.TrimSpace(l[reason:]),
		})
	}
	// A blank line, the verdict line, and nothing after it.
	if i+2 >= len(lines) || lines[i+2] != "" || i+3 != len(lines) {
		tb.Fatalf("the table is not followed by a blank line and one last line:\n%s", out)
	}
	return rows, lines[i+1]
}

// scenarioNames returns the scenarios of rows, in order.
func scenarioNames(rows []checkRow) []string {
	var names []string
	for _, r := range rows {
		names = append(names, r.scenario)
	}
	return names
}

// failedLine is the last line of a table in which the scenarios failed
// failed, of total.
func failedLine(failed []string, total int) string {
	return "✗ " + strconv.Itoa(len(failed)) + " of " + strconv.Itoa(total) + " scenarios failed: " + strings.Join(failed, ", ")
}

// checkTableVerdicts checks that rows are the scenarios want, in order, and
// that exactly those in failed failed.
func checkTableVerdicts(tb testing.TB, rows []checkRow, want, failed []string) {
	tb.Helper()
	if got := scenarioNames(rows); !slices.Equal(got, want) {
		tb.Errorf("the table's scenarios are\n%q\nwant\n%q", got, want)
	}
	for _, r := range rows {
		wantVerdict := "pass"
		if slices.Contains(failed, r.scenario) {
			wantVerdict = "FAIL"
		}
		if r.verdict != wantVerdict {
			tb.Errorf("%s: verdict %q (expect %s, got %s, %s), want %q", r.scenario, r.verdict, r.expect, r.got, r.reason, wantVerdict)
		}
	}
}

// checkReport is check's JSON report, as a script reads it.
type checkReport struct {
	URL     string `json:"url"`
	OK      bool   `json:"ok"`
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
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

// mustCheckReport checks that out is exactly one JSON object, and returns
// it.
func mustCheckReport(tb testing.TB, out string) checkReport {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var r checkReport
	if err := dec.Decode(&r); err != nil {
		tb.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	if err := dec.Decode(new(json.RawMessage)); !errors.Is(err, io.EOF) {
		tb.Fatalf("stdout holds more than one JSON value (%v):\n%s", err, out)
	}
	return r
}

// failedScenarios returns the scenarios the report says failed.
func (r checkReport) failedScenarios() []string {
	var names []string
	for _, res := range r.Results {
		if res.Verdict != string(check.Pass) {
			names = append(names, res.Scenario)
		}
	}
	return names
}

// junitReport is the JUnit XML that CI systems read.
type junitReport struct {
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
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// mustJUnit parses out as a JUnit report with one suite.
func mustJUnit(tb testing.TB, out string) junitReport {
	tb.Helper()
	if !strings.HasPrefix(out, "<?xml ") {
		tb.Errorf("the JUnit output does not start with an XML declaration:\n%s", out)
	}
	var r junitReport
	if err := xml.Unmarshal([]byte(out), &r); err != nil {
		tb.Fatalf("the JUnit output does not parse: %v\n%s", err, out)
	}
	if len(r.Suites) != 1 {
		tb.Fatalf("%d test suites, want 1:\n%s", len(r.Suites), out)
	}
	return r
}

// checkJUnit checks that r has one case per scenario in want, and that
// exactly those in failed have a failure, counted in both elements.
func checkJUnit(tb testing.TB, r junitReport, want, failed []string) {
	tb.Helper()
	s := r.Suites[0]
	if r.Tests != len(want) || s.Tests != len(want) || r.Failures != len(failed) || s.Failures != len(failed) {
		tb.Errorf("tests=%d/%d failures=%d/%d (testsuites/testsuite), want tests=%d failures=%d",
			r.Tests, s.Tests, r.Failures, s.Failures, len(want), len(failed))
	}
	var names, failures []string
	for _, c := range s.Cases {
		names = append(names, c.Name)
		if c.Failure != nil {
			failures = append(failures, c.Name)
			if c.Failure.Message == "" {
				tb.Errorf("%s: the failure has no message", c.Name)
			}
		}
	}
	if !slices.Equal(names, want) {
		tb.Errorf("test cases\n%q\nwant\n%q", names, want)
	}
	if !slices.Equal(failures, failed) {
		tb.Errorf("failed test cases %q, want %q", failures, failed)
	}
}

// inPackageDir is a world whose working directory is the package's, where
// go test starts and golden.Check finds the golden files, even in a test
// that has already moved to a temporary one. Runs in it name --env-file
// os.DevNull, so that no .env there is read.
var inPackageDir = world{dir: func() string {
	dir, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return dir
}()}

// loopbackPort matches a loopback address's port, which changes from run to
// run.
var loopbackPort = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// withoutPorts makes out comparable with a golden file.
func withoutPorts(out string) []byte {
	return []byte(loopbackPort.ReplaceAllString(out, "127.0.0.1:PORT"))
}

// mustAnswer200 starts a broken receiver: it answers 200 to anything,
// without looking at the method, the length, the signature or the body. It
// returns its webhook URL; the test's cleanup stops it.
func mustAnswer200(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "thanks\n")
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + receiver.DefaultPath
}

// mustPythonReceiver starts testdata/receiver.py, a correct receiver that
// hooklab did not write, with secret and a body size limit of maxBody
// bytes, and returns its webhook URL. It skips the test when python3 is not
// installed; the test's cleanup kills the process.
func mustPythonReceiver(tb testing.TB, secret string, maxBody int64) string {
	tb.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		tb.Skip("python3 is not installed")
	}
	script, err := filepath.Abs(filepath.Join("testdata", "receiver.py"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(python, script)
	cmd.Env = append(os.Environ(), envSecret+"="+secret, "RECEIVER_MAX_BODY="+strconv.FormatInt(maxBody, 10))
	var stderr bytes.Buffer // read only once the process is gone
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", script, err)
	}
	stop := sync.OnceFunc(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	tb.Cleanup(stop)

	firstLine := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		firstLine <- line
	}()
	var line string
	select {
	case line = <-firstLine:
	case <-time.After(failsafe):
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || port <= 0 {
		stop()
		tb.Fatalf("receiver.py printed %q, not its port\nstderr:\n%s", line, stderr.String())
	}
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/webhook"
}

// TestCheckAgainstListen runs check against hooklab's own receiver, which
// answers every scenario as check expects by default.
func TestCheckAgainstListen(t *testing.T) {
	p := startListen(t, world{env: map[string]string{envSecret: checkSecret}}, "listen", "--addr", "127.0.0.1:0")
	all := check.Names()

	tests := []struct {
		name       string
		args       []string // after the URL and the secret
		wantCode   int
		wantRows   []string // the scenarios in the table, in order; all when nil
		wantFailed []string
		golden     string
	}{
		{name: "every scenario passes", golden: "check-listen.txt"},
		{name: "only two", args: []string{"--only", "valid-json,ping"}, wantRows: []string{"valid-json", "ping"}},
		{name: "only repeated, in run order", args: []string{"--only", "ping", "--only", "valid-json"}, wantRows: []string{"valid-json", "ping"}},
		{name: "skip one", args: []string{"--skip", "chunked"},
			wantRows: slices.DeleteFunc(slices.Clone(all), func(n string) bool { return n == "chunked" })},
		{name: "expect another status", args: []string{"--expect", "wrong-secret=403"},
			wantCode: exitError, wantFailed: []string{"wrong-secret"}},
		{name: "expect either status", args: []string{"--expect", "wrong-secret=401,403"}},
		{name: "expect and only", args: []string{"--expect", "wrong-secret=403", "--only", "wrong-secret,still-up"},
			wantCode: exitError, wantRows: []string{"wrong-secret", "still-up"}, wantFailed: []string{"wrong-secret"}},
		{name: "accept 2xx", args: []string{"--accept-2xx"}},
		// check declares one byte over 64 KiB and sends no body; listen,
		// whose limit is 25 MiB, waits for the body and says it is short.
		{name: "max body smaller than the receiver's", args: []string{"--max-body", "64KiB"},
			wantCode: exitError, wantFailed: []string{"body-too-large"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{p.webhookURL, "--secret", checkSecret, "--env-file", os.DevNull}, tt.args...)
			got := runCheckCommand(t, inPackageDir, args...)
			checkOutput(t, got, tt.wantCode, []string{"hooklab check " + p.webhookURL}, nil)
			if got.stderr != "" {
				t.Errorf("stderr is not empty: the table says it all\n%s", got.stderr)
			}
			checkNoSecret(t, got, checkSecret)
			if strings.Contains(got.stdout, "\x1b[") {
				t.Errorf("escapes in the output without a terminal:\n%q", got.stdout)
			}
			want := tt.wantRows
			if want == nil {
				want = all
			}
			rows, last := mustCheckTable(t, got.stdout)
			checkTableVerdicts(t, rows, want, tt.wantFailed)
			wantLast := "✓ all " + strconv.Itoa(len(want)) + " scenarios passed"
			if len(tt.wantFailed) > 0 {
				wantLast = failedLine(tt.wantFailed, len(want))
			}
			if last != wantLast {
				t.Errorf("last line %q, want %q", last, wantLast)
			}
			if tt.golden != "" {
				golden.Check(t, tt.golden, withoutPorts(got.stdout))
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		got := runCheckCommand(t, world{}, p.webhookURL, "--secret", checkSecret, "--format", "json", "--color", "always")
		checkOutput(t, got, exitOK, nil, nil)
		checkNoSecret(t, got, checkSecret)
		r := mustCheckReport(t, got.stdout)
		if !r.OK || r.Passed != len(all) || r.Failed != 0 || r.URL != p.webhookURL {
			t.Errorf("ok=%v passed=%d failed=%d url=%q, want ok=true passed=%d failed=0 url=%q", r.OK, r.Passed, r.Failed, r.URL, len(all), p.webhookURL)
		}
		if len(r.Results) != len(all) {
			t.Fatalf("%d results, want %d", len(r.Results), len(all))
		}
		for i, s := range check.Scenarios() {
			res := r.Results[i]
			if res.Scenario != s.Name || res.Verdict != "pass" || !slices.Contains(s.Expect, res.Status) || res.DurationMS == nil {
				t.Errorf("result %d = %+v, want %s passed with one of %v and a duration", i, res, s.Name, s.Expect)
			}
		}
		if strings.Contains(got.stdout, "\x1b[") {
			t.Errorf("escapes in JSON:\n%q", got.stdout)
		}
	})

	t.Run("junit", func(t *testing.T) {
		got := runCheckCommand(t, world{}, p.webhookURL, "--secret", checkSecret, "--format", "junit")
		checkOutput(t, got, exitOK, nil, nil)
		checkNoSecret(t, got, checkSecret)
		checkJUnit(t, mustJUnit(t, got.stdout), all, nil)
	})

	t.Run("url and secret from the environment", func(t *testing.T) {
		env := map[string]string{envSecret: checkSecret, envURL: p.webhookURL}
		got := runCheckCommand(t, world{env: env}, "--only", "ping")
		checkOutput(t, got, exitOK, []string{"hooklab check " + p.webhookURL, "✓ all 1 scenarios passed"}, nil)
	})

	// Every scenario reached listen and got the answer the table shows:
	// listen's summary counts every status check saw.
	if code := p.stop(t); code != exitOK {
		t.Errorf("listen exited with %d", code)
	}
	if !strings.Contains(p.stdout.String(), "411 Length Required") || !strings.Contains(p.stdout.String(), "413 Request Entity Too Large") {
		t.Errorf("listen's summary does not count the 411 and 413 answers:\n%s", p.stdout)
	}
}

// TestCheckBrokenReceiver runs check against a receiver that answers 200
// to anything: every scenario that expects a refusal fails, and the report
// names them in each format.
func TestCheckBrokenReceiver(t *testing.T) {
	target := mustAnswer200(t)
	all := check.Names()
	var failed []string
	for _, s := range check.Scenarios() {
		if !slices.Contains(s.Expect, http.StatusOK) {
			failed = append(failed, s.Name)
		}
	}
	for _, name := range []string{"signature-missing", "wrong-secret", "chunked", "body-too-large", "wrong-method"} {
		if !slices.Contains(failed, name) {
			t.Fatalf("%s is not among the scenarios a receiver that accepts anything fails: %q", name, failed)
		}
	}

	t.Run("table", func(t *testing.T) {
		got := runCheckCommand(t, inPackageDir, target, "--secret", checkSecret, "--env-file", os.DevNull)
		checkOutput(t, got, exitError, nil, nil)
		checkNoSecret(t, got, checkSecret)
		rows, last := mustCheckTable(t, got.stdout)
		checkTableVerdicts(t, rows, all, failed)
		for _, r := range rows {
			if r.got != "200" || r.reason != "thanks" {
				t.Errorf("%s: got %q with reason %q, want 200 and the receiver's first line", r.scenario, r.got, r.reason)
			}
		}
		if want := failedLine(failed, len(all)); last != want {
			t.Errorf("last line\n%q\nwant\n%q", last, want)
		}
		golden.Check(t, "check-broken.txt", withoutPorts(got.stdout))
	})

	t.Run("json", func(t *testing.T) {
		got := runCheckCommand(t, world{}, target, "--secret", checkSecret, "--format", "json")
		checkOutput(t, got, exitError, nil, nil)
		r := mustCheckReport(t, got.stdout)
		if r.OK || r.Failed != len(failed) || r.Passed != len(all)-len(failed) {
			t.Errorf("ok=%v passed=%d failed=%d, want ok=false passed=%d failed=%d", r.OK, r.Passed, r.Failed, len(all)-len(failed), len(failed))
		}
		if got := r.failedScenarios(); !slices.Equal(got, failed) {
			t.Errorf("failed scenarios\n%q\nwant\n%q", got, failed)
		}
		for _, res := range r.Results {
			if res.Verdict == "fail" && !strings.Contains(res.Detail, "got 200") {
				t.Errorf("%s: detail %q does not say what came back", res.Scenario, res.Detail)
			}
		}
	})

	t.Run("junit", func(t *testing.T) {
		got := runCheckCommand(t, inPackageDir, target, "--secret", checkSecret, "--env-file", os.DevNull, "--format", "junit")
		checkOutput(t, got, exitError, []string{`failures="` + strconv.Itoa(len(failed)) + `"`}, nil)
		checkJUnit(t, mustJUnit(t, got.stdout), all, failed)
		golden.Check(t, "check-broken.xml", withoutPorts(got.stdout))
	})
}

// TestCheckPythonReceiver runs check against a correct receiver that
// someone else wrote, in another language: testdata/receiver.py. It needs
// no --expect: its answers are the ones check expects by default, chunked
// and short bodies included.
func TestCheckPythonReceiver(t *testing.T) {
	// A limit of its own, which check is told with --max-body.
	const maxBody = 1 << 20
	target := mustPythonReceiver(t, checkSecret, maxBody)
	all := check.Names()

	t.Run("every scenario passes", func(t *testing.T) {
		got := runCheckCommand(t, world{}, target, "--secret", checkSecret, "--max-body", "1MiB")
		checkOutput(t, got, exitOK, nil, nil)
		checkNoSecret(t, got, checkSecret)
		rows, last := mustCheckTable(t, got.stdout)
		checkTableVerdicts(t, rows, all, nil)
		if want := "✓ all " + strconv.Itoa(len(all)) + " scenarios passed"; last != want {
			t.Errorf("last line %q, want %q", last, want)
		}
	})

	// With another secret than the receiver's, every validly signed
	// delivery gets 401; what is refused before the signature is checked
	// (method, length, size, a short body) and what expects 401 anyway
	// still pass.
	t.Run("another secret", func(t *testing.T) {
		failed := []string{"valid-json", "valid-form", "ping", "unknown-event", "both-signatures",
			"invalid-json", "empty-body", "event-missing", "wrong-content-type", "form-without-payload", "still-up"}
		got := runCheckCommand(t, world{}, target, "--secret", otherSecret, "--max-body", "1MiB")
		checkOutput(t, got, exitError, nil, nil)
		rows, last := mustCheckTable(t, got.stdout)
		checkTableVerdicts(t, rows, all, failed)
		if want := failedLine(failed, len(all)); last != want {
			t.Errorf("last line\n%q\nwant\n%q", last, want)
		}
	})
}

// TestCheckConnectionRefused runs check against a port nothing listens
// on: every scenario fails, and says why.
func TestCheckConnectionRefused(t *testing.T) {
	got := runCheckCommand(t, world{}, mustClosedURL(t), "--secret", checkSecret)
	checkOutput(t, got, exitError, nil, nil)
	all := check.Names()
	rows, last := mustCheckTable(t, got.stdout)
	checkTableVerdicts(t, rows, all, all)
	for _, r := range rows {
		if r.got != "-" || !strings.Contains(r.reason, "connection refused") {
			t.Errorf("%s: got %q, reason %q; want no status and connection refused", r.scenario, r.got, r.reason)
		}
	}
	if want := failedLine(all, len(all)); last != want {
		t.Errorf("last line\n%q\nwant\n%q", last, want)
	}
}

func TestCheckUsageErrors(t *testing.T) {
	// A URL nothing listens on: were a case not refused as bad usage, its
	// scenarios would fail at once with exit 1, not hang.
	closed := mustClosedURL(t)
	tests := []struct {
		name       string
		args       []string // after "check"
		env        map[string]string
		wantStderr []string
	}{
		{name: "unknown format", args: []string{closed, "--secret", checkSecret, "--format", "xml"},
			wantStderr: []string{"--format must be table, json or junit", `"xml"`}},
		{name: "unknown colour mode", args: []string{closed, "--secret", checkSecret, "--color", "sometimes"},
			wantStderr: []string{"--color", `"sometimes"`}},
		{name: "expect without a status", args: []string{closed, "--secret", checkSecret, "--expect", "bad"},
			wantStderr: []string{"--expect must be SCENARIO=CODE", `"bad"`}},
		{name: "expect names no scenario", args: []string{closed, "--secret", checkSecret, "--expect", "nosuch=401"},
			wantStderr: []string{`--expect names no scenario "nosuch"`, "wrong-secret"}},
		{name: "expect a status that is not one", args: []string{closed, "--secret", checkSecret, "--expect", "wrong-secret=4o3"},
			wantStderr: []string{"--expect wrong-secret", `"4o3" is not an HTTP status`}},
		{name: "only names no scenario", args: []string{closed, "--secret", checkSecret, "--only", "nosuch"},
			wantStderr: []string{`--only names no scenario "nosuch"`, "valid-json"}},
		{name: "skip names no scenario", args: []string{closed, "--secret", checkSecret, "--skip", "valid-json,nosuch"},
			wantStderr: []string{`--skip names no scenario "nosuch"`}},
		{name: "only and skip leave nothing", args: []string{closed, "--secret", checkSecret, "--only", "valid-json", "--skip", "valid-json"},
			wantStderr: []string{"leave no scenario to run"}},
		{name: "zero max body", args: []string{closed, "--secret", checkSecret, "--max-body", "0"},
			wantStderr: []string{"--max-body", `"0"`}},
		{name: "zero timeout", args: []string{closed, "--secret", checkSecret, "--timeout", "0"},
			wantStderr: []string{"--timeout must be positive"}},
		{name: "negative timeout", args: []string{closed, "--secret", checkSecret, "--timeout", "-1s"},
			wantStderr: []string{"--timeout must be positive"}},
		{name: "two URLs", args: []string{closed, closed, "--secret", checkSecret},
			wantStderr: []string{"check takes one URL"}},
		{name: "no secret", args: []string{closed},
			wantStderr: []string{"no secret to sign with", "--secret-file", envSecret, "the receiver's"}},
		{name: "unknown provider without a secret", args: []string{closed, "--provider", "nope"},
			wantStderr: []string{`unknown provider "nope"`, "github"}},
		{name: "unknown provider from the environment without a secret", args: []string{closed}, env: map[string]string{envProvider: "nope"},
			wantStderr: []string{`unknown provider "nope"`}},
		{name: "secret and secret file", args: []string{closed, "--secret", checkSecret, "--secret-file", "secret.txt"},
			wantStderr: []string{"--secret and --secret-file"}},
		{name: "not an http URL", args: []string{"ftp://x", "--secret", checkSecret},
			wantStderr: []string{"the URL must be an http or https URL", `"ftp://x"`}},
		{name: "URL without a host", args: []string{"http:///webhook", "--secret", checkSecret},
			wantStderr: []string{"the URL must be an http or https URL", `"http:///webhook"`}},
		{name: "bad URL from the environment", args: []string{"--secret", checkSecret}, env: map[string]string{envURL: "localhost:8080"},
			wantStderr: []string{"the URL must be an http or https URL", `"localhost:8080"`}},
		{name: "URL with a password", args: []string{"http://user:hunter2@127.0.0.1:1/webhook", "--secret", checkSecret},
			wantStderr: []string{"the URL must not hold a user or password"}},
		{name: "unknown flag", args: []string{closed, "--secret", checkSecret, "--frobnicate"},
			wantStderr: []string{"frobnicate"}},
		{name: "unknown profile", args: []string{closed, "--secret", checkSecret, "--profile", "lenient"},
			wantStderr: []string{`no profile "lenient"`, "the profiles are security, strict"}},
		{name: "unknown profile without a secret", args: []string{closed, "--profile", "lenient"},
			wantStderr: []string{`no profile "lenient"`, "security, strict"}},
		{name: "unknown profile, listing", args: []string{"--list", "--profile", "lenient"},
			wantStderr: []string{`no profile "lenient"`, "security, strict"}},
		{name: "only outside the profile", args: []string{closed, "--secret", checkSecret, "--profile", "security", "--only", "chunked"},
			wantStderr: []string{`--only names no scenario "chunked" in the security profile`, "wrong-secret"}},
		{name: "negative wait", args: []string{closed, "--secret", checkSecret, "--wait", "-1s"},
			wantStderr: []string{"--wait must not be negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCheckCommand(t, world{env: tt.env}, tt.args...)
			checkOutput(t, got, exitUsage, nil, tt.wantStderr)
			if got.stdout != "" {
				t.Errorf("stdout is not empty:\n%s", got.stdout)
			}
			if !strings.HasPrefix(got.stderr, "hooklab: ") || strings.Count(got.stderr, "\n") != 1 {
				t.Errorf("stderr is not one line starting with hooklab: %q", got.stderr)
			}
			checkNoSecret(t, got, checkSecret, "hunter2")
		})
	}
}

func TestCheckList(t *testing.T) {
	// --list reads no files.
	got := runCheckCommand(t, inPackageDir, "--list")
	checkOutput(t, got, exitOK, nil, nil)
	if got.stderr != "" {
		t.Errorf("stderr is not empty:\n%s", got.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	if fields := strings.Fields(lines[0]); !slices.Equal(fields, []string{"SCENARIO", "EXPECT", "SENT"}) {
		t.Fatalf("header = %q, want SCENARIO EXPECT SENT", lines[0])
	}
	sent := strings.Index(lines[0], "SENT")
	all := check.Scenarios()
	if len(lines) != len(all)+1 {
		t.Fatalf("%d rows, want one per scenario (%d):\n%s", len(lines)-1, len(all), got.stdout)
	}
	for i, s := range all {
		line := lines[i+1]
		var codes []string
		for _, c := range s.Expect {
			codes = append(codes, strconv.Itoa(c))
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != s.Name || fields[1] != strings.Join(codes, ",") || len(line) < sent || line[sent:] != s.Sent {
			t.Errorf("row %d = %q, want %s %s %s", i+1, line, s.Name, strings.Join(codes, ","), s.Sent)
		}
	}
	golden.Check(t, "check-list.txt", []byte(got.stdout))
}

// TestSliceFlagsKeepCommas: urfave/cli splits slice flag values at commas
// unless told not to, which cut check's --expect SCENARIO=401,403 in two
// and send's --header value in two at any comma. Each flag now splits its
// own values where commas separate items.
func TestSliceFlagsKeepCommas(t *testing.T) {
	headers := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case headers <- r.Header.Get("X-Tags"):
		default:
		}
	}))
	defer srv.Close()

	got := runHooklab(t, world{env: map[string]string{envSecret: checkSecret}, random: seededRandom(t.Name())},
		"send", "ping", "--url", srv.URL+receiver.DefaultPath, "-H", "X-Tags: a, b", "--expect", "200,204")
	checkOutput(t, got, exitOK, nil, nil)
	select {
	case h := <-headers:
		if h != "a, b" {
			t.Errorf("X-Tags arrived as %q, want %q", h, "a, b")
		}
	default:
		t.Fatalf("the delivery did not arrive\nstdout:\n%s\nstderr:\n%s", got.stdout, got.stderr)
	}
}

// reasonableReceiver is a receiver written by hand, as most are: it reads
// the body, verifies X-Hub-Signature-256 over it, answers 403 to a bad
// signature and 200 to anything else, with no opinion on lengths, sizes,
// methods, content types, event headers or form mode. With presenceOnly it
// is broken: any signature that is there passes.
func reasonableReceiver(secret string, presenceOnly bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > 1<<20 { // refused unread: its body is never sent
			http.Error(w, "too large", http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		sig := r.Header.Get("X-Hub-Signature-256")
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		valid := hmac.Equal([]byte(sig), []byte("sha256="+hex.EncodeToString(mac.Sum(nil))))
		if !valid && !(presenceOnly && sig != "") {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		io.WriteString(w, "ok\n")
	})
}

// mustServeCheckTarget serves h until the test ends and returns its
// webhook URL.
func mustServeCheckTarget(tb testing.TB, h http.Handler) string {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL + receiver.DefaultPath
}

// profileNamesOf returns the names of a profile's GitHub scenarios.
func profileNamesOf(tb testing.TB, profile string) []string {
	tb.Helper()
	scenarios, err := check.ProfileScenarios("", profile)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, s := range scenarios {
		names = append(names, s.Name)
	}
	return names
}

// TestCheckProfiles: a reasonable receiver passes --profile security and
// fails the strict default; one that lets a wrong signature through fails
// security too.
func TestCheckProfiles(t *testing.T) {
	reasonable := mustServeCheckTarget(t, reasonableReceiver(checkSecret, false))
	presenceOnly := mustServeCheckTarget(t, reasonableReceiver(checkSecret, true))
	security := profileNamesOf(t, check.ProfileSecurity)
	tests := []struct {
		name       string
		target     string
		args       []string
		wantCode   int
		wantRows   []string
		wantFailed []string
		wantFirst  string // the table's first line, after the URL
	}{
		{name: "reasonable, security", target: reasonable, args: []string{"--profile", "security"},
			wantCode: exitOK, wantRows: security, wantFirst: " (security profile)"},
		{name: "reasonable, strict by default", target: reasonable,
			wantCode: exitError, wantRows: check.Names(),
			wantFailed: []string{"signature-missing", "wrong-secret", "body-changed", "signature-no-prefix",
				"signature-not-hex", "signature-truncated", "signature-empty", "sha1-only", "length-missing", "chunked",
				"length-under-body", "invalid-json", "empty-body", "event-missing", "body-too-large",
				"wrong-method", "wrong-content-type", "form-without-payload"}},
		{name: "reasonable, security with --only", target: reasonable, args: []string{"--profile", "security", "--only", "wrong-secret"},
			wantCode: exitOK, wantRows: []string{"wrong-secret"}, wantFirst: " (security profile)"},
		{name: "reasonable, security with --expect", target: reasonable,
			args:     []string{"--profile", "security", "--expect", "wrong-secret=401", "--skip", "valid-json"},
			wantCode: exitError, wantRows: security[1:], wantFailed: []string{"wrong-secret"}, wantFirst: " (security profile)"},
		{name: "presence only, security", target: presenceOnly, args: []string{"--profile", "security"},
			wantCode: exitError, wantRows: security, wantFirst: " (security profile)",
			wantFailed: []string{"wrong-secret", "body-changed", "signature-no-prefix", "signature-not-hex", "signature-truncated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCheckCommand(t, world{}, append([]string{tt.target, "--secret", checkSecret}, tt.args...)...)
			checkOutput(t, got, tt.wantCode, []string{"hooklab check " + tt.target + tt.wantFirst + "\n"}, nil)
			rows, _ := mustCheckTable(t, got.stdout)
			checkTableVerdicts(t, rows, tt.wantRows, tt.wantFailed)
		})
	}

	t.Run("json names the profile", func(t *testing.T) {
		got := runCheckCommand(t, world{}, reasonable, "--secret", checkSecret, "--profile", "security", "--format", "json")
		checkOutput(t, got, exitOK, nil, nil)
		var r struct {
			Profile string `json:"profile"`
			Results []struct {
				Expect    []int `json:"expect"`
				Accept4xx bool  `json:"accept_4xx"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(got.stdout), &r); err != nil {
			t.Fatal(err)
		}
		if r.Profile != check.ProfileSecurity || len(r.Results) != len(security) || !r.Results[1].Accept4xx {
			t.Errorf("profile %q, %d results (the second %+v), want security, %d, the second accepting any 4xx",
				r.Profile, len(r.Results), r.Results, len(security))
		}
	})
}

func TestCheckListProfile(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		provider string
		profile  string
	}{
		{name: "github security", args: []string{"--profile", "security"}, profile: check.ProfileSecurity},
		{name: "github strict", args: []string{"--profile", "strict"}, profile: check.ProfileStrict},
		{name: "stripe security", args: []string{"--provider", "stripe", "--profile", "security"},
			provider: "stripe", profile: check.ProfileSecurity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCheckCommand(t, world{}, append([]string{"--list"}, tt.args...)...)
			checkOutput(t, got, exitOK, nil, nil)
			want, err := check.ProfileScenarios(tt.provider, tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
			if len(lines) != len(want)+1 {
				t.Fatalf("%d rows, want %d:\n%s", len(lines)-1, len(want), got.stdout)
			}
			for i, s := range want {
				if fields := strings.Fields(lines[i+1]); len(fields) < 2 || fields[0] != s.Name || fields[1] != s.ExpectText() {
					t.Errorf("row %d = %q, want %s %s", i+1, lines[i+1], s.Name, s.ExpectText())
				}
			}
			if tt.profile == check.ProfileSecurity && !strings.Contains(got.stdout, " 4xx ") {
				t.Errorf("the security list expects no 4xx:\n%s", got.stdout)
			}
		})
	}
}

// TestCheckHelpListsProfiles: check --help names every profile and the
// scenarios it holds, as the scenario table has them.
func TestCheckHelpListsProfiles(t *testing.T) {
	got := runHooklab(t, world{}, "check", "--help")
	checkOutput(t, got, exitOK, nil, nil)
	_, help, found := strings.Cut(got.stdout, "Profiles (--profile")
	if !found {
		t.Fatalf("no Profiles section in check --help:\n%s", got.stdout)
	}
	help, _, _ = strings.Cut(help, "\n\n")
	text := strings.Join(strings.Fields(help), " ")
	for _, p := range check.Profiles() {
		want := p.Name + " " + p.Summary + ". Scenarios: " + strings.Join(profileNamesOf(t, p.Name), ", ")
		if !strings.Contains(text, want) {
			t.Errorf("check --help does not say, wrapped or not:\n%s\nit says:\n%s", want, help)
		}
	}
}

// TestCheckWait: --wait waits for a receiver that starts late, and says in
// one error that nothing came when none does.
func TestCheckWait(t *testing.T) {
	t.Run("never starts", func(t *testing.T) {
		target := mustClosedURL(t)
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		got := runCheckCommand(t, world{}, target, "--secret", checkSecret, "--wait", "300ms")
		checkOutput(t, got, exitError, nil, []string{
			"hooklab: waiting up to 300ms for " + u.Host + " to accept connections\n",
			"hooklab: nothing accepted connections at " + u.Host + " within 300ms"})
		if got.stdout != "" {
			t.Errorf("stdout is not empty: no scenario ran\n%s", got.stdout)
		}
		if n := strings.Count(got.stderr, "\n"); n != 2 {
			t.Errorf("stderr has %d lines, want the wait and the error:\n%s", n, got.stderr)
		}
	})

	t.Run("starts late", func(t *testing.T) {
		target := mustClosedURL(t)
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		var stdout bytes.Buffer
		waiting := make(chan struct{})
		stderr := &firstWrite{signal: waiting}
		sys := world{random: seededRandom(t.Name())}.system(t, &stdout, stderr)
		code := make(chan int, 1)
		go func() {
			code <- runWith(t.Context(), []string{"hooklab", "check", target, "--secret", checkSecret,
				"--wait", "2m", "--only", "valid-json", "--env-file", os.DevNull}, sys)
		}()
		select {
		case <-waiting: // check has tried once and said it waits
		case c := <-code:
			t.Fatalf("check exited %d before anything listened\nstdout:\n%s\nstderr:\n%s", c, stdout.String(), stderr.String())
		}
		ln, err := net.Listen("tcp", u.Host)
		if err != nil {
			t.Skipf("the free port was taken meanwhile: %v", err)
		}
		srv := &http.Server{Handler: reasonableReceiver(checkSecret, false)}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		if c := <-code; c != exitOK {
			t.Errorf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", c, stdout.String(), stderr.String())
		}
		if !strings.Contains(stdout.String(), "✓ all 1 scenarios passed") {
			t.Errorf("the scenario did not pass:\n%s", stdout.String())
		}
	})
}

// firstWrite is a writer that closes signal at its first write.
type firstWrite struct {
	bytes.Buffer
	signal chan struct{}
	once   sync.Once
}

func (f *firstWrite) Write(p []byte) (int, error) {
	n, err := f.Buffer.Write(p)
	f.once.Do(func() { close(f.signal) })
	return n, err
}

// TestCheckSecretWarnings: check warns on stderr, as listen does, about a
// short secret and one with white space around it, and never prints it.
func TestCheckSecretWarnings(t *testing.T) {
	target := mustAnswer200(t)
	tests := []struct {
		name       string
		args       []string
		file       string // the contents of secret.txt, when set
		secret     string // what must not be printed
		wantStderr []string
	}{
		{name: "short", args: []string{"--secret", "hunter2"}, secret: "hunter2",
			wantStderr: []string{"hooklab: warning: the secret from --secret is 7 characters; use at least 32"}},
		{name: "spaces around it, from a file", file: "  " + checkSecret + "  \n", args: []string{"--secret-file", "secret.txt"},
			secret: checkSecret, wantStderr: []string{"hooklab: warning: the secret from --secret-file secret.txt starts or ends with white space"}},
		{name: "a second newline, from a file", file: checkSecret + "\n\n", args: []string{"--secret-file", "secret.txt"},
			secret: checkSecret, wantStderr: []string{"starts or ends with white space"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got := runCheckCommand(t, world{dir: dir}, append([]string{target, "--only", "valid-json"}, tt.args...)...)
			checkOutput(t, got, exitOK, nil, tt.wantStderr)
			checkNoSecret(t, got, tt.secret)
		})
	}

	t.Run("a good secret, no warning", func(t *testing.T) {
		got := runCheckCommand(t, world{}, target, "--only", "valid-json", "--secret", checkSecret)
		checkOutput(t, got, exitOK, nil, nil)
		if got.stderr != "" {
			t.Errorf("stderr is not empty:\n%s", got.stderr)
		}
	})
}

// TestCheckTableWidthNotTerminal: written to a file, the table keeps its
// natural width whatever $COLUMNS says (check_tty_linux_test.go has the
// terminal).
func TestCheckTableWidthNotTerminal(t *testing.T) {
	target := mustAnswer200(t)
	out, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var stderr bytes.Buffer
	w := world{env: map[string]string{"COLUMNS": "80"}, random: seededRandom(t.Name())}
	code := runWith(t.Context(), []string{"hooklab", "check", target, "--secret", checkSecret, "--env-file", os.DevNull},
		w.system(t, out, &stderr))
	if code != exitError {
		t.Errorf("exit code %d, want 1\nstderr:\n%s", code, stderr.String())
	}
	data, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := mustCheckTable(t, string(data))
	if got := scenarioNames(rows); !slices.Equal(got, check.Names()) {
		t.Errorf("rows %q, want every scenario", got)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if utf8.RuneCountInString(l) > 100 {
			return // the natural width: SENT alone is 69 columns
		}
	}
	t.Errorf("the table was fitted to a terminal's width in a file:\n%s", data)
}
