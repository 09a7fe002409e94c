package main

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/internal/golden"
	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// loadJSON is the part of load mode's JSON object the tests read.
type loadJSON struct {
	Request struct {
		URL    string `json:"url"`
		Source string `json:"source"`
		Event  string `json:"event"`
	} `json:"request"`
	Requests     int            `json:"requests"`
	Answered     int            `json:"answered"`
	Errors       map[string]int `json:"errors"`
	ErrorSamples []string       `json:"error_samples"`
	Statuses     map[string]int `json:"statuses"`
	Unexpected   int            `json:"unexpected"`
	RPS          *float64       `json:"rps"`
	LatencyMS    map[string]any `json:"latency_ms"`
	ElapsedMS    *float64       `json:"elapsed_ms"`
	Interrupted  bool           `json:"interrupted"`
	Expected     string         `json:"expected"`
	OK           bool           `json:"ok"`
}

// mustLoadJSON reads the one JSON object of `send --count N --json`.
func mustLoadJSON(tb testing.TB, got result) loadJSON {
	tb.Helper()
	var r loadJSON
	if err := json.Unmarshal([]byte(got.stdout), &r); err != nil || strings.Count(got.stdout, "\n") != 1 {
		tb.Fatalf("stdout is not one JSON object (%v):\n%s\nstderr:\n%s", err, got.stdout, got.stderr)
	}
	for _, key := range []string{"p50", "p90", "p99", "max"} {
		if _, ok := r.LatencyMS[key].(float64); !ok {
			tb.Errorf("latency_ms has no %s: %v", key, r.LatencyMS)
		}
	}
	for _, key := range []string{"refused", "timeout", "closed", "other"} {
		if _, ok := r.Errors[key]; !ok {
			tb.Errorf("errors has no %s: %v", key, r.Errors)
		}
	}
	if r.RPS == nil || r.ElapsedMS == nil {
		tb.Errorf("rps or elapsed_ms is missing:\n%s", got.stdout)
	}
	return r
}

// noErrors is load mode's errors object when every request got an answer.
var noErrors = map[string]int{"refused": 0, "timeout": 0, "closed": 0, "other": 0}

// TestLoadToListen drives `hooklab listen` with load runs that each give
// every request a delivery id of its own, and checks both ends.
func TestLoadToListen(t *testing.T) {
	p := startListen(t, world{env: map[string]string{envSecret: sendSecret}},
		"listen", "--addr", "127.0.0.1:0", "--log-format", "json")
	env := map[string]string{envSecret: sendSecret}
	tests := []struct {
		name         string
		random       bool // randomness of its own; the world's 32 bytes otherwise
		args         []string
		env          map[string]string
		wantCode     int
		wantStatuses map[string]int
	}{
		{
			// The world's randomness is 32 bytes: enough to seed the ids of
			// a whole run, if it is read once.
			name: "push", args: []string{"push", "--count", "200", "--concurrency", "8"}, env: env,
			wantStatuses: map[string]int{"200": 200},
		},
		{
			name: "wrong signature expected", random: true, env: env,
			args:         []string{"--signature", "wrong", "--count", "20", "--concurrency", "3", "--expect", "401"},
			wantStatuses: map[string]int{"401": 20},
		},
		{
			name: "wrong secret", random: true, env: map[string]string{envSecret: otherSecret},
			args: []string{"pull_request", "--count", "20", "--concurrency", "2"}, wantCode: exitError,
			wantStatuses: map[string]int{"401": 20},
		},
		{
			name: "duration and rate", random: true, env: env,
			args:         []string{"--count", "10", "--duration", "1m", "--rate", "1000", "--concurrency", "2"},
			wantStatuses: map[string]int{"200": 10},
		},
	}
	wantLogged := map[float64]int{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := world{env: tt.env}
			if tt.random {
				w.random = seededRandom(t.Name())
			}
			got := runHooklab(t, w, append([]string{"send", "--url", p.webhookURL, "--json"}, tt.args...)...)
			checkNoSecret(t, got, sendSecret)
			if got.code != tt.wantCode || got.stderr != "" {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, tt.wantCode, got.stdout, got.stderr)
			}
			r := mustLoadJSON(t, got)
			total := 0
			for status, n := range tt.wantStatuses {
				total += n
				code, err := strconv.ParseFloat(status, 64)
				if err != nil {
					t.Fatal(err)
				}
				wantLogged[code] += n
			}
			if !maps.Equal(r.Statuses, tt.wantStatuses) || r.Requests != total || r.Answered != total || !maps.Equal(r.Errors, noErrors) {
				t.Errorf("requests %d, answered %d, statuses %v, errors %v; want %d, %d, %v, none",
					r.Requests, r.Answered, r.Statuses, r.Errors, total, total, tt.wantStatuses)
			}
			if r.OK != (tt.wantCode == exitOK) || r.Request.URL != p.webhookURL {
				t.Errorf("ok %v, url %q; want %v, %q", r.OK, r.Request.URL, tt.wantCode == exitOK, p.webhookURL)
			}
			if !r.OK && r.Unexpected != total {
				t.Errorf("unexpected %d, want %d", r.Unexpected, total)
			}
		})
	}
	if code := p.stop(t); code != exitOK {
		t.Errorf("listen: exit code %d, want 0\nstderr:\n%s", code, p.stderr)
	}

	byID := deliveryRecords(t, p.stdout.String())
	gotLogged := map[float64]int{}
	for id, recs := range byID {
		if id == "" || len(recs) != 1 || recs[0]["msg"] != receiver.MsgDelivery {
			t.Errorf("delivery id %q was logged %d times (%v), want once, as a first delivery", id, len(recs), recs)
		}
		for _, rec := range recs {
			status, _ := rec[receiver.KeyStatus].(float64)
			gotLogged[status]++
		}
	}
	if !maps.Equal(gotLogged, wantLogged) {
		t.Errorf("listen logged these statuses (with their counts) %v, want %v", gotLogged, wantLogged)
	}
}

// TestLoadText checks the summary against listen, and the progress line
// on a terminal. The clock stands still in tests, so times are 0.
func TestLoadText(t *testing.T) {
	p := startListen(t, world{env: map[string]string{envSecret: sendSecret}},
		"listen", "--addr", "127.0.0.1:0", "--log-format", "json")
	push, _ := fixtures.Lookup("push")
	wantSummary := "✓ push  fixture push, " + term.HumanBytes(int64(len(push.Body))) + ", signature valid, json → " + p.webhookURL + "\n" +
		"  requests  10 in 0.0ms, 2 at a time: 0.0 req/s, " + term.HumanBytes(int64(10*len(push.Body))) + " sent\n" +
		"  latency   p50 0.00ms  p90 0.00ms  p99 0.00ms  max 0.00ms\n" +
		"  statuses  200 ×10  ok: delivery verified and accepted\n" +
		"  errors    none\n"
	tests := []struct {
		name     string
		terminal bool
		want     string
	}{
		{name: "not a terminal", want: wantSummary},
		{
			// Progress is drawn at least once, at the end, and wiped before
			// the summary.
			name: "terminal", terminal: true,
			want: "\r10/10 done (100%)  0 req/s  unexpected 0 (0%)  errors 0  ETA 0s\x1b[K\r\x1b[K" + wantSummary,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := world{env: map[string]string{envSecret: sendSecret, "NO_COLOR": "1"}, random: seededRandom(t.Name()), terminal: tt.terminal}
			got := runHooklab(t, w, "send", "push", "--url", p.webhookURL, "--count", "10", "--concurrency", "2")
			if got.code != exitOK || got.stderr != "" {
				t.Errorf("exit code %d, want 0\nstderr:\n%s", got.code, got.stderr)
			}
			// The last progress line drawn is the one with the totals.
			if i := strings.LastIndex(got.stdout, "\r10/10 done"); i > 0 {
				got.stdout = got.stdout[i:]
			}
			if got.stdout != tt.want {
				t.Errorf("stdout\n%q\nwant\n%q", got.stdout, tt.want)
			}
		})
	}
}

// TestLoadProviders runs a short load of each provider's first fixture
// against `hooklab listen --provider` with the same secret.
func TestLoadProviders(t *testing.T) {
	for _, name := range signing.Providers() {
		t.Run(name, func(t *testing.T) {
			secret := mustProviderSecret(t, name, t.Name())
			p := startProviderListen(t, world{env: map[string]string{envSecret: secret}}, name)
			got := sendWith(t, t.Name(), nil, "--provider", name, "--url", p.webhookURL, "--secret", secret,
				"--count", "5", "--concurrency", "2", "--json")
			checkNoSecret(t, got, secret)
			if got.code != exitOK {
				t.Errorf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", got.code, got.stdout, got.stderr)
			}
			r := mustLoadJSON(t, got)
			if want := map[string]int{"200": 5}; !maps.Equal(r.Statuses, want) || !r.OK {
				t.Errorf("statuses %v, ok %v; want %v, true", r.Statuses, r.OK, want)
			}
			if code := p.stop(t); code != exitOK {
				t.Errorf("listen: exit code %d, want 0\nstderr:\n%s", code, p.stderr)
			}
			// Where the delivery id is a header, each request has its own.
			// Stripe's and Slack's are in the payload, which is sent as it
			// is: listen sees the same event again.
			idInPayload := name == signing.ProviderStripe || name == signing.ProviderSlack
			logged := loggedDeliveries(t, p.stdout.String())
			ids := map[any]bool{}
			for _, rec := range logged {
				if rec[receiver.KeyStatus] != 200.0 || (!idInPayload && rec["msg"] != receiver.MsgDelivery) {
					t.Errorf("logged %v, want a delivery with status 200", rec)
				}
				ids[rec[receiver.KeyDelivery]] = true
			}
			wantIDs := 5
			if idInPayload {
				wantIDs = 1
			}
			if len(logged) != 5 || len(ids) != wantIDs {
				t.Errorf("listen logged %d deliveries with %d ids, want 5 with %d", len(logged), len(ids), wantIDs)
			}
		})
	}
}

// TestLoadNotDelivered: requests that get no answer are counted by kind,
// and the run exits 1.
func TestLoadNotDelivered(t *testing.T) {
	got := runHooklab(t, world{env: map[string]string{envSecret: sendSecret}}, "send", "--url", mustClosedURL(t),
		"--count", "3", "--json")
	if got.code != exitError || got.stderr != "" {
		t.Errorf("exit code %d, want 1\nstderr:\n%s", got.code, got.stderr)
	}
	r := mustLoadJSON(t, got)
	wantErrors := map[string]int{"refused": 3, "timeout": 0, "closed": 0, "other": 0}
	if !maps.Equal(r.Errors, wantErrors) || r.Answered != 0 || len(r.Statuses) != 0 || r.OK {
		t.Errorf("errors %v, answered %d, statuses %v, ok %v; want %v, 0, none, false", r.Errors, r.Answered, r.Statuses, r.OK, wantErrors)
	}
	if len(r.ErrorSamples) != 1 || !strings.Contains(r.ErrorSamples[0], "is hooklab listen running?") {
		t.Errorf("error samples %q, want the one refusal with its hint", r.ErrorSamples)
	}
}

// TestLoadInterrupted: a run stopped (Ctrl-C) before it is done prints
// what it did and exits 1.
func TestLoadInterrupted(t *testing.T) {
	got := runStopped(t, world{env: map[string]string{envSecret: sendSecret}, random: seededRandom(t.Name())},
		"send", "--url", mustClosedURL(t), "--count", "1000", "--json")
	if got.code != exitError || got.stderr != "" {
		t.Errorf("exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", got.code, got.stdout, got.stderr)
	}
	if r := mustLoadJSON(t, got); !r.Interrupted || r.OK || r.Requests >= 1000 {
		t.Errorf("interrupted %v, ok %v, requests %d; want true, false, fewer than 1000", r.Interrupted, r.OK, r.Requests)
	}
}

func TestLoadUsageErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string // after "send"
		wantStderr string
	}{
		{name: "length missing", args: []string{"--length", "missing", "--count", "5"}, wantStderr: "--length missing: load mode sends only well-formed requests"},
		{name: "length chunked", args: []string{"--length", "chunked", "--duration", "1s"}, wantStderr: "--length chunked: load mode"},
		{name: "declared length", args: []string{"--length", "10", "--count", "5"}, wantStderr: "--length 10: load mode"},
		{name: "no concurrency", args: []string{"--count", "5", "--concurrency", "0"}, wantStderr: "--concurrency must be 1 to 10000, got 0"},
		{name: "concurrency alone", args: []string{"--concurrency", "0"}, wantStderr: "add --count N or --duration D"},
		{name: "too much concurrency", args: []string{"--count", "5", "--concurrency", "10001"}, wantStderr: "--concurrency must be 1 to 10000, got 10001"},
		{name: "rate alone", args: []string{"--rate", "10"}, wantStderr: "--concurrency and --rate are for load mode"},
		{name: "negative rate", args: []string{"--count", "5", "--rate", "-1"}, wantStderr: "--rate must be a number of requests a second"},
		{name: "negative count", args: []string{"--count", "-1"}, wantStderr: "--count must be a number of requests, got -1"},
		{name: "negative duration", args: []string{"--duration", "-1s"}, wantStderr: "--duration must be positive"},
		{name: "one delivery id", args: []string{"--count", "5", "--delivery", "d-1"}, wantStderr: "load mode gives each request a fresh one"},
		{name: "bad flag of a single send", args: []string{"--count", "5", "--signature", "maybe"}, wantStderr: "--signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Nothing listens at the URL: none of these may send.
			got := runHooklab(t, world{env: map[string]string{envSecret: sendSecret}},
				append([]string{"send", "--url", mustClosedURL(t)}, tt.args...)...)
			checkOutput(t, got, exitUsage, nil, []string{tt.wantStderr})
			if got.stdout != "" {
				t.Errorf("stdout %q, want nothing", got.stdout)
			}
		})
	}
}

// loadSummaryReport is a load run with a bit of everything: statuses
// expected and not, errors of several kinds, interrupted.
func loadSummaryReport(tb testing.TB) loadReport {
	tb.Helper()
	push, _ := fixtures.Lookup("push")
	u, err := url.Parse("http://127.0.0.1:8080/webhook")
	if err != nil {
		tb.Fatal(err)
	}
	expect, err := sender.ParseExpect([]string{"2xx,401"})
	if err != nil {
		tb.Fatal(err)
	}
	plan := sendPlan{
		delivery: sender.Delivery{
			Provider: signing.ProviderGitHub, URL: u, Event: push.Event, ID: "d-1", Payload: push.Body,
			ContentType: sender.ContentJSON, Secret: sendSecret, Signature: sender.SignatureValid,
		},
		source: "fixture push", expect: expect,
	}
	first, err := plan.delivery.Request()
	if err != nil {
		tb.Fatal(err)
	}
	ms := time.Millisecond
	stats := &sender.LoadReport{
		LoadStats: sender.LoadStats{Sent: 1000, Answered: 990, Failed: 7, Elapsed: 2500 * ms},
		Statuses:  map[int]int{200: 980, 401: 6, 503: 4},
		Reasons: map[int]string{
			200: "ok: delivery verified and accepted", 401: "signature_mismatch: the body or the secret differs",
			503: "busy",
		},
		Errors: sender.LoadErrors{Timeout: 5, Closed: 2, Samples: []string{
			"not delivered to 127.0.0.1:8080: no answer in 10s (the receiver may be stuck, or waiting for more of the body)",
			"not delivered to 127.0.0.1:8080: connection closed without an answer",
		}},
		Latency:     sender.Latency{P50: 1200 * time.Microsecond, P90: 3 * ms, P99: 12 * ms, Max: 250 * ms},
		BodyBytes:   int64(1000 * len(push.Body)),
		Interrupted: true,
	}
	return newLoadReport(plan, first, loadOptions{Count: 5000, Concurrency: 16, Rate: 400}, stats)
}

func TestLoadSummaryGolden(t *testing.T) {
	r := loadSummaryReport(t)
	if r.OK || r.Unexpected != 4 {
		t.Errorf("ok %v, unexpected %d; want false, 4", r.OK, r.Unexpected)
	}
	for _, tt := range []struct {
		name  string
		color bool
	}{{"load-summary.txt", false}, {"load-summary-color.txt", true}} {
		var out bytes.Buffer
		r.print(&out, term.NewPalette(tt.color))
		golden.Check(t, tt.name, out.Bytes())
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "load-summary.json", append(js, '\n'))
}

// lastProgressLine splits a load run's stdout on a terminal into the last
// progress line drawn (without its \r and erase) and what follows the
// erase that ends the run.
func lastProgressLine(tb testing.TB, stdout string) (line, rest string) {
	tb.Helper()
	const erase = "\x1b[K"
	end := strings.LastIndex(stdout, erase+"\r"+erase)
	start := strings.LastIndex(stdout[:max(end, 0)], "\r")
	if end < 0 || start < 0 {
		tb.Fatalf("no progress line in stdout:\n%q", stdout)
	}
	return stdout[start+1 : end], stdout[end+len(erase+"\r"+erase):]
}

// TestLoadProgress runs load mode on a terminal against a server that
// answers every third request 503: the progress line counts the answers
// --expect did not expect, and is wiped before the summary. The clock
// stands still, so the rate is 0 and the run, once done, has 0s to go.
func TestLoadProgress(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1)%3 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	tests := []struct {
		name     string
		terminal bool
		args     []string
		want     string // the last progress line; none when ""
	}{
		{name: "503 unexpected", terminal: true, want: "30/30 done (100%)  0 req/s  unexpected 10 (33.3%)  errors 0  ETA 0s"},
		{
			name: "only 503 expected", terminal: true, args: []string{"--expect", "503"},
			want: "30/30 done (100%)  0 req/s  unexpected 20 (66.7%)  errors 0  ETA 0s",
		},
		{name: "not a terminal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n.Store(0)
			w := world{env: map[string]string{envSecret: sendSecret, "NO_COLOR": "1"}, random: seededRandom(t.Name()), terminal: tt.terminal}
			got := runHooklab(t, w, append([]string{"send", "push", "--url", srv.URL + "/webhook", "--count", "30", "--concurrency", "3"}, tt.args...)...)
			checkNoSecret(t, got, sendSecret)
			if got.code != exitError {
				t.Errorf("exit code %d, want %d (unexpected answers)\nstderr:\n%s", got.code, exitError, got.stderr)
			}
			if tt.want == "" {
				if strings.ContainsAny(got.stdout, "\r\x1b") {
					t.Errorf("stdout has a progress line, want none:\n%q", got.stdout)
				}
				return
			}
			line, rest := lastProgressLine(t, got.stdout)
			if line != tt.want {
				t.Errorf("last progress line\n%q\nwant\n%q", line, tt.want)
			}
			if !strings.HasPrefix(rest, "✗ push") || strings.ContainsAny(rest, "\r\x1b") {
				t.Errorf("after the progress line, want only the summary:\n%q", rest)
			}
		})
	}
}
