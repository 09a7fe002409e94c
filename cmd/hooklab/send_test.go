package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/internal/golden"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/sender"
)

// sendSecret is the secret the listens in these tests are configured with.
// It is distinctive, so that a test can tell when any output contains it.
const sendSecret = "send-test-Secret-5f0c2a9e41d7b3c86a0f"

// otherSecret is a secret that is configured somewhere but must lose to
// sendSecret; if it won, the delivery would get 401.
const otherSecret = "other-test-Secret-0b7e19d4c3a25f68e1d2"

// filePayload is what the tests send with --file: any JSON listen accepts.
const filePayload = `{"action":"created","deployment":{"id":1,"environment":"staging"},"repository":{"full_name":"hooklab-demo/webhook-playground"}}`

// runHooklab runs hooklab with args to the end under a live context, as a
// shell would, and returns what it did. failsafe bounds it, so that a hang
// fails with the output rather than at go test's own timeout.
func runHooklab(tb testing.TB, w world, args ...string) result {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	sys := w.system(tb, &stdout, &stderr)
	ctx, cancel := context.WithTimeout(tb.Context(), failsafe)
	defer cancel()
	code := runWith(ctx, append([]string{"hooklab"}, args...), sys)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustClosedURL returns a webhook URL on a loopback port that nothing
// listens on.
func mustClosedURL(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatal(err)
	}
	return "http://" + addr + receiver.DefaultPath
}

// mustSilentServer starts a server on a free loopback port that accepts
// connections and reads whatever comes, but never answers. It returns the
// server's webhook URL; the test's cleanup stops it.
func mustSilentServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				io.Copy(io.Discard, conn) // until the client gives up and closes
			})
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return "http://" + ln.Addr().String() + receiver.DefaultPath
}

// caseRandom is the randomness one test case runs with, so that each send
// makes a delivery id of its own (and listen logs no redeliveries).
func caseRandom(name string) []byte {
	sum := sha256.Sum256([]byte("hooklab send test " + name))
	return sum[:]
}

// caseDeliveryID is the X-GitHub-Delivery that send makes from
// caseRandom(name).
func caseDeliveryID(tb testing.TB, name string) string {
	tb.Helper()
	id, err := sender.NewID(bytes.NewReader(caseRandom(name)))
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// deliveryRecords returns listen's JSON delivery records by delivery id.
func deliveryRecords(tb testing.TB, out string) map[string][]map[string]any {
	tb.Helper()
	byID := map[string][]map[string]any{}
	for _, rec := range mustJSONRecords(tb, out) {
		if rec["msg"] != receiver.MsgDelivery && rec["msg"] != receiver.MsgRedelivery {
			continue
		}
		id, _ := rec[receiver.KeyDelivery].(string)
		byID[id] = append(byID[id], rec)
	}
	return byID
}

// checkOutput checks a result against what a test wants.
func checkOutput(tb testing.TB, got result, wantCode int, wantStdout, wantStderr []string) {
	tb.Helper()
	if got.code != wantCode {
		tb.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, wantCode, got.stdout, got.stderr)
	}
	for _, want := range wantStdout {
		if !strings.Contains(got.stdout, want) {
			tb.Errorf("stdout does not contain %q:\n%s", want, got.stdout)
		}
	}
	for _, want := range wantStderr {
		if !strings.Contains(got.stderr, want) {
			tb.Errorf("stderr does not contain %q:\n%s", want, got.stderr)
		}
	}
}

// checkNoSecret fails when the output contains any of the secrets.
func checkNoSecret(tb testing.TB, got result, secrets ...string) {
	tb.Helper()
	for _, s := range secrets {
		if strings.Contains(got.stdout, s) || strings.Contains(got.stderr, s) {
			tb.Errorf("the output contains the secret %q\nstdout:\n%s\nstderr:\n%s", s, got.stdout, got.stderr)
		}
	}
}

// TestSendToListen runs send as a user types it against a real listen,
// and checks both ends: send's exit code and output, and the status listen
// logged for that delivery.
func TestSendToListen(t *testing.T) {
	p := startListen(t, world{env: map[string]string{envSecret: sendSecret}},
		"listen", "--addr", "127.0.0.1:0", "--log-format", "json")
	dir := t.TempDir()
	mustWriteFile(t, dir, "payload.json", filePayload)

	type sendCase struct {
		name       string
		args       []string // after "send"
		noSecret   bool     // run without WEBHOOK_SECRET
		stdin      string
		wantCode   int
		wantStatus int    // what listen logged; 0 when nothing may reach it
		wantEvent  string // the event listen logged, when not ""
		wantStdout []string
		wantStderr []string
	}
	tests := []sendCase{
		{
			name: "default is ping", wantStatus: 200, wantEvent: "ping",
			wantStdout: []string{" ping  fixture ping", "signature valid, length auto, json", "✓ 200", "ok: delivery verified and accepted"},
		},
		{
			name: "wrong signature", args: []string{"--signature", "wrong"}, wantCode: exitError, wantStatus: 401,
			wantStdout: []string{"signature wrong", "✗ 401", "signature_mismatch", "(expected 2xx)"},
		},
		{
			name: "wrong signature expected", args: []string{"--signature", "wrong", "--expect", "401"}, wantStatus: 401,
			wantStdout: []string{"✓ 401", "signature_mismatch"},
		},
		{
			name: "wrong signature needs no secret", args: []string{"--signature", "wrong", "--expect", "401"}, noSecret: true, wantStatus: 401,
			wantStdout: []string{"✓ 401", "signature_mismatch"},
		},
		{
			name: "missing signature", args: []string{"--signature", "missing", "--expect", "401"}, wantStatus: 401,
			wantStdout: []string{"signature missing", "✓ 401", "signature_missing"},
		},
		{
			name: "missing signature needs no secret", args: []string{"--signature", "missing", "--expect", "401"}, noSecret: true, wantStatus: 401,
			wantStdout: []string{"✓ 401", "signature_missing"},
		},
		{
			name: "length missing", args: []string{"--length", "missing", "--expect", "411"}, wantStatus: 411,
			wantStdout: []string{"length missing", "✓ 411", "length_required"},
		},
		{
			name: "length chunked", args: []string{"--length", "chunked", "--expect", "411"}, wantStatus: 411,
			wantStdout: []string{"length chunked", "✓ 411", "length_required", "chunked"},
		},
		{
			// If send did not close its write side after the short body,
			// listen would wait for the rest and send would give up with
			// exit 1: the status is the test of "promptly".
			name: "declared length above the body", args: []string{"--length", "99999", "--expect", "400"}, wantStatus: 400,
			wantStdout: []string{"length 99999", "✓ 400", "body_incomplete", "of 99999 declared bytes"},
		},
		{
			name: "declared length below the body", args: []string{"--length", "10", "--expect", "401"}, wantStatus: 401,
			wantStdout: []string{"length 10", "✓ 401", "signature_mismatch"},
		},
		{
			name: "form", args: []string{"--content-type", "form", "pull_request"}, wantStatus: 200, wantEvent: "pull_request",
			wantStdout: []string{" pull_request  fixture pull_request", ", form", "✓ 200"},
		},
		{
			name: "file", args: []string{"--file", "payload.json", "--event", "deployment"}, wantStatus: 200, wantEvent: "deployment",
			wantStdout: []string{" deployment  file payload.json", "✓ 200"},
		},
		{
			name: "standard input", args: []string{"--file", "-", "--event", "x"}, stdin: filePayload, wantStatus: 200, wantEvent: "x",
			wantStdout: []string{" x  standard input", "✓ 200"},
		},
		{
			name: "header empties the event", args: []string{"--header", "X-GitHub-Event: ", "--expect", "400"}, wantStatus: 400,
			wantStdout: []string{"✓ 400", "event_missing"},
		},
		{
			name: "short header flag replaces the event", args: []string{"-H", "X-GitHub-Event:star"}, wantStatus: 200, wantEvent: "star",
			wantStdout: []string{" star  fixture ping", "✓ 200"},
		},
		{
			name: "short and long header flags together", args: []string{"-H", "X-GitHub-Event: star", "--header", "X-Trace: 1"},
			wantStatus: 200, wantEvent: "star", wantStdout: []string{" star  fixture ping", "✓ 200"},
		},
		{
			name: "header replaces the signature",
			args: []string{"--header", "X-Hub-Signature-256: sha256=" + strings.Repeat("0", 64), "--expect", "401"}, wantStatus: 401,
			wantStdout: []string{"✓ 401", "signature_mismatch"},
		},
		{
			name: "expect a list that holds the answer", args: []string{"--signature", "wrong", "--expect", "2xx,401"}, wantStatus: 401,
			wantStdout: []string{"✓ 401"},
		},
		{
			name: "expect a list with 2xx", args: []string{"--expect", "2xx,401"}, wantStatus: 200,
			wantStdout: []string{"✓ 200"},
		},
		{
			name: "expect repeated", args: []string{"--signature", "wrong", "--expect", "200", "--expect", "401"}, wantStatus: 401,
			wantStdout: []string{"✓ 401"},
		},
		{
			name: "expect a class", args: []string{"--signature", "missing", "--expect", "4xx"}, wantStatus: 401,
			wantStdout: []string{"✓ 401"},
		},
		{
			name: "expect a class that does not hold the answer", args: []string{"--expect", "4xx"}, wantCode: exitError, wantStatus: 200,
			wantStdout: []string{"✗ 200", "(expected 4xx)"},
		},
		{
			name: "flags after the fixture", args: []string{"push", "--expect", "200"}, wantStatus: 200, wantEvent: "push",
			wantStdout: []string{" push  fixture push", "✓ 200"},
		},
		{
			name: "flags around the fixture", args: []string{"--signature", "wrong", "push", "--expect", "401"}, wantStatus: 401,
			wantStdout: []string{" push  fixture push", "✓ 401"},
		},
		{
			name: "double dash before the fixture", args: []string{"--expect", "200", "--", "push"}, wantStatus: 200, wantEvent: "push",
		},
		{
			name: "double dash ends the flags", args: []string{"push", "--", "--json"}, wantCode: exitUsage,
			wantStderr: []string{"send takes at most one fixture", `"--json"`},
		},
	}
	// This listen is GitHub's; the other providers' fixtures go to their own
	// listeners in TestSendEveryProvider.
	for _, f := range fixtures.ForProvider("github") {
		tests = append(tests, sendCase{
			name: "fixture " + f.Name, args: []string{f.Name}, wantStatus: 200, wantEvent: f.Event,
			wantStdout: []string{" " + f.Event + "  fixture " + f.Name, "✓ 200"},
		})
	}

	ran := map[string]bool{} // by -run, which may pick only some
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran[tt.name] = true
			env := map[string]string{envURL: p.webhookURL, envSecret: sendSecret}
			if tt.noSecret {
				delete(env, envSecret)
			}
			w := world{env: env, dir: dir, random: bytes.NewReader(caseRandom(tt.name)), stdin: tt.stdin}
			got := runHooklab(t, w, append([]string{"send"}, tt.args...)...)
			checkOutput(t, got, tt.wantCode, tt.wantStdout, tt.wantStderr)
			if tt.wantCode != exitUsage && got.stderr != "" {
				t.Errorf("stderr is not empty:\n%s", got.stderr)
			}
			checkNoSecret(t, got, sendSecret)
		})
	}

	if code := p.stop(t); code != exitOK {
		t.Errorf("listen exit code %d, want 0\nstderr:\n%s", code, p.stderr)
	}
	records := deliveryRecords(t, p.stdout.String())
	delivered := 0
	for _, tt := range tests {
		if !ran[tt.name] {
			continue
		}
		id := caseDeliveryID(t, tt.name)
		recs := records[id]
		if tt.wantStatus == 0 {
			if len(recs) != 0 {
				t.Errorf("%s: listen logged %d deliveries, want none: %v", tt.name, len(recs), recs)
			}
			continue
		}
		delivered++
		if len(recs) != 1 {
			t.Errorf("%s: listen logged %d deliveries with id %s, want 1", tt.name, len(recs), id)
			continue
		}
		rec := recs[0]
		if rec["msg"] != receiver.MsgDelivery || rec[receiver.KeyStatus] != float64(tt.wantStatus) {
			t.Errorf("%s: listen logged %v %v, want %s %d: %v", tt.name, rec["msg"], rec[receiver.KeyStatus], receiver.MsgDelivery, tt.wantStatus, rec)
		}
		if tt.wantEvent != "" && rec[receiver.KeyEvent] != tt.wantEvent {
			t.Errorf("%s: listen logged event %v, want %s", tt.name, rec[receiver.KeyEvent], tt.wantEvent)
		}
	}
	total := 0
	for _, recs := range records {
		total += len(recs)
	}
	if total != delivered {
		t.Errorf("listen logged %d deliveries, want %d (one per send that reaches it)", total, delivered)
	}
}

func TestSendUsageErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string // after "send"
		env        map[string]string
		files      map[string]string // written into the working directory
		wantStderr []string
	}{
		{name: "unknown fixture", args: []string{"nope"},
			wantStderr: append([]string{`no fixture "nope"`, "--file"}, fixtures.Names()...)},
		{name: "file without event", args: []string{"--file", "payload.json"}, files: map[string]string{"payload.json": filePayload},
			wantStderr: []string{"--file needs --event"}},
		{name: "file and fixture", args: []string{"push", "--file", "payload.json", "--event", "push"}, files: map[string]string{"payload.json": filePayload},
			wantStderr: []string{"a fixture or --file, not both"}},
		{name: "file does not exist", args: []string{"--file", "missing.json", "--event", "push"},
			wantStderr: []string{"cannot read --file", "missing.json"}},
		{name: "file without a path", args: []string{"--file"},
			wantStderr: []string{"flag needs an argument", "file"}},
		{name: "file without a path after the fixture", args: []string{"push", "--file"},
			wantStderr: []string{"flag needs an argument", "file"}},
		// A value flag last, after an argument, once took the "--" that
		// flagsFirst adds as its value, and sent: signed with the secret
		// "--", or with the delivery id "--".
		{name: "secret without a value after the fixture", args: []string{"push", "--secret"},
			wantStderr: []string{"flag needs an argument", "secret"}},
		{name: "delivery without a value after the fixture", args: []string{"push", "--delivery"},
			wantStderr: []string{"flag needs an argument", "delivery"}},
		{name: "expect without a value after the fixture", args: []string{"push", "--expect"},
			wantStderr: []string{"flag needs an argument", "expect"}},
		{name: "unknown signature mode", args: []string{"--signature", "bogus"},
			wantStderr: []string{"--signature", `"bogus"`, "valid, wrong or missing"}},
		{name: "length not a number", args: []string{"--length", "abc"},
			wantStderr: []string{"--length", `"abc"`}},
		{name: "negative length", args: []string{"--length", "-5"},
			wantStderr: []string{"--length", `"-5"`}},
		{name: "unknown content type", args: []string{"--content-type", "xml"},
			wantStderr: []string{"--content-type", `"xml"`, "json or form"}},
		{name: "expect out of range", args: []string{"--expect", "999"},
			wantStderr: []string{"--expect", `"999"`}},
		{name: "expect not a status", args: []string{"--expect", "abc"},
			wantStderr: []string{"--expect", `"abc"`}},
		{name: "expect an unknown class", args: []string{"--expect", "6xx"},
			wantStderr: []string{"--expect", `"6xx"`}},
		{name: "expect a list with a bad status", args: []string{"--expect", "2xx,99"},
			wantStderr: []string{"--expect", `"99"`}},
		{name: "url not http", args: []string{"--url", "ftp://x"},
			wantStderr: []string{"--url must be an http or https URL", `"ftp://x"`}},
		{name: "url without a host", args: []string{"--url", "http:///webhook"},
			wantStderr: []string{"--url must be an http or https URL", `"http:///webhook"`}},
		{name: "url without a scheme", args: []string{"--url", "127.0.0.1:8080/webhook"},
			wantStderr: []string{"--url must be an http or https URL"}},
		{name: "url with a password", args: []string{"--url", "http://user:hunter2@127.0.0.1:8080/webhook"},
			wantStderr: []string{"--url must not hold a user or password"}},
		{name: "bad url from the environment", env: map[string]string{envSecret: sendSecret, envURL: "ftp://x"},
			wantStderr: []string{`"ftp://x"`}},
		{name: "header without a colon", args: []string{"--header", "X-Foo"},
			wantStderr: []string{"--header must be 'Name: value'", `"X-Foo"`}},
		{name: "header without a name", args: []string{"-H", ": value"},
			wantStderr: []string{"--header must be 'Name: value'"}},
		{name: "header Content-Length", args: []string{"--header", "Content-Length: 1"},
			wantStderr: []string{"--header cannot set Content-Length", "--length"}},
		{name: "header Transfer-Encoding", args: []string{"--header", "transfer-encoding: chunked"},
			wantStderr: []string{"--header cannot set transfer-encoding"}},
		{name: "header Host", args: []string{"--header", "Host: example.com"},
			wantStderr: []string{"--header cannot set Host", "--url"}},
		{name: "no secret", env: map[string]string{},
			wantStderr: []string{"no secret to sign with", envSecret, "--secret", "--signature missing"}},
		{name: "secret and secret file", args: []string{"--secret", sendSecret, "--secret-file", "secret.txt"}, files: map[string]string{"secret.txt": sendSecret},
			wantStderr: []string{"--secret and --secret-file"}},
		{name: "secret file does not exist", args: []string{"--secret-file", "missing.txt"},
			wantStderr: []string{"--secret-file", "missing.txt"}},
		{name: "named env file does not exist", args: []string{"--env-file", "missing.env"},
			wantStderr: []string{"missing.env does not exist"}},
		{name: "zero timeout", args: []string{"--timeout", "0"},
			wantStderr: []string{"--timeout must be positive"}},
		{name: "negative timeout", args: []string{"--timeout", "-1s"},
			wantStderr: []string{"--timeout must be positive"}},
		{name: "timeout not a duration", args: []string{"--timeout", "soon"},
			wantStderr: []string{"timeout"}},
		{name: "unknown colour mode", args: []string{"--color", "sometimes"},
			wantStderr: []string{"--color", `"sometimes"`}},
		{name: "two fixtures", args: []string{"push", "ping"},
			wantStderr: []string{"send takes at most one fixture", `"push"`, `"ping"`}},
		{name: "unknown flag", args: []string{"push", "--frobnicate"},
			wantStderr: []string{"frobnicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				mustWriteFile(t, dir, name, content)
			}
			// Should a check be missing, send goes to a closed port and
			// exits 1, not 2, and never reaches a real receiver.
			env := map[string]string{envSecret: sendSecret}
			if tt.env != nil {
				env = tt.env
			}
			if _, ok := env[envURL]; !ok {
				env[envURL] = mustClosedURL(t)
			}
			got := runHooklab(t, world{env: env, dir: dir}, append([]string{"send"}, tt.args...)...)
			checkOutput(t, got, exitUsage, nil, tt.wantStderr)
			if got.stdout != "" {
				t.Errorf("stdout is not empty:\n%s", got.stdout)
			}
			if !strings.HasPrefix(got.stderr, "hooklab: ") || strings.Count(got.stderr, "\n") != 1 {
				t.Errorf("stderr is not one line of hooklab's:\n%s", got.stderr)
			}
			checkNoSecret(t, got, sendSecret)
		})
	}
}

func TestSendNotDelivered(t *testing.T) {
	tests := []struct {
		name       string
		url        func(testing.TB) string
		args       []string
		wantErrors []string // in stderr, or in the JSON's error
	}{
		{name: "refused", url: mustClosedURL,
			wantErrors: []string{"not delivered to 127.0.0.1:", "connection refused", "is hooklab listen running?"}},
		{name: "no answer", url: mustSilentServer, args: []string{"--timeout", "200ms"},
			wantErrors: []string{"not delivered to 127.0.0.1:", "no answer in 200ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/text", func(t *testing.T) {
			args := append([]string{"send", "--url", tt.url(t)}, tt.args...)
			got := runHooklab(t, world{env: map[string]string{envSecret: sendSecret}}, args...)
			checkOutput(t, got, exitError, []string{" ping  fixture ping", "no answer"}, tt.wantErrors)
			if strings.Contains(got.stdout, "✓") || regexp.MustCompile(`\b[1-5][0-9][0-9]\b`).MatchString(got.stdout) {
				t.Errorf("stdout shows an answer that did not come:\n%s", got.stdout)
			}
			checkNoSecret(t, got, sendSecret)
		})
		t.Run(tt.name+"/json", func(t *testing.T) {
			args := append([]string{"send", "--json", "--url", tt.url(t)}, tt.args...)
			got := runHooklab(t, world{env: map[string]string{envSecret: sendSecret}}, args...)
			checkOutput(t, got, exitError, nil, nil)
			if got.stderr != "" {
				t.Errorf("stderr is not empty:\n%s", got.stderr)
			}
			rep := mustOneJSONObject(t, got.stdout)
			if rep["ok"] != false {
				t.Errorf("ok = %v, want false", rep["ok"])
			}
			msg, _ := rep["error"].(string)
			for _, want := range tt.wantErrors {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			for _, key := range []string{"status", "headers", "body"} {
				if _, ok := rep[key]; ok {
					t.Errorf("the report has %q without an answer: %s", key, got.stdout)
				}
			}
			checkNoSecret(t, got, sendSecret)
		})
	}
}

// mustOneJSONObject checks that out is exactly one JSON object and a
// newline, and returns it.
func mustOneJSONObject(tb testing.TB, out string) map[string]any {
	tb.Helper()
	if !json.Valid([]byte(out)) {
		tb.Fatalf("stdout is not one JSON value:\n%s", out)
	}
	if !strings.HasSuffix(out, "}\n") || strings.Count(out, "\n") != 1 {
		tb.Errorf("stdout is not one line with a JSON object: %q", out)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		tb.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	return obj
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSendJSON(t *testing.T) {
	p := startListen(t, world{env: map[string]string{envSecret: sendSecret}}, "listen", "--addr", "127.0.0.1:0")
	ping, _ := fixtures.Lookup("ping")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStatus float64
		wantReason string
		wantReq    map[string]any
		wantExpect string
	}{
		{
			name: "accepted", args: []string{"--json"}, wantStatus: 200, wantReason: "ok", wantExpect: "2xx",
			wantReq: map[string]any{"url": p.webhookURL, "source": "fixture ping", "event": "ping", "bytes": float64(len(ping.Body)),
				"content_type": "json", "signature": "valid", "length": "auto"},
		},
		{
			name: "unexpected answer", args: []string{"push", "--json", "--signature", "wrong"}, wantCode: exitError, wantStatus: 401,
			wantReason: "signature_mismatch", wantExpect: "2xx",
			wantReq: map[string]any{"source": "fixture push", "event": "push", "signature": "wrong", "length": "auto"},
		},
		{
			name: "expected refusal", args: []string{"--json", "--length", "missing", "--expect", "411", "--delivery", "d-411"}, wantStatus: 411,
			wantReason: "length_required", wantExpect: "411",
			wantReq: map[string]any{"delivery": "d-411", "length": "missing"},
		},
		{
			name: "file as form", args: []string{"--json", "--file", "-", "--event", "deployment", "--content-type", "form"}, wantStatus: 200,
			wantReason: "ok", wantExpect: "2xx",
			wantReq: map[string]any{"source": "standard input", "event": "deployment", "content_type": "form",
				"bytes": float64(len("payload=" + url.QueryEscape(filePayload)))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := world{env: map[string]string{envSecret: sendSecret, envURL: p.webhookURL}, stdin: filePayload}
			got := runHooklab(t, w, append([]string{"send"}, tt.args...)...)
			checkOutput(t, got, tt.wantCode, nil, nil)
			if got.stderr != "" {
				t.Errorf("stderr is not empty:\n%s", got.stderr)
			}
			rep := mustOneJSONObject(t, got.stdout)
			req, _ := rep["request"].(map[string]any)
			for _, key := range []string{"url", "source", "event", "delivery", "bytes", "content_type", "signature", "length"} {
				if _, ok := req[key]; !ok {
					t.Errorf("request has no %q: %v", key, req)
				}
			}
			for key, want := range tt.wantReq {
				if req[key] != want {
					t.Errorf("request.%s = %v, want %v", key, req[key], want)
				}
			}
			if id, _ := req["delivery"].(string); tt.wantReq["delivery"] == nil && !uuidPattern.MatchString(id) {
				t.Errorf("request.delivery = %q, want a version 4 UUID", id)
			}
			if rep["status"] != tt.wantStatus {
				t.Errorf("status = %v, want %v", rep["status"], tt.wantStatus)
			}
			headers, _ := rep["headers"].(map[string]any)
			if headers["Content-Type"] != "application/json" {
				t.Errorf("headers = %v, want the answer's Content-Type application/json", rep["headers"])
			}
			body, ok := rep["body"].(map[string]any)
			if !ok {
				t.Fatalf("body is not the answer's JSON object: %v", rep["body"])
			}
			if body["status"] != tt.wantStatus || body["reason"] != tt.wantReason {
				t.Errorf("body = %v, want status %v and reason %s", body, tt.wantStatus, tt.wantReason)
			}
			if d, ok := rep["duration_ms"].(float64); !ok || d < 0 {
				t.Errorf("duration_ms = %v, want a number", rep["duration_ms"])
			}
			if rep["expected"] != tt.wantExpect {
				t.Errorf("expected = %v, want %s", rep["expected"], tt.wantExpect)
			}
			if want := tt.wantCode == exitOK; rep["ok"] != want {
				t.Errorf("ok = %v, want %v", rep["ok"], want)
			}
			if _, ok := rep["error"]; ok {
				t.Errorf("an answered delivery has an error: %v", rep["error"])
			}
			checkNoSecret(t, got, sendSecret)
		})
	}
}

// TestSendSecretAndURLSources checks where send takes its secret and URL
// from. Every losing secret is otherSecret, which gets 401, and every losing
// URL is not http, which exits 2: picking a loser fails the test.
func TestSendSecretAndURLSources(t *testing.T) {
	p := startListen(t, world{env: map[string]string{envSecret: sendSecret}}, "listen", "--addr", "127.0.0.1:0")
	const badURL = "ftp://not-this-one"
	tests := []struct {
		name    string
		args    []string // after "send"; "{url}" is the listen's URL
		env     map[string]string
		files   map[string]string // written into the working directory
		noURL   bool              // do not pass --url
		secrets []string          // that the output must not contain
	}{
		{name: "secret flag", args: []string{"--secret", sendSecret}},
		{name: "secret file", args: []string{"--secret-file", "secret.txt"}, files: map[string]string{"secret.txt": sendSecret + "\n"}},
		{name: "environment", env: map[string]string{envSecret: sendSecret}},
		{name: "named env file", args: []string{"--env-file", "hooklab.env"}, files: map[string]string{"hooklab.env": envSecret + "=" + sendSecret + "\n"}},
		{name: "default env file", files: map[string]string{defaultEnvFile: envSecret + "=" + sendSecret + "\n"}},
		{name: "secret flag beats the environment", args: []string{"--secret", sendSecret}, env: map[string]string{envSecret: otherSecret}},
		{name: "secret file beats the environment", args: []string{"--secret-file", "secret.txt"}, env: map[string]string{envSecret: otherSecret},
			files: map[string]string{"secret.txt": sendSecret + "\n"}},
		{name: "environment beats the env file", env: map[string]string{envSecret: sendSecret},
			files: map[string]string{defaultEnvFile: envSecret + "=" + otherSecret + "\n"}},
		{name: "URL from the environment", noURL: true, env: map[string]string{envSecret: sendSecret, envURL: "{url}"}},
		{name: "URL from the env file", noURL: true, args: []string{"--env-file", "hooklab.env"},
			files: map[string]string{"hooklab.env": envSecret + "=" + sendSecret + "\n" + envURL + "={url}\n"}},
		{name: "URL from the environment beats the env file", noURL: true, env: map[string]string{envSecret: sendSecret, envURL: "{url}"},
			files: map[string]string{defaultEnvFile: envURL + "=" + badURL + "\n"}},
		{name: "URL flag beats both", env: map[string]string{envSecret: sendSecret, envURL: badURL},
			files: map[string]string{defaultEnvFile: envURL + "=" + badURL + "\n"}},
	}
	for _, tt := range tests {
		for _, mode := range []string{"text", "json"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				fill := strings.NewReplacer("{url}", p.webhookURL)
				dir := t.TempDir()
				for name, content := range tt.files {
					mustWriteFile(t, dir, name, fill.Replace(content))
				}
				env := map[string]string{}
				for k, v := range tt.env {
					env[k] = fill.Replace(v)
				}
				args := []string{"send", "push"}
				if !tt.noURL {
					args = append(args, "--url", p.webhookURL)
				}
				if mode == "json" {
					args = append(args, "--json")
				}
				args = append(args, tt.args...)
				got := runHooklab(t, world{env: env, dir: dir}, args...)
				checkOutput(t, got, exitOK, nil, nil)
				if mode == "text" && !strings.Contains(got.stdout, "✓ 200") {
					t.Errorf("stdout does not show the 200:\n%s", got.stdout)
				}
				if mode == "json" && mustOneJSONObject(t, got.stdout)["status"] != 200.0 {
					t.Errorf("status is not 200:\n%s", got.stdout)
				}
				checkNoSecret(t, got, sendSecret, otherSecret)
			})
		}
	}
}

// TestSendNeverPrintsTheSecret runs send in every way its output can go,
// with the secret from every source, and looks for the secret.
func TestSendNeverPrintsTheSecret(t *testing.T) {
	p := startListen(t, world{env: map[string]string{envSecret: sendSecret}}, "listen", "--addr", "127.0.0.1:0")
	closed := mustClosedURL(t)
	sources := []struct {
		name  string
		args  []string
		env   map[string]string
		files map[string]string
	}{
		{name: "flag", args: []string{"--secret", sendSecret}},
		{name: "secret file", args: []string{"--secret-file", "secret.txt"}, files: map[string]string{"secret.txt": sendSecret + "\n"}},
		{name: "environment", env: map[string]string{envSecret: sendSecret}},
		{name: "env file", files: map[string]string{defaultEnvFile: envSecret + "=" + sendSecret + "\n"}},
	}
	runs := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{name: "text", args: []string{"push", "--url", p.webhookURL}},
		{name: "json", args: []string{"push", "--url", p.webhookURL, "--json"}},
		{name: "colour", args: []string{"push", "--url", p.webhookURL, "--color", "always"}},
		{name: "wrong signature", args: []string{"--signature", "wrong", "--url", p.webhookURL}, wantCode: exitError},
		{name: "wrong signature json", args: []string{"--signature", "wrong", "--url", p.webhookURL, "--json"}, wantCode: exitError},
		{name: "refused", args: []string{"--url", closed}, wantCode: exitError},
		{name: "refused json", args: []string{"--url", closed, "--json"}, wantCode: exitError},
		{name: "usage error", args: []string{"--url", p.webhookURL, "--expect", "abc"}, wantCode: exitUsage},
		{name: "bad header", args: []string{"--url", p.webhookURL, "--header", "X-Secret"}, wantCode: exitUsage},
	}
	for _, src := range sources {
		for _, r := range runs {
			t.Run(src.name+"/"+r.name, func(t *testing.T) {
				dir := t.TempDir()
				for name, content := range src.files {
					mustWriteFile(t, dir, name, content)
				}
				args := append(append([]string{"send"}, r.args...), src.args...)
				got := runHooklab(t, world{env: src.env, dir: dir}, args...)
				checkOutput(t, got, r.wantCode, nil, nil)
				checkNoSecret(t, got, sendSecret)
			})
		}
	}
}

func TestSendList(t *testing.T) {
	all := fixtures.All()
	// --list reads no files, so it runs in the package directory, where
	// golden.Check finds the golden files.
	here := world{dir: "."}
	t.Run("text", func(t *testing.T) {
		got := runHooklab(t, here, "send", "--list")
		checkOutput(t, got, exitOK, nil, nil)
		if got.stderr != "" {
			t.Errorf("stderr is not empty:\n%s", got.stderr)
		}
		lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
		if fields := strings.Fields(lines[0]); !slices.Equal(fields, []string{"PROVIDER", "FIXTURE", "EVENT", "ACTION", "SIZE"}) {
			t.Errorf("header = %q, want PROVIDER FIXTURE EVENT ACTION SIZE", lines[0])
		}
		if len(lines) != len(all)+1 {
			t.Fatalf("%d rows, want one per fixture (%d):\n%s", len(lines)-1, len(all), got.stdout)
		}
		for i, f := range all {
			action := f.Action
			if action == "" {
				action = "-"
			}
			// Events may hold spaces ("Push Hook"): compare the row's start.
			want := []string{f.Provider, f.Name}
			want = append(want, strings.Fields(f.Event)...)
			want = append(want, action)
			fields := strings.Fields(lines[i+1])
			if len(fields) < len(want) || !slices.Equal(fields[:len(want)], want) {
				t.Errorf("row %d = %q, want %q", i+1, lines[i+1], want)
			}
		}
		golden.Check(t, "send-list.txt", []byte(got.stdout))
	})
	t.Run("json", func(t *testing.T) {
		got := runHooklab(t, here, "send", "--list", "--json")
		checkOutput(t, got, exitOK, nil, nil)
		var rows []struct {
			Name     string `json:"name"`
			Provider string `json:"provider"`
			Event    string `json:"event"`
			Action   string `json:"action"`
			Bytes    int    `json:"bytes"`
		}
		if err := json.Unmarshal([]byte(got.stdout), &rows); err != nil {
			t.Fatalf("stdout is not a JSON array of fixtures: %v\n%s", err, got.stdout)
		}
		if len(rows) != len(all) {
			t.Fatalf("%d fixtures, want %d", len(rows), len(all))
		}
		for i, f := range all {
			r := rows[i]
			if r.Name != f.Name || r.Provider != f.Provider || r.Event != f.Event || r.Action != f.Action || r.Bytes != len(f.Body) {
				t.Errorf("fixture %d = %+v, want %s %s %s %q %d bytes", i, r, f.Name, f.Provider, f.Event, f.Action, len(f.Body))
			}
		}
		golden.Check(t, "send-list.json", []byte(got.stdout))
	})
}

func TestSendColor(t *testing.T) {
	p := startListen(t, world{env: map[string]string{envSecret: sendSecret}}, "listen", "--addr", "127.0.0.1:0")
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		terminal bool
		want     bool
	}{
		{name: "always", args: []string{"--color", "always"}, want: true},
		{name: "always despite NO_COLOR", args: []string{"--color", "always"}, env: map[string]string{envNoColor: "1"}, want: true},
		{name: "always on an unexpected answer", args: []string{"--color", "always", "--signature", "wrong"}, want: true},
		{name: "never on a terminal", args: []string{"--color", "never"}, terminal: true},
		{name: "auto without a terminal", args: []string{"--color", "auto"}},
		{name: "auto is the default without a terminal"},
		{name: "auto on a terminal", args: []string{"--color", "auto"}, terminal: true, want: true},
		{name: "auto on a terminal with NO_COLOR", env: map[string]string{envNoColor: "1"}, terminal: true},
		{name: "json never", args: []string{"--json", "--color", "always"}, terminal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{envSecret: sendSecret, envURL: p.webhookURL}
			for k, v := range tt.env {
				env[k] = v
			}
			got := runHooklab(t, world{env: env, terminal: tt.terminal}, append([]string{"send"}, tt.args...)...)
			if got.code == exitUsage {
				t.Fatalf("exit code %d\nstderr:\n%s", got.code, got.stderr)
			}
			if plain := ansiEscape.ReplaceAllString(got.stdout, ""); !strings.Contains(plain, "ping") {
				t.Errorf("stdout does not show the delivery:\n%q", got.stdout)
			}
			if colored := strings.Contains(got.stdout, "\x1b["); colored != tt.want {
				t.Errorf("escapes in the output: %v, want %v\n%q", colored, tt.want, got.stdout)
			}
		})
	}
}

func TestFlagsFirst(t *testing.T) {
	app := newApp(world{}.system(t, io.Discard, io.Discard))
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "no arguments", args: []string{"hooklab", "send"}, want: []string{"hooklab", "send"}},
		{name: "flags only", args: []string{"hooklab", "listen", "--addr", "127.0.0.1:0"},
			want: []string{"hooklab", "listen", "--addr", "127.0.0.1:0"}},
		{name: "listen flags after an argument", args: []string{"hooklab", "listen", "extra", "--addr", "127.0.0.1:0"},
			want: []string{"hooklab", "listen", "--addr", "127.0.0.1:0", "--", "extra"}},
		{name: "send flags after the fixture", args: []string{"hooklab", "send", "push", "--expect", "401", "--signature", "wrong"},
			want: []string{"hooklab", "send", "--expect", "401", "--signature", "wrong", "--", "push"}},
		{name: "flags on both sides", args: []string{"hooklab", "send", "--url", "http://h/x", "push", "--expect", "401"},
			want: []string{"hooklab", "send", "--url", "http://h/x", "--expect", "401", "--", "push"}},
		{name: "flag with equals", args: []string{"hooklab", "send", "push", "--expect=401", "ping"},
			want: []string{"hooklab", "send", "--expect=401", "--", "push", "ping"}},
		{name: "bool flag takes no value", args: []string{"hooklab", "send", "--json", "push"},
			want: []string{"hooklab", "send", "--json", "--", "push"}},
		{name: "bool flags", args: []string{"hooklab", "send", "--list", "--json"},
			want: []string{"hooklab", "send", "--list", "--json"}},
		{name: "listen bool flag", args: []string{"hooklab", "listen", "--allow-chunked", "extra"},
			want: []string{"hooklab", "listen", "--allow-chunked", "--", "extra"}},
		{name: "double dash kept", args: []string{"hooklab", "send", "push", "--", "--json"},
			want: []string{"hooklab", "send", "--", "push", "--json"}},
		{name: "double dash after flags", args: []string{"hooklab", "send", "--expect", "200", "--", "push"},
			want: []string{"hooklab", "send", "--expect", "200", "--", "push"}},
		{name: "short alias takes a value and becomes the name", args: []string{"hooklab", "send", "push", "-H", "X-A: b"},
			want: []string{"hooklab", "send", "--header", "X-A: b", "--", "push"}},
		{name: "alias and name mixed", args: []string{"hooklab", "send", "-H", "X-A: 1", "--header", "X-B: 2", "-H=X-C: 3"},
			want: []string{"hooklab", "send", "--header", "X-A: 1", "--header", "X-B: 2", "--header=X-C: 3"}},
		{name: "value that looks like a flag", args: []string{"hooklab", "send", "push", "--timeout", "-1s"},
			want: []string{"hooklab", "send", "--timeout", "-1s", "--", "push"}},
		{name: "dash is a value", args: []string{"hooklab", "send", "--file", "-", "--event", "x"},
			want: []string{"hooklab", "send", "--file", "-", "--event", "x"}},
		{name: "dash is an argument", args: []string{"hooklab", "sign", "-", "--secret", "s"},
			want: []string{"hooklab", "sign", "--secret", "s", "--", "-"}},
		{name: "unknown flag takes no value", args: []string{"hooklab", "send", "push", "--frobnicate", "x"},
			want: []string{"hooklab", "send", "--frobnicate", "--", "push", "x"}},
		{name: "value missing at the end", args: []string{"hooklab", "send", "push", "--secret"},
			want: []string{"hooklab", "send", "--secret"}},
		{name: "unknown command untouched", args: []string{"hooklab", "frobnicate", "push", "--json"},
			want: []string{"hooklab", "frobnicate", "push", "--json"}},
		{name: "global flag untouched", args: []string{"hooklab", "--help", "send", "push"},
			want: []string{"hooklab", "--help", "send", "push"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.args)
			got := flagsFirst(app, tt.args)
			if !slices.Equal(got, tt.want) {
				t.Errorf("flagsFirst(%q)\n got %q\nwant %q", tt.args, got, tt.want)
			}
			if !slices.Equal(tt.args, in) {
				t.Errorf("flagsFirst changed its input to %q", tt.args)
			}
		})
	}
}

// An event named by the payload (Stripe's type) is the file's word: its
// escapes never reach the terminal through send's line.
func TestSendLineIsTerminalSafe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	file := mustWriteFile(t, dir, "evil.json", `{"id":"evt_1","object":"event","type":"x\u001b]0;owned\u0007\u202e"}`)
	got := runHooklab(t, world{dir: dir, env: map[string]string{envSecret: "whsec_" + strings.Repeat("A", 43) + "="}},
		"send", "--provider", "stripe", "--file", file, "--url", srv.URL, "--color", "never")
	if got.code != exitOK {
		t.Fatalf("exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if strings.ContainsAny(got.stdout, "\x1b\a\u202e") {
		t.Errorf("send printed a terminal escape or bidi override: %q", got.stdout)
	}
}
