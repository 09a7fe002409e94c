package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/internal/golden"
	"github.com/hooklab/hooklab/internal/servetest"
	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// replayReceived is when the replay tests' records were received: long
// before testNow, so a recorded timestamp is stale.
var replayReceived = time.Date(2024, 12, 31, 23, 0, 0, 0, time.UTC)

const replayStripeSecret = "whsec_replay-cmd-test-stripe-Secret-77"

// replayRecord is a GitHub delivery as it came: odd-case and repeated
// header names, hop-by-hop headers, and a body of every byte value.
func replayRecord(seq uint64, event string, status int) *capture.Record {
	body := make([]byte, 256)
	for i := range body {
		body[i] = byte(i)
	}
	return &capture.Record{
		Seq: seq, Time: replayReceived.Add(time.Duration(seq) * time.Second), Remote: "192.0.2.7:50123",
		Method: "POST", Target: "/webhook", Proto: "HTTP/1.1",
		Headers: []capture.Header{
			{"Host", "127.0.0.1:8080"},
			{"user-agent", "GitHub-Hookshot/044aadd"},
			{"X-GitHub-Event", event},
			{"x-github-delivery", "delivery-" + strconv.FormatUint(seq, 10)},
			{"X-Thing", "one"},
			{"connection", "keep-alive"},
			{"x-THING", "two"},
			{"Content-Length", "256"},
			{"content-type", "application/octet-stream"},
		},
		HeadersOrder: capture.OrderWire,
		Body:         body, BodySHA256: "not checked by replay", BodyComplete: true,
		Verdict: capture.Verdict{
			Status: status, Reason: map[int]string{200: "ok", 401: "signature_mismatch"}[status],
			Provider: "github", Event: event, Delivery: "delivery-" + strconv.FormatUint(seq, 10), DurationMS: 0.5,
		},
		Answered: status,
	}
}

// replaySentLines are replayRecord's header lines a replay sends, in order.
func replaySentLines(event string, seq uint64) []string {
	return []string{
		"user-agent: GitHub-Hookshot/044aadd",
		"X-GitHub-Event: " + event,
		"x-github-delivery: delivery-" + strconv.FormatUint(seq, 10),
		"X-Thing: one",
		"x-THING: two",
		"content-type: application/octet-stream",
		"Content-Length: 256",
	}
}

// stripeReplayRecord is a Stripe delivery signed when it was received.
func stripeReplayRecord(tb testing.TB) *capture.Record {
	tb.Helper()
	body := []byte(`{"id":"evt_9","type":"invoice.paid"}`)
	scheme, err := signing.New(signing.ProviderStripe, []string{replayStripeSecret}, signing.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	h, err := scheme.Sign(signing.Message{Body: body, Time: replayReceived})
	if err != nil {
		tb.Fatal(err)
	}
	return &capture.Record{
		Seq: 1, Time: replayReceived, Method: "POST", Target: "/webhook",
		Headers: []capture.Header{
			{"Content-Type", "application/json"},
			{"Stripe-Signature", h.Get("Stripe-Signature")},
		},
		Body: body, BodyComplete: true,
		Verdict:  capture.Verdict{Status: 200, Reason: "ok", Provider: "stripe", Event: "invoice.paid", Delivery: "evt_9"},
		Answered: 200,
	}
}

// mustCaptureFile writes recs as a capture file in dir and returns its path.
func mustCaptureFile(tb testing.TB, dir string, recs ...*capture.Record) string {
	tb.Helper()
	var b bytes.Buffer
	for _, r := range recs {
		line, err := r.Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return mustWriteFile(tb, dir, "deliveries.ndjson", b.String())
}

// rawAnswer is what the raw recorder answers every request with.
const rawAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"reason\":\"ok\"}"

// mustRawRecorder starts a servetest.RawRecorder that answers 200 and
// returns its webhook URL.
func mustRawRecorder(tb testing.TB) (string, <-chan servetest.RawRequest) {
	tb.Helper()
	addr, got := servetest.RawRecorder(tb, rawAnswer)
	return "http://" + addr + "/webhook", got
}

// mustRecorded returns the recorder's next request.
func mustRecorded(tb testing.TB, got <-chan servetest.RawRequest) servetest.RawRequest {
	tb.Helper()
	return servetest.NextRaw(tb, got)
}

// rawHeader is r's headers as net/http reads them.
func rawHeader(tb testing.TB, r servetest.RawRequest) http.Header {
	tb.Helper()
	h, err := r.Header()
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// TestReplayByteExact: capture → replay → a raw recorder sees the same
// header lines in the same order and spelling, and the exact body.
func TestReplayByteExact(t *testing.T) {
	dir := t.TempDir()
	rec := replayRecord(4, "push", 200)
	file := mustCaptureFile(t, dir, rec)
	target, got := mustRawRecorder(t)

	res := runHooklab(t, world{dir: dir}, "replay", file, "--url", target)
	checkOutput(t, res, exitOK, []string{"✓ 200 push  capture seq 4, 256 B, signature as recorded, length auto, application/octet-stream"}, nil)
	r := mustRecorded(t, got)
	host := strings.TrimPrefix(strings.TrimSuffix(target, "/webhook"), "http://")
	want := append([]string{"POST /webhook HTTP/1.1", "Host: " + host}, replaySentLines("push", 4)...)
	if strings.Join(r.Lines(), "\n") != strings.Join(want, "\n") {
		t.Errorf("head differs\n got: %q\nwant: %q", r.Lines(), want)
	}
	if !bytes.Equal(r.Body, rec.Body) {
		t.Errorf("body differs: %x", r.Body)
	}
}

func TestReplayResign(t *testing.T) {
	dir := t.TempDir()
	rec := stripeReplayRecord(t)
	file := mustCaptureFile(t, dir, rec)
	verifier, err := signing.New(signing.ProviderStripe, []string{replayStripeSecret}, signing.Options{Tolerance: signing.DefaultTolerance})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("verbatim keeps the stale signature", func(t *testing.T) {
		target, got := mustRawRecorder(t)
		res := runHooklab(t, world{dir: dir}, "replay", file, "--url", target)
		checkOutput(t, res, exitOK, []string{"signature as recorded"}, nil)
		h := rawHeader(t, mustRecorded(t, got))
		if h.Get("Stripe-Signature") != rec.Headers[1].Value() {
			t.Errorf("Stripe-Signature %q, want the recorded one", h.Get("Stripe-Signature"))
		}
	})
	t.Run("resign signs afresh", func(t *testing.T) {
		target, got := mustRawRecorder(t)
		res := runHooklab(t, world{dir: dir, env: map[string]string{envSecret: replayStripeSecret}}, "replay", file, "--url", target, "--resign")
		checkOutput(t, res, exitOK, []string{"signature re-signed"}, nil)
		checkNoSecret(t, res, replayStripeSecret)
		r := mustRecorded(t, got)
		if err := signing.Verify(verifier, rawHeader(t, r), r.Body, testNow); err != nil {
			t.Errorf("the re-signed delivery does not verify at testNow: %v", err)
		}
	})
	t.Run("resign needs a secret", func(t *testing.T) {
		res := runHooklab(t, world{dir: dir}, "replay", file, "--url", mustClosedURL(t), "--resign")
		checkOutput(t, res, exitUsage, nil, []string{"no secret to sign with", envSecret})
	})
}

func TestReplayNewID(t *testing.T) {
	dir := t.TempDir()
	file := mustCaptureFile(t, dir, replayRecord(1, "push", 200))
	target, got := mustRawRecorder(t)
	wantID, err := sender.NewID(bytes.NewReader(testRandom()))
	if err != nil {
		t.Fatal(err)
	}
	res := runHooklab(t, world{dir: dir}, "replay", file, "--url", target, "--new-id", "--json")
	checkOutput(t, res, exitOK, []string{`"delivery":"` + wantID + `"`}, nil)
	r := mustRecorded(t, got)
	if got := rawHeader(t, r).Get("X-GitHub-Delivery"); got != wantID {
		t.Errorf("X-GitHub-Delivery %q, want the fresh id %q", got, wantID)
	}
	if r.Lines()[4] != "x-github-delivery: "+wantID {
		t.Errorf("header line %q, want the new id in the recorded place and spelling", r.Lines()[4])
	}
}

// replayedSeqs returns the seqs of --json replay output, in order.
func replayedSeqs(tb testing.TB, stdout string) []string {
	tb.Helper()
	var seqs []string
	for line := range strings.Lines(stdout) {
		var rep struct {
			Request struct{ Source string }
		}
		if err := json.Unmarshal([]byte(line), &rep); err != nil {
			tb.Fatalf("not JSON: %q: %v", line, err)
		}
		seqs = append(seqs, strings.TrimPrefix(rep.Request.Source, "capture seq "))
	}
	return seqs
}

func TestReplayFilters(t *testing.T) {
	dir := t.TempDir()
	file := mustCaptureFile(t, dir,
		replayRecord(1, "ping", 200), replayRecord(2, "push", 401), replayRecord(3, "push", 200), replayRecord(4, "release", 200))
	url := mustAnswer200(t)
	tests := []struct {
		name       string
		args       []string
		want       string // the seqs replayed
		wantCode   int
		wantStderr string
	}{
		{name: "all", want: "1 2 3 4"},
		{name: "seq", args: []string{"--seq", "3", "--seq", "1"}, want: "1 3"},
		{name: "seq list", args: []string{"--seq", "2,4"}, want: "2 4"},
		{name: "last", args: []string{"--last", "2"}, want: "3 4"},
		{name: "event", args: []string{"--event", "push"}, want: "2 3"},
		{name: "status", args: []string{"--status", "4xx"}, want: "2"},
		{name: "event and last", args: []string{"--event", "push,ping", "--last", "1"}, want: "3"},
		{name: "no match", args: []string{"--event", "deployment", "--status", "200"}, wantCode: exitError,
			wantStderr: "no delivery in " + file + " matches --event deployment --status 200; it holds 4 deliveries (seq 1 to 4): ping, push ×2, release\n"},
		{name: "missing seq", args: []string{"--seq", "9"}, wantCode: exitError, wantStderr: "seq in the capture: 9; it holds 4 deliveries"},
		{name: "bad seq", args: []string{"--seq", "three"}, wantCode: exitUsage, wantStderr: "--seq takes a delivery's sequence number"},
		{name: "bad status", args: []string{"--status", "4x"}, wantCode: exitUsage, wantStderr: `--status: status must be a status such as 401`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"replay", file, "--url", url, "--json"}, tt.args...)
			res := runHooklab(t, world{dir: dir}, args...)
			checkOutput(t, res, tt.wantCode, nil, []string{tt.wantStderr})
			if tt.wantCode == exitOK {
				if got := strings.Join(replayedSeqs(t, res.stdout), " "); got != tt.want {
					t.Errorf("replayed seqs %s, want %s", got, tt.want)
				}
			} else if res.stdout != "" {
				t.Errorf("stdout %q, want nothing", res.stdout)
			}
		})
	}
}

func TestReplayExpect(t *testing.T) {
	dir := t.TempDir()
	file := mustCaptureFile(t, dir, replayRecord(1, "ping", 200), replayRecord(2, "push", 200))
	url := mustAnswer200(t)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "2xx by default", wantCode: exitOK, wantStdout: "✓ 200 push"},
		{name: "unexpected", args: []string{"--expect", "401"}, wantCode: exitError,
			wantStdout: "(expected 401)", wantStderr: "of 2 deliveries replayed, 2 answered other than 401"},
		{name: "one unexpected is said once", args: []string{"--expect", "401", "--seq", "1"}, wantCode: exitError, wantStdout: "(expected 401)"},
		{name: "no answer", args: []string{"--url", mustClosedURL(t)}, wantCode: exitError,
			wantStdout: "no answer", wantStderr: "of 2 deliveries replayed, 2 got no answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"replay", file, "--url", url}, tt.args...)
			res := runHooklab(t, world{dir: dir}, args...)
			checkOutput(t, res, tt.wantCode, []string{tt.wantStdout}, []string{tt.wantStderr})
			if tt.name == "one unexpected is said once" && res.stderr != "" {
				t.Errorf("stderr %q, want nothing: the line said it", res.stderr)
			}
		})
	}
}

func TestReplayUsageErrors(t *testing.T) {
	dir := t.TempDir()
	file := mustCaptureFile(t, dir, replayRecord(1, "ping", 200))
	standard := mustCaptureFile(t, t.TempDir(), &capture.Record{
		Seq: 1, Headers: []capture.Header{{"webhook-id", "msg_1"}}, Body: []byte("{}"), BodyComplete: true,
		Verdict: capture.Verdict{Provider: "standard", Status: 200},
	})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no file", args: []string{"replay"}, want: "replay takes one capture FILE"},
		{name: "two files", args: []string{"replay", file, file}, want: "replay takes one capture FILE"},
		{name: "unknown flag", args: []string{"replay", file, "--frobnicate"}, want: "frobnicate"},
		{name: "missing file", args: []string{"replay", filepath.Join(dir, "nope.ndjson")}, want: "does not exist"},
		{name: "bad export", args: []string{"replay", file, "--export", "postman"}, want: "--export must be curl or har"},
		{name: "list and export", args: []string{"replay", file, "--list", "--export", "har"}, want: "not both"},
		{name: "list and resign", args: []string{"replay", file, "--list", "--resign"}, want: "do not go with --list"},
		{name: "out without curl", args: []string{"replay", file, "--out", dir}, want: "--out"},
		{name: "bad url", args: []string{"replay", file, "--url", "127.0.0.1:8080"}, want: "--url must be an http or https URL"},
		{name: "bad timeout", args: []string{"replay", file, "--timeout", "0s"}, want: "--timeout must be positive"},
		{name: "bad expect", args: []string{"replay", file, "--expect", "ok"}, want: "--expect takes a status"},
		{name: "unknown provider", args: []string{"replay", file, "--resign", "--provider", "bitbucket"}, want: `unknown provider "bitbucket"`},
		{name: "provider without resign", args: []string{"replay", file, "--provider", "stripe"}, want: "add --resign"},
		{name: "new id of standard without resign", args: []string{"replay", standard, "--new-id"}, want: "add --resign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runHooklab(t, world{dir: dir}, tt.args...)
			checkOutput(t, res, exitUsage, nil, []string{tt.want})
		})
	}
}

func TestReplayCaptureFileTroubles(t *testing.T) {
	good, err := replayRecord(1, "ping", 200).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	url := mustAnswer200(t)
	tests := []struct {
		name       string
		content    string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "torn last line", content: string(good) + "\n" + `{"v":1,"seq":2,"hea`, wantCode: exitOK,
			wantStdout: "✓ 200 ping", wantStderr: "hooklab: warning: "},
		{name: "corrupt line", content: "{not json\n" + string(good) + "\n", wantCode: exitError, wantStderr: "line 1 (byte offset 0) is corrupt"},
		{name: "empty", content: "", wantCode: exitError, wantStderr: "holds no deliveries"},
		{name: "header that cannot be sent", wantCode: exitError, wantStderr: "control character",
			content: `{"v":1,"seq":1,"method":"POST","headers":[["X-A","1\r\nX-B: 2"]],"body":"e30=","verdict":{"status":200,"provider":"github"}}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := mustWriteFile(t, dir, "c.ndjson", tt.content)
			res := runHooklab(t, world{dir: dir}, "replay", file, "--url", url)
			checkOutput(t, res, tt.wantCode, []string{tt.wantStdout}, []string{tt.wantStderr})
		})
	}
}

func TestReplayIncompleteBodyWarns(t *testing.T) {
	dir := t.TempDir()
	rec := replayRecord(5, "push", 400)
	rec.Body, rec.BodyComplete = rec.Body[:10], false
	file := mustCaptureFile(t, dir, rec)
	target, got := mustRawRecorder(t)
	res := runHooklab(t, world{dir: dir}, "replay", file, "--url", target)
	checkOutput(t, res, exitOK, nil, []string{"seq 5: the body was not received whole; sending the 10 B that arrived (its signature cannot match)"})
	if r := mustRecorded(t, got); !bytes.Equal(r.Body, rec.Body) {
		t.Errorf("body %x, want the 10 bytes that arrived", r.Body)
	}
}

// listRecords are the records of the --list golden files: one forwarded,
// one refused with a cut body, one whose event holds a terminal escape.
func listRecords() []*capture.Record {
	fwd := replayRecord(1, "push", 200)
	fwd.Forward = &capture.Forward{URL: "http://127.0.0.1:3000/", Status: 500, LatencyMS: 12, Body: []byte("app body, not listed")}
	fwd.Answered = 500
	refused := replayRecord(2, "push", 401)
	refused.Body, refused.BodyComplete = nil, false
	odd := replayRecord(3, "evil\x1b[31m", 200)
	odd.Forward = &capture.Forward{URL: "http://127.0.0.1:3000/", Reason: "forward_timeout", Error: "no answer in 10s"}
	odd.Answered = 504
	odd.Exec = &capture.Exec{Program: "./deploy.sh", ExitCode: 0, Stdout: []byte("not listed")}
	return []*capture.Record{fwd, refused, odd}
}

func TestReplayList(t *testing.T) {
	dir := t.TempDir()
	file := mustCaptureFile(t, dir, listRecords()...)
	t.Run("table", func(t *testing.T) {
		res := runHooklab(t, world{dir: dir}, "replay", "--list", file)
		checkOutput(t, res, exitOK, nil, nil)
		golden.Check(t, "replay-list.txt", []byte(res.stdout))
	})
	t.Run("json", func(t *testing.T) {
		res := runHooklab(t, world{dir: dir}, "replay", "--list", "--json", file)
		checkOutput(t, res, exitOK, nil, nil)
		golden.Check(t, "replay-list.json", []byte(res.stdout))
		if strings.Contains(res.stdout, `"body"`) || strings.Contains(res.stdout, `"stdout"`) {
			t.Errorf("--list --json prints bodies:\n%s", res.stdout)
		}
	})
	t.Run("filtered", func(t *testing.T) {
		res := runHooklab(t, world{dir: dir}, "replay", "--list", file, "--status", "401")
		checkOutput(t, res, exitOK, []string{"401 signature_mismatch"}, nil)
		if n := strings.Count(res.stdout, "\n"); n != 2 {
			t.Errorf("%d lines, want the heading and one delivery:\n%s", n, res.stdout)
		}
	})
}

func TestReplayExportCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	dir := t.TempDir()
	rec := replayRecord(2, "push", 200)
	rec.Headers = append(rec.Headers, capture.Header{"X-Evil", `$(touch pwned) 'quoted' "double"`})
	file := mustCaptureFile(t, dir, rec)
	target, got := mustRawRecorder(t)

	res := runHooklab(t, world{dir: dir}, "replay", file, "--export", "curl", "--url", target)
	checkOutput(t, res, exitOK, []string{"# seq 2, push, 256 B in " + file + ".seq2.body\ncurl --http1.1"}, nil)
	body, err := os.ReadFile(file + ".seq2.body")
	if err != nil || !bytes.Equal(body, rec.Body) {
		t.Fatalf("body file: %v, %x; want the body", err, body)
	}

	cmd := exec.CommandContext(t.Context(), "sh", "-c", res.stdout)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	r := mustRecorded(t, got)
	want := append(replaySentLines("push", 2)[:6], `X-Evil: $(touch pwned) 'quoted' "double"`, "Content-Length: 256")
	if strings.Join(r.Lines()[2:], "\n") != strings.Join(want, "\n") {
		t.Errorf("curl sent\n%q\nwant\n%q", r.Lines()[2:], want)
	}
	if !bytes.Equal(r.Body, rec.Body) {
		t.Errorf("curl sent the body %x", r.Body)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("a header value ran as a command")
	}

	t.Run("out", func(t *testing.T) {
		out := t.TempDir()
		res := runHooklab(t, world{dir: dir}, "replay", file, "--export", "curl", "--out", out)
		checkOutput(t, res, exitOK, []string{filepath.Join(out, "deliveries.ndjson.seq2.body")}, nil)
		if _, err := os.Stat(filepath.Join(out, "deliveries.ndjson.seq2.body")); err != nil {
			t.Error(err)
		}
	})
}

func TestReplayExportHAR(t *testing.T) {
	dir := t.TempDir()
	file := mustCaptureFile(t, dir, listRecords()...)
	res := runHooklab(t, world{dir: dir}, "replay", file, "--export", "har", "--seq", "1,2", "--url", "http://127.0.0.1:3000/hook")
	checkOutput(t, res, exitOK, nil, nil)
	var har struct {
		Log struct {
			Version string
			Entries []struct {
				Request struct {
					URL     string
					Headers []struct{ Name, Value string }
				}
				Response struct{ Status int }
			}
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &har); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, res.stdout)
	}
	if har.Log.Version != "1.2" || len(har.Log.Entries) != 2 {
		t.Fatalf("version %q, %d entries; want 1.2 and 2", har.Log.Version, len(har.Log.Entries))
	}
	e := har.Log.Entries[0]
	if e.Request.URL != "http://127.0.0.1:3000/hook" || e.Response.Status != 500 || len(e.Request.Headers) != 6 {
		t.Errorf("entry 1: %s, %d headers, answered %d; want the --url, 6 headers, the app's 500", e.Request.URL, len(e.Request.Headers), e.Response.Status)
	}
}

func TestReplayHelp(t *testing.T) {
	res := runHooklab(t, world{}, "replay", "--help")
	checkOutput(t, res, exitOK, []string{"hooklab replay FILE", "--resign", "--new-id", "--export", "--list", "Examples:"}, nil)
	res = runHooklab(t, world{}, "--help")
	checkOutput(t, res, exitOK, []string{"replay "}, nil)
}

func TestReplayResignWithAnotherProvider(t *testing.T) {
	const standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	dir := t.TempDir()
	file := mustCaptureFile(t, dir, replayRecord(1, "push", 200))
	target, got := mustRawRecorder(t)
	res := runHooklab(t, world{dir: dir, env: map[string]string{envURL: target}},
		"replay", file, "--resign", "--provider", "standard", "--secret", standardSecret)
	checkOutput(t, res, exitOK, []string{"signature re-signed"}, nil)
	r := mustRecorded(t, got)
	verifier, err := signing.New(signing.ProviderStandard, []string{standardSecret}, signing.Options{Tolerance: signing.DefaultTolerance})
	if err != nil {
		t.Fatal(err)
	}
	h := rawHeader(t, r)
	if err := signing.Verify(verifier, h, r.Body, testNow); err != nil {
		t.Errorf("the delivery re-signed for Standard Webhooks does not verify: %v", err)
	}
	if h.Get("webhook-id") != "delivery-1" {
		t.Errorf("webhook-id %q, want the recorded delivery id", h.Get("webhook-id"))
	}
}

func TestReplayInterrupted(t *testing.T) {
	dir := t.TempDir()
	file := mustCaptureFile(t, dir, replayRecord(1, "ping", 200), replayRecord(2, "push", 200))
	res := runStopped(t, world{dir: dir}, "replay", file, "--url", mustClosedURL(t))
	checkOutput(t, res, exitError, nil, []string{"interrupted after 0 of 2 deliveries"})
}

// unsafeForTerminal reports a rune a terminal could act on, found in s.
func unsafeForTerminal(s string) (rune, bool) {
	for _, r := range s {
		if r != '\n' && r != '\t' && term.UnsafeRune(r) {
			return r, true
		}
	}
	return 0, false
}

// TestReplayOutputIsTerminalSafe: what a capture holds was chosen by its
// sender, and a replay's answer line shows the event as the receiver will
// see it: from a header, or from the body (Stripe's type).
func TestReplayOutputIsTerminalSafe(t *testing.T) {
	stripe := stripeReplayRecord(t)
	stripe.Body = []byte(`{"id":"evt_9","type":"invoice.paid\u001b]0;owned\u0007\u001b[2J"}`)
	github := replayRecord(2, "push\u202e\u009b31m", 200)
	for _, tt := range []struct {
		name string
		rec  *capture.Record
	}{
		{name: "event in the body", rec: stripe},
		{name: "event in a header", rec: github},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := mustCaptureFile(t, dir, tt.rec)
			target, got := mustRawRecorder(t)
			res := runHooklab(t, world{dir: dir}, "replay", file, "--url", target)
			checkOutput(t, res, exitOK, []string{"✓ 200 "}, nil)
			mustRecorded(t, got)
			if r, ok := unsafeForTerminal(res.stdout + res.stderr); ok {
				t.Errorf("the output holds %U:\n%q", r, res.stdout)
			}
		})
	}
}

// TestReplayExportCurlBodyFile: the body file is the capture's own, mode
// 0600 even when a file of that name was there, and a symlink planted in
// its place (a shared --out directory) is replaced, not written through.
func TestReplayExportCurlBodyFile(t *testing.T) {
	rec := replayRecord(2, "push", 200)
	for _, tt := range []struct {
		name  string
		plant func(t *testing.T, path, victim string)
	}{
		{name: "new", plant: func(*testing.T, string, string) {}},
		{name: "an older file, world-readable", plant: func(t *testing.T, path, _ string) {
			if err := os.WriteFile(path, []byte("older"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a symlink", plant: func(t *testing.T, path, victim string) {
			if err := os.Symlink(victim, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := mustCaptureFile(t, dir, rec)
			victim := filepath.Join(t.TempDir(), "victim")
			if err := os.WriteFile(victim, []byte("keep me"), 0o644); err != nil {
				t.Fatal(err)
			}
			path := file + ".seq2.body"
			tt.plant(t, path, victim)

			res := runHooklab(t, world{dir: dir}, "replay", file, "--export", "curl")
			checkOutput(t, res, exitOK, []string{path}, nil)
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
				t.Errorf("body file mode %v, want a regular file with mode 0600", fi.Mode())
			}
			if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, rec.Body) {
				t.Errorf("body file: %v, %q; want the body", err, b)
			}
			if b, _ := os.ReadFile(victim); string(b) != "keep me" {
				t.Errorf("the symlink's target was written: %q", b)
			}
		})
	}
}

// TestReplayJSONIsTerminalSafe: JSON escapes the C0 controls but writes
// C1 controls, line separators and bidirectional overrides as they are;
// --list --json and --export har escape those too, and the values read
// back the same.
func TestReplayJSONIsTerminalSafe(t *testing.T) {
	const event = "push\u202e\u009b31m\u2028"
	dir := t.TempDir()
	rec := replayRecord(1, event, 200)
	rec.Verdict.Detail = "a DEL \u007f"
	rec.Headers = append(rec.Headers, capture.Header{"X-Odd", "\u2066right-to-left\u2069\u0085"})
	file := mustCaptureFile(t, dir, rec)
	for _, args := range [][]string{
		{"replay", "--list", "--json", file},
		{"replay", "--export", "har", file},
	} {
		t.Run(args[1], func(t *testing.T) {
			res := runHooklab(t, world{dir: dir}, args...)
			checkOutput(t, res, exitOK, nil, nil)
			if r, ok := unsafeForTerminal(res.stdout); ok {
				t.Errorf("the output holds %U:\n%s", r, res.stdout)
			}
			if strings.Contains(res.stdout, "\x7f") {
				t.Errorf("the output holds DEL:\n%s", res.stdout)
			}
			if !strings.Contains(res.stdout, `\u202e`) || !strings.Contains(res.stdout, `\u2066right-to-left\u2069\u0085`) {
				t.Errorf("the output does not escape the runes as JSON:\n%s", res.stdout)
			}
			var v any
			if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
				t.Errorf("not JSON: %v", err)
			}
		})
	}
}

// TestReplayResignKeptSecrets: replay --resign, with no secret configured,
// signs each delivery with the secret kept for its own provider.
func TestReplayResignKeptSecrets(t *testing.T) {
	const githubSecret = "kept-github-0123456789abcdef0123456789"
	dir := t.TempDir()
	config := t.TempDir()
	kept := filepath.Join(config, "hooklab")
	mustKeepFor(t, kept, "stripe", replayStripeSecret)
	stripeRec := stripeReplayRecord(t)
	stripeRec.Seq = 2
	file := mustCaptureFile(t, dir, replayRecord(1, "push", 200), stripeRec)
	w := world{dir: dir, env: map[string]string{"XDG_CONFIG_HOME": config}}

	// Only stripe's is kept: seq 1, github's, has none.
	res := runHooklab(t, w, "replay", file, "--url", mustClosedURL(t), "--resign")
	checkOutput(t, res, exitUsage, nil, []string{"no secret to sign with", "none is kept for github, seq 1's provider"})

	mustKeepFor(t, kept, "github", githubSecret)
	target, got := mustRawRecorder(t)
	res = runHooklab(t, w, "replay", file, "--url", target, "--resign")
	checkOutput(t, res, exitOK, []string{"signature re-signed"}, []string{
		"generated for github, kept in " + filepath.Join(kept, "secret-github"),
		"generated for stripe, kept in " + filepath.Join(kept, "secret-stripe"),
	})
	checkNoSecret(t, res, replayStripeSecret, githubSecret)
	if res.code != exitOK {
		t.FailNow() // nothing was sent: the recorder would wait in vain
	}
	for _, tc := range []struct {
		provider, secret string
	}{
		{provider: signing.ProviderGitHub, secret: githubSecret},
		{provider: signing.ProviderStripe, secret: replayStripeSecret},
	} {
		verifier, err := signing.New(tc.provider, []string{tc.secret}, signing.Options{Tolerance: signing.DefaultTolerance})
		if err != nil {
			t.Fatal(err)
		}
		r := mustRecorded(t, got)
		if err := signing.Verify(verifier, rawHeader(t, r), r.Body, testNow); err != nil {
			t.Errorf("the %s delivery does not verify with the secret kept for %s: %v", tc.provider, tc.provider, err)
		}
	}
}
