package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/diagnose"
	"github.com/hooklab/hooklab/signing"
)

// verifySecret is the secret verify's tests sign with: distinctive, so a
// test can tell when output shows it.
const verifySecret = "verify-test-Secret-3e8a1f6c9b2d4075aa"

const verifyBody = `{"action":"opened","url":"https://example.com/a"}`

// mustSignVerify returns the headers that sign body with secret under
// provider at at, as -H flags.
func mustSignVerify(tb testing.TB, provider, secret, body string, at time.Time) []string {
	tb.Helper()
	s, err := signing.New(provider, []string{secret}, signing.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	h, err := s.Sign(signing.Message{Body: []byte(body), ID: "msg_1", Time: at})
	if err != nil {
		tb.Fatal(err)
	}
	var flags []string
	for name, values := range h {
		for _, v := range values {
			flags = append(flags, "-H", name+": "+v)
		}
	}
	return flags
}

// mustWriteCapture writes recs as a capture file in dir and returns its path.
func mustWriteCapture(tb testing.TB, dir string, recs ...*capture.Record) string {
	tb.Helper()
	var b strings.Builder
	for _, rec := range recs {
		line, err := rec.Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return mustWriteFile(tb, dir, "deliveries.ndjson", b.String())
}

// record is a captured delivery of body with the headers signed at at.
func record(tb testing.TB, seq uint64, provider, secret, body, sent string, at time.Time) *capture.Record {
	tb.Helper()
	s, err := signing.New(provider, []string{secret}, signing.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	h, err := s.Sign(signing.Message{Body: []byte(body), ID: "msg_1", Time: at})
	if err != nil {
		tb.Fatal(err)
	}
	rec := &capture.Record{Seq: seq, Time: at, Method: http.MethodPost, Target: "/webhook", Proto: "HTTP/1.1",
		Body: []byte(sent), BodyComplete: true, Verdict: capture.Verdict{Provider: provider}}
	rec.Headers = append(rec.Headers, capture.Header{"Content-Type", "application/json"})
	for name, values := range h {
		rec.Headers = append(rec.Headers, capture.Header{name, values[0]})
	}
	return rec
}

func TestVerify(t *testing.T) {
	dir := t.TempDir()
	bodyFile := mustWriteFile(t, dir, "body.json", verifyBody)
	newlineFile := mustWriteFile(t, dir, "newline.json", verifyBody+"\n")
	// The capture was received a day before the test's clock: its own
	// time is the one it is checked at.
	received := testNow.Add(-24 * time.Hour)
	captureFile := mustWriteCapture(t, dir,
		record(t, 1, "stripe", verifySecret, verifyBody, verifyBody, received),
		record(t, 2, "stripe", verifySecret+"\n", verifyBody, verifyBody, received),
		record(t, 3, "github", verifySecret, verifyBody, verifyBody+"\n", received),
	)
	secret := []string{"--secret", verifySecret}
	args := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name     string
		args     []string
		stdin    string
		env      map[string]string
		wantCode int
		want     []string // in stdout
		notWant  []string // not in stdout
		wantErr  string   // in stderr
	}{
		{name: "body and header verify", wantCode: exitOK, want: []string{"verified: the github signature matches"},
			args: args([]string{"verify", "--file", bodyFile}, mustSignVerify(t, "github", verifySecret, verifyBody, testNow), secret)},
		{name: "body from standard input", wantCode: exitOK, stdin: verifyBody, want: []string{"verified"},
			args: args([]string{"verify", "--file", "-", "--provider", "slack"}, mustSignVerify(t, "slack", verifySecret, verifyBody, testNow), secret)},
		{name: "secret from the environment", wantCode: exitOK, env: map[string]string{envSecret: verifySecret}, want: []string{"verified"},
			args: args([]string{"verify", "--file", bodyFile}, mustSignVerify(t, "github", verifySecret, verifyBody, testNow))},
		{name: "a newline added to the body", wantCode: exitError,
			want: []string{"not verified: the github signature: signature mismatch", "likely cause: the signature matches this body with its trailing newline removed", "(" + diagnose.CodeBodyTrailingNewlineAdd + ")"},
			args: args([]string{"verify", "--file", newlineFile}, mustSignVerify(t, "github", verifySecret, verifyBody, testNow), secret)},
		{name: "a wrong secret", wantCode: exitError, want: []string{"none of the known causes matches"},
			args: args([]string{"verify", "--file", bodyFile}, mustSignVerify(t, "github", "some-other-secret-0000000000", verifyBody, testNow), secret)},
		// Without a signature there is nothing to say about the secret or
		// the body: the error says what is wrong.
		{name: "no signature header", wantCode: exitError, want: []string{"signature missing"}, notWant: []string{"the secret differs", "none of the known causes"},
			args: args([]string{"verify", "--file", bodyFile}, secret)},
		{name: "malformed signature", wantCode: exitError, want: []string{"signature malformed"}, notWant: []string{"the secret differs", "none of the known causes"},
			args: args([]string{"verify", "--file", bodyFile, "-H", "X-Hub-Signature-256: sha256=zz"}, secret)},
		{name: "signature in the wrong header", wantCode: exitError, want: []string{"signature missing", "(" + diagnose.CodeWrongHeader + ")"},
			args: args([]string{"verify", "--file", bodyFile, "-H", "X-Signature-256: " + strings.TrimPrefix(mustSignVerify(t, "github", verifySecret, verifyBody, testNow)[1], "X-Hub-Signature-256: ")}, secret)},
		{name: "stale timestamp", wantCode: exitError, want: []string{"3 hours old", "a replay", "(" + diagnose.CodeTimestampOutOfRange + ")"},
			args: args([]string{"verify", "--file", bodyFile, "--provider", "stripe"}, mustSignVerify(t, "stripe", verifySecret, verifyBody, testNow.Add(-3*time.Hour)), secret)},
		{name: "stale timestamp without tolerance", wantCode: exitOK, want: []string{"verified"},
			args: args([]string{"verify", "--file", bodyFile, "--provider", "stripe", "--tolerance", "0"}, mustSignVerify(t, "stripe", verifySecret, verifyBody, testNow.Add(-3*time.Hour)), secret)},
		{name: "capture verifies at its own time", wantCode: exitOK, want: []string{"verified: seq 1: the stripe signature matches"},
			args: args([]string{"verify", captureFile, "--seq", "1"}, secret)},
		{name: "capture signed with a newline in the secret", wantCode: exitError,
			want: []string{"seq 2: the stripe signature", "(" + diagnose.CodeSecretTrailingNewline + ")"},
			args: args([]string{"verify", captureFile, "--seq", "2"}, secret)},
		{name: "capture's own provider", wantCode: exitError, want: []string{"seq 3: the github signature", "(" + diagnose.CodeBodyTrailingNewlineAdd + ")"},
			args: args([]string{"verify", "--seq", "3", captureFile}, secret)},
		{name: "no secret", wantCode: exitUsage, wantErr: "no secret to verify with",
			args: args([]string{"verify", "--file", bodyFile}, mustSignVerify(t, "github", verifySecret, verifyBody, testNow))},
		{name: "no delivery", wantCode: exitUsage, wantErr: "verify needs a delivery", args: args([]string{"verify"}, secret)},
		{name: "both forms", wantCode: exitUsage, wantErr: "not both", args: args([]string{"verify", captureFile, "--file", bodyFile}, secret)},
		{name: "headers with a capture", wantCode: exitUsage, wantErr: "-H goes with --file",
			args: args([]string{"verify", captureFile, "--seq", "1", "-H", "X-A: b"}, secret)},
		{name: "capture without --seq", wantCode: exitUsage, wantErr: "holds 3 deliveries (seq 1 to 3): pick one with --seq N", args: args([]string{"verify", captureFile}, secret)},
		{name: "unknown seq", wantCode: exitUsage, wantErr: "no delivery with seq 9", args: args([]string{"verify", captureFile, "--seq", "9"}, secret)},
		{name: "missing capture", wantCode: exitUsage, wantErr: "does not exist", args: args([]string{"verify", filepath.Join(dir, "nope.ndjson"), "--seq", "1"}, secret)},
		{name: "bad header", wantCode: exitUsage, wantErr: "--header must be 'Name: value'", args: args([]string{"verify", "--file", bodyFile, "-H", "nocolon"}, secret)},
		{name: "unreadable body", wantCode: exitUsage, wantErr: "cannot read --file", args: args([]string{"verify", "--file", filepath.Join(dir, "nope.json")}, secret)},
		{name: "bad standard secret", wantCode: exitUsage, wantErr: "cannot use the secret from --secret",
			args: args([]string{"verify", "--file", bodyFile, "--provider", "standard"}, secret)},
		{name: "unknown provider", wantCode: exitUsage, wantErr: "unknown provider", args: args([]string{"verify", "--file", bodyFile, "--provider", "nope"}, secret)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runHooklab(t, world{dir: dir, env: tt.env, stdin: tt.stdin}, tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout does not contain %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(r.stdout, w) {
					t.Errorf("stdout contains %q:\n%s", w, r.stdout)
				}
			}
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantErr, r.stderr)
			}
			if tt.wantCode != exitUsage && r.stderr != "" {
				t.Errorf("stderr: %s", r.stderr)
			}
			assertNoVerifySecret(t, r.stdout+r.stderr, tt.args)
		})
	}
}

// assertNoVerifySecret fails when out shows the secret or a MAC from the
// -H values (any header value's long tokens).
func assertNoVerifySecret(tb testing.TB, out string, args []string) {
	tb.Helper()
	if strings.Contains(out, verifySecret) || strings.Contains(out, strings.TrimSpace(verifySecret)[len(verifySecret)-10:]) {
		tb.Errorf("the output shows the secret:\n%s", out)
	}
	for i, a := range args {
		if a != "-H" || i+1 == len(args) {
			continue
		}
		_, value, _ := strings.Cut(args[i+1], ":")
		for _, tok := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == '=' || r == ' ' }) {
			if len(tok) >= 20 && strings.Contains(out, tok[:20]) {
				tb.Errorf("the output shows a MAC (%s...):\n%s", tok[:20], out)
			}
		}
	}
}

func TestVerifyJSON(t *testing.T) {
	dir := t.TempDir()
	bodyFile := mustWriteFile(t, dir, "body.json", verifyBody+"\n")
	args := append([]string{"verify", "--json", "--file", bodyFile, "--secret", verifySecret},
		mustSignVerify(t, "github", verifySecret, verifyBody, testNow)...)
	r := runHooklab(t, world{dir: dir}, args...)
	if r.code != exitError {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitError, r.stdout, r.stderr)
	}
	var report verifyReport
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, r.stdout)
	}
	if report.Verified || report.Provider != "github" || len(report.Causes) != 1 ||
		report.Causes[0].Code != diagnose.CodeBodyTrailingNewlineAdd || !strings.HasPrefix(report.Summary, "likely cause: ") ||
		!strings.Contains(report.Error, "signature mismatch") {
		t.Errorf("report = %+v", report)
	}
	assertNoVerifySecret(t, r.stdout, args)

	ok := runHooklab(t, world{dir: dir}, append([]string{"verify", "--json", "--file", mustWriteFile(t, dir, "ok.json", verifyBody), "--secret", verifySecret},
		mustSignVerify(t, "github", verifySecret, verifyBody, testNow)...)...)
	if ok.code != exitOK || strings.TrimSpace(ok.stdout) != `{"verified":true,"provider":"github","causes":[]}` {
		t.Errorf("exit %d, stdout %s, stderr %s", ok.code, ok.stdout, ok.stderr)
	}
}

// TestVerifySecretFile shows that a secret read from a file verifies, and
// that one whose sender kept the newline is explained.
func TestVerifySecretFile(t *testing.T) {
	dir := t.TempDir()
	secretFile := mustWriteFile(t, dir, "secret.txt", verifySecret+"\n")
	bodyFile := mustWriteFile(t, dir, "body.json", verifyBody)
	r := runHooklab(t, world{dir: dir}, append([]string{"verify", "--file", bodyFile, "--secret-file", secretFile, "--provider", "gitea"},
		mustSignVerify(t, "gitea", verifySecret+"\n", verifyBody, testNow)...)...)
	if r.code != exitError || !strings.Contains(r.stdout, diagnose.CodeSecretTrailingNewline) {
		t.Errorf("exit %d, stdout %s, stderr %s", r.code, r.stdout, r.stderr)
	}
}

// TestVerifyCaptureKeptSecret: verify FILE, with no secret configured,
// verifies with the secret kept for the delivery's own provider, the one
// listen --provider stripe --record kept, not the environment's github.
func TestVerifyCaptureKeptSecret(t *testing.T) {
	dir := t.TempDir()
	config := t.TempDir()
	mustKeepFor(t, filepath.Join(config, "hooklab"), "stripe", replayStripeSecret)
	file := mustCaptureFile(t, dir, stripeReplayRecord(t))
	w := world{dir: dir, env: map[string]string{"XDG_CONFIG_HOME": config}}
	res := runHooklab(t, w, "verify", file, "--seq", "1")
	checkOutput(t, res, exitOK, []string{"stripe signature"}, []string{"generated for stripe, kept in " + filepath.Join(config, "hooklab", "secret-stripe")})
	checkNoSecret(t, res, replayStripeSecret)

	// --provider still says which kept secret: github's is not kept.
	res = runHooklab(t, w, "verify", file, "--seq", "1", "--provider", "github")
	checkOutput(t, res, exitUsage, nil, []string{"no secret to verify with"})
}
