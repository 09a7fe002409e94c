package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/internal/golden"
	"github.com/hooklab/hooklab/receiver"
)

// failsafe bounds every wait on a running listen, so that a broken build
// fails with its output instead of hanging until go test's own timeout.
// Nothing is asserted about how long anything takes.
const failsafe = 2 * time.Minute

// pingBody is the body of a ping as GitHub sends it, trimmed.
const pingBody = `{"zen":"Keep it logically awesome.","hook_id":1}`

// signGitHub returns the X-Hub-Signature-256 value for body, computed here
// with crypto/hmac so that no expectation comes from the package under test.
func signGitHub(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// TestSignGitHub checks the test's own signer against the example in
// GitHub's "Validating webhook deliveries" documentation
// (docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
func TestSignGitHub(t *testing.T) {
	got := signGitHub("It's a Secret to Everybody", []byte("Hello, World!"))
	const want = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got != want {
		t.Errorf("signGitHub = %s, want %s", got, want)
	}
}

// pingHeaders are the headers of a ping delivery signed with secret.
func pingHeaders(secret, id string) map[string]string {
	return map[string]string{
		"Content-Type":        "application/json",
		"X-GitHub-Event":      "ping",
		"X-GitHub-Delivery":   id,
		"X-Hub-Signature-256": signGitHub(secret, []byte(pingBody)),
	}
}

// outputBuffer is stdout or stderr for a running listen. The server's
// goroutines write while the test reads, so it is locked; each write wakes
// a test waiting on wrote.
type outputBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func newOutputBuffer() *outputBuffer { return &outputBuffer{wrote: make(chan struct{}, 1)} }

func (b *outputBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	b.mu.Unlock()
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (b *outputBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listenProcess is `hooklab listen` running in-process on its own goroutine.
type listenProcess struct {
	stdout, stderr *outputBuffer
	cancel         context.CancelFunc
	done           chan int // gets the exit code
	code           int
	stopped        bool
	webhookURL     string // as the banner shows it
	baseURL        string // scheme and host of webhookURL
}

// startListen runs hooklab with args until its banner is out and returns
// it running. Stop it with stop; the test's cleanup stops it otherwise.
func startListen(tb testing.TB, w world, args ...string) *listenProcess {
	tb.Helper()
	p := &listenProcess{stdout: newOutputBuffer(), stderr: newOutputBuffer(), done: make(chan int, 1)}
	sys := w.system(tb, p.stdout, p.stderr)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- runWith(ctx, append([]string{"hooklab"}, args...), sys) }()
	tb.Cleanup(func() {
		p.cancel()
		if !p.stopped {
			select {
			case <-p.done:
			case <-time.After(failsafe):
			}
		}
	})

	timer := time.NewTimer(failsafe)
	defer timer.Stop()
	for {
		if u, ok := bannerURL(p.stdout.String()); ok {
			p.webhookURL = u
			break
		}
		select {
		case <-p.stdout.wrote:
		case p.code = <-p.done:
			p.stopped = true
			tb.Fatalf("listen exited with %d before it was ready\nstdout:\n%s\nstderr:\n%s", p.code, p.stdout, p.stderr)
		case <-timer.C:
			tb.Fatalf("listen printed no banner\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
		}
	}
	u, err := url.Parse(p.webhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		tb.Fatalf("the banner's URL %q is not an http URL: %v", p.webhookURL, err)
	}
	p.baseURL = u.Scheme + "://" + u.Host
	return p
}

// stop cancels listen's context and returns its exit code.
func (p *listenProcess) stop(tb testing.TB) int {
	tb.Helper()
	if p.stopped {
		return p.code
	}
	p.cancel()
	select {
	case p.code = <-p.done:
		p.stopped = true
	case <-time.After(failsafe):
		tb.Fatalf("listen did not stop\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
	}
	return p.code
}

var (
	ansiEscape     = regexp.MustCompile("\x1b\\[[0-9;]*m")
	bannerPostLine = regexp.MustCompile(`(?m)^hooklab listen  POST (https?://\S+)`)
)

// bannerURL returns the webhook URL from a complete banner in out: the
// "listening" record in JSON, the POST line once the whole text banner is
// out otherwise.
func bannerURL(out string) (string, bool) {
	lines := strings.Split(out, "\n")
	lines = lines[:len(lines)-1] // the last one is incomplete or empty
	for _, line := range lines {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "listening" {
			u, ok := rec["url"].(string)
			return u, ok
		}
	}
	plain := ansiEscape.ReplaceAllString(out, "")
	if !strings.Contains(plain, "Ctrl-C stops and prints a summary.\n") {
		return "", false
	}
	m := bannerPostLine.FindStringSubmatch(plain)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// send makes one request and returns the status and the answer's body.
func send(tb testing.TB, method, target string, body []byte, header map[string]string) (int, string) {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), method, target, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading the answer: %v", method, target, err)
	}
	return resp.StatusCode, string(answer)
}

// mustJSONRecords checks that every line of out is a JSON object, and
// returns them.
func mustJSONRecords(tb testing.TB, out string) []map[string]any {
	tb.Helper()
	if out == "" {
		return nil
	}
	if !strings.HasSuffix(out, "\n") {
		tb.Errorf("the output does not end with a newline: %q", out)
	}
	var records []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !json.Valid([]byte(line)) {
			tb.Errorf("line %d is not JSON: %q", i+1, line)
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			tb.Errorf("line %d is not a JSON object: %q", i+1, line)
			continue
		}
		records = append(records, rec)
	}
	return records
}

// recordsWith returns the records whose msg is msg.
func recordsWith(records []map[string]any, msg string) []map[string]any {
	var found []map[string]any
	for _, rec := range records {
		if rec["msg"] == msg {
			found = append(found, rec)
		}
	}
	return found
}

func TestListenJSONEndToEnd(t *testing.T) {
	// Short, so that the output has a warning record too.
	const secret = "short-e2e-Secret"
	p := startListen(t, world{env: map[string]string{envSecret: secret}},
		"listen", "--addr", "127.0.0.1:0", "--log-format", "json")
	if !strings.HasPrefix(p.webhookURL, "http://127.0.0.1:") || !strings.HasSuffix(p.webhookURL, receiver.DefaultPath) ||
		strings.HasPrefix(p.webhookURL, "http://127.0.0.1:0/") {
		t.Errorf("url %q is not the bound loopback address and the default path", p.webhookURL)
	}

	status, answer := send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders(secret, "delivery-1"))
	if status != http.StatusOK {
		t.Errorf("signed ping: status %d, want 200; answer %s", status, answer)
	}
	status, answer = send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders("some-other-secret", "delivery-2"))
	if status != http.StatusUnauthorized {
		t.Errorf("ping signed with another secret: status %d, want 401; answer %s", status, answer)
	}
	if code := p.stop(t); code != exitOK {
		t.Errorf("exit code %d, want 0\nstderr:\n%s", code, p.stderr)
	}

	out := p.stdout.String()
	records := mustJSONRecords(t, out)
	if len(records) == 0 {
		t.Fatal("no output")
	}
	if records[0]["msg"] != "listening" || records[0]["url"] != p.webhookURL {
		t.Errorf("first record is not the listening one with the URL: %v", records[0])
	}
	if records[0]["secret_source"] != envSecret {
		t.Errorf("secret_source = %v, want %s", records[0]["secret_source"], envSecret)
	}
	if _, ok := records[0]["secret"]; ok {
		t.Error("the listening record shows a configured secret")
	}
	if warnings := recordsWith(records, "the secret from "+envSecret+" is 16 characters; use at least 32 random characters"); len(warnings) != 1 || warnings[0]["level"] != "WARN" {
		t.Errorf("want one WARN record about the short secret:\n%s", out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("the output contains the secret:\n%s", out)
	}
	deliveries := recordsWith(records, receiver.MsgDelivery)
	if len(deliveries) != 2 {
		t.Fatalf("want 2 delivery records, got %d:\n%s", len(deliveries), out)
	}
	if deliveries[0][receiver.KeyStatus] != 200.0 || deliveries[0][receiver.KeyEvent] != "ping" || deliveries[0][receiver.KeyDelivery] != "delivery-1" {
		t.Errorf("first delivery record: %v", deliveries[0])
	}
	if deliveries[1][receiver.KeyStatus] != 401.0 || deliveries[1][receiver.KeyReason] != string(receiver.ReasonSignatureMismatch) {
		t.Errorf("second delivery record: %v", deliveries[1])
	}

	last := records[len(records)-1]
	if last["msg"] != "stopped" {
		t.Fatalf("last record is not the summary: %v", last)
	}
	if last["total"] != 2.0 {
		t.Errorf("total = %v, want 2", last["total"])
	}
	wantByStatus := map[string]any{"200": 1.0, "401": 1.0}
	if byStatus, _ := last["by_status"].(map[string]any); !mapsEqual(byStatus, wantByStatus) {
		t.Errorf("by_status = %v, want %v", last["by_status"], wantByStatus)
	}
	wantByEvent := map[string]any{"ping": 1.0}
	if byEvent, _ := last["by_event"].(map[string]any); !mapsEqual(byEvent, wantByEvent) {
		t.Errorf("by_event = %v, want %v (only accepted deliveries count)", last["by_event"], wantByEvent)
	}
	if p.stderr.String() != "" {
		t.Errorf("stderr is not empty:\n%s", p.stderr)
	}
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestListenTextEndToEnd(t *testing.T) {
	const secret = "an-end-to-end-secret-0123456789abcdef"
	p := startListen(t, world{env: map[string]string{envSecret: secret}},
		"listen", "--addr", "127.0.0.1:0", "--color", "never")

	status, answer := send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders(secret, "delivery-1"))
	if status != http.StatusOK {
		t.Errorf("signed ping: status %d, want 200; answer %s", status, answer)
	}
	status, answer = send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders("some-other-secret", "delivery-2"))
	if status != http.StatusUnauthorized {
		t.Errorf("ping signed with another secret: status %d, want 401; answer %s", status, answer)
	}
	if code := p.stop(t); code != exitOK {
		t.Errorf("exit code %d, want 0\nstderr:\n%s", code, p.stderr)
	}

	out := p.stdout.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if want := "hooklab listen  POST " + p.webhookURL + "  (health: " + p.baseURL + receiver.HealthPath + ")"; lines[0] != want {
		t.Errorf("first line:\n%s\nwant:\n%s", lines[0], want)
	}
	if !strings.Contains(out, "secret  from "+envSecret+"\n") {
		t.Errorf("the banner does not name the secret's source:\n%s", out)
	}
	if !strings.Contains(out, "curl -sS "+p.webhookURL+" ") {
		t.Errorf("the banner's curl line does not post to %s:\n%s", p.webhookURL, out)
	}
	const wantSummary = "stopped after 2 requests; by status: 200 OK: 1, 401 Unauthorized: 1; accepted by event: ping: 1"
	if got := lines[len(lines)-1]; got != wantSummary {
		t.Errorf("last line:\n%s\nwant:\n%s", got, wantSummary)
	}
	if ansiEscape.MatchString(out) {
		t.Errorf("--color never printed escapes:\n%q", out)
	}
	if p.stderr.String() != "" {
		t.Errorf("stderr is not empty:\n%s", p.stderr)
	}
}

func TestListenNeverPrintsConfiguredSecret(t *testing.T) {
	const secret = "configured-Secret-9f86d081884c7d659a2feaa0c55ad015"
	tests := []struct {
		name   string
		env    map[string]string
		args   []string // before the format; paths are relative to the working directory
		source string   // the banner's secret_source
	}{
		{name: "flag", args: []string{"--secret", secret}, source: "--secret"},
		{name: "environment", env: map[string]string{envSecret: secret}, source: envSecret},
		{name: "env file", args: []string{"--env-file", "hooklab.env"}, source: envSecret + " in hooklab.env"},
		{name: "secret file", args: []string{"--secret-file", "secret.txt"}, source: "--secret-file secret.txt"},
	}
	for _, tt := range tests {
		for _, format := range []string{logText, logJSON} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				dir := t.TempDir()
				mustWriteFile(t, dir, "hooklab.env", envSecret+"="+secret+"\n")
				mustWriteFile(t, dir, "secret.txt", secret+"\n")
				args := append([]string{"listen", "--addr", "127.0.0.1:0", "--log-format", format, "--color", "always"}, tt.args...)
				p := startListen(t, world{env: tt.env, dir: dir}, args...)

				wrongBody := []byte(`{"zen":"signed with the wrong secret","hook_id":2}`)
				wrongHeaders := pingHeaders("not-the-"+secret, "wrong")
				wrongHeaders["X-Hub-Signature-256"] = signGitHub("not-the-"+secret, wrongBody)
				malformedSig := pingHeaders(secret, "malformed-signature")
				malformedSig["X-Hub-Signature-256"] = "sha256=not-hex"
				badJSON := []byte(`{"zen": not json`)
				badJSONHeaders := pingHeaders(secret, "malformed-body")
				badJSONHeaders["X-Hub-Signature-256"] = signGitHub(secret, badJSON)
				requests := []struct {
					name   string
					body   []byte
					header map[string]string
					want   int
				}{
					{name: "valid", body: []byte(pingBody), header: pingHeaders(secret, "valid"), want: http.StatusOK},
					{name: "wrong signature", body: wrongBody, header: wrongHeaders, want: http.StatusUnauthorized},
					{name: "malformed signature", body: []byte(pingBody), header: malformedSig, want: http.StatusUnauthorized},
					{name: "malformed body", body: badJSON, header: badJSONHeaders, want: http.StatusBadRequest},
				}
				var answers strings.Builder
				for _, r := range requests {
					status, answer := send(t, http.MethodPost, p.webhookURL, r.body, r.header)
					if status != r.want {
						t.Errorf("%s: status %d, want %d; answer %s", r.name, status, r.want, answer)
					}
					answers.WriteString(answer)
				}
				if code := p.stop(t); code != exitOK {
					t.Errorf("exit code %d, want 0\nstderr:\n%s", code, p.stderr)
				}

				stdout, stderr := p.stdout.String(), p.stderr.String()
				// The MAC the receiver expected for the wrong delivery is as
				// secret as the secret: it must not show either.
				expectedMAC := strings.TrimPrefix(signGitHub(secret, wrongBody), "sha256=")
				for name, out := range map[string]string{"stdout": stdout, "stderr": stderr, "answers": answers.String()} {
					if strings.Contains(out, secret) {
						t.Errorf("%s contains the secret:\n%s", name, out)
					}
					if strings.Contains(out, expectedMAC) {
						t.Errorf("%s contains the expected MAC of the wrong delivery:\n%s", name, out)
					}
				}
				if format == logJSON {
					records := mustJSONRecords(t, stdout)
					if got := records[0]["secret_source"]; got != tt.source {
						t.Errorf("secret_source = %v, want %q", got, tt.source)
					}
				} else if !strings.Contains(ansiEscape.ReplaceAllString(stdout, ""), "secret  from "+tt.source+"\n") {
					t.Errorf("the banner does not say the secret is from %s:\n%s", tt.source, stdout)
				}
			})
		}
	}
}

func TestListenShowsGeneratedSecretOnce(t *testing.T) {
	secret := generatedSecret()
	for _, format := range []string{logText, logJSON} {
		t.Run(format, func(t *testing.T) {
			p := startListen(t, world{}, "listen", "--addr", "127.0.0.1:0", "--log-format", format)
			status, answer := send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders(secret, "generated"))
			if status != http.StatusOK {
				t.Errorf("ping signed with the generated secret: status %d, want 200; answer %s", status, answer)
			}
			status, answer = send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders("not-"+secret, "wrong"))
			if status != http.StatusUnauthorized {
				t.Errorf("ping signed with another secret: status %d, want 401; answer %s", status, answer)
			}
			if code := p.stop(t); code != exitOK {
				t.Errorf("exit code %d, want 0\nstderr:\n%s", code, p.stderr)
			}
			stdout, stderr := p.stdout.String(), p.stderr.String()
			if format == logJSON {
				records := mustJSONRecords(t, stdout)
				if got := records[0]["secret"]; got != secret {
					t.Errorf("the listening record's secret = %v, want %s", got, secret)
				}
				if got := records[0]["secret_source"]; got != "generated" {
					t.Errorf("secret_source = %v, want generated", got)
				}
			} else if !strings.Contains(stdout, "\n          export "+envSecret+"="+secret+"\n") {
				t.Errorf("the banner does not show the generated secret:\n%s", stdout)
			}
			if n := strings.Count(stdout+stderr, secret); n != 1 {
				t.Errorf("the generated secret appears %d times in the output, want exactly once (the banner's secret):\n%s%s", n, stdout, stderr)
			}
		})
	}
}

func TestListenFromEnvFile(t *testing.T) {
	const secret = "secret-from-the-env-file-0123456789abcdef"
	dir := t.TempDir()
	envFile := mustWriteFile(t, dir, "hooklab.env", envSecret+"="+secret+"\n"+envPath+"=/hooks\n")
	// t.Chdir sets PWD; change directory before taking the snapshot so that
	// only listen's own changes would show.
	t.Chdir(dir)
	environBefore := os.Environ()

	p := startListen(t, world{dir: dir}, "listen", "--addr", "127.0.0.1:0", "--env-file", envFile)
	if want := p.baseURL + "/hooks"; p.webhookURL != want {
		t.Errorf("the banner's URL is %s, want %s", p.webhookURL, want)
	}
	status, answer := send(t, http.MethodPost, p.baseURL+"/hooks", []byte(pingBody), pingHeaders(secret, "to-hooks"))
	if status != http.StatusOK {
		t.Errorf("POST /hooks: status %d, want 200; answer %s", status, answer)
	}
	status, answer = send(t, http.MethodPost, p.baseURL+receiver.DefaultPath, []byte(pingBody), pingHeaders(secret, "to-webhook"))
	if status != http.StatusNotFound {
		t.Errorf("POST %s: status %d, want 404; answer %s", receiver.DefaultPath, status, answer)
	}
	if code := p.stop(t); code != exitOK {
		t.Errorf("exit code %d, want 0\nstderr:\n%s", code, p.stderr)
	}
	if environAfter := os.Environ(); !slices.Equal(environBefore, environAfter) {
		t.Error("listen changed the process environment")
	}
	if strings.Contains(p.stdout.String()+p.stderr.String(), secret) {
		t.Errorf("the output contains the secret:\n%s", p.stdout)
	}
}

func TestListenDefaultEnvFile(t *testing.T) {
	const secret = "secret-from-dot-env-0123456789abcdefgh"
	dir := t.TempDir()
	mustWriteFile(t, dir, defaultEnvFile, envSecret+"="+secret+"\n")
	p := startListen(t, world{dir: dir}, "listen", "--addr", "127.0.0.1:0", "--log-format", "json")
	status, answer := send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders(secret, "dot-env"))
	if status != http.StatusOK {
		t.Errorf("ping signed with the .env secret: status %d, want 200; answer %s", status, answer)
	}
	if code := p.stop(t); code != exitOK {
		t.Errorf("exit code %d, want 0", code)
	}
	records := mustJSONRecords(t, p.stdout.String())
	if want := envSecret + " in " + defaultEnvFile; records[0]["secret_source"] != want {
		t.Errorf("secret_source = %v, want %q", records[0]["secret_source"], want)
	}
}

func TestListenAddrAndPathSettings(t *testing.T) {
	// Every losing address is invalid, so picking one exits 2; the winner
	// takes a free port.
	const free, bad = "127.0.0.1:0", "not-an-address"
	tests := []struct {
		name     string
		env      map[string]string
		envFile  string // the contents of .env in the working directory
		args     []string
		wantCode int
		wantPath string
	}{
		{name: "defaults", args: []string{"--addr", free}, wantPath: "/webhook"},
		{name: "path from the environment", env: map[string]string{envPath: "/from-env"}, args: []string{"--addr", free}, wantPath: "/from-env"},
		{name: "path from the env file", envFile: envPath + "=/from-file\n", args: []string{"--addr", free}, wantPath: "/from-file"},
		{name: "environment beats env file", env: map[string]string{envPath: "/from-env"}, envFile: envPath + "=/from-file\n", args: []string{"--addr", free}, wantPath: "/from-env"},
		{name: "empty in the environment counts as unset", env: map[string]string{envPath: ""}, envFile: envPath + "=/from-file\n", args: []string{"--addr", free}, wantPath: "/from-file"},
		{name: "empty in the env file counts as unset", envFile: envPath + "=\n", args: []string{"--addr", free}, wantPath: "/webhook"},
		{name: "flag beats both", env: map[string]string{envPath: "/from-env"}, envFile: envPath + "=/from-file\n", args: []string{"--addr", free, "--path", "/from-flag"}, wantPath: "/from-flag"},
		{name: "flag set to the default still beats both", env: map[string]string{envPath: "/from-env"}, envFile: envPath + "=/from-file\n", args: []string{"--addr", free, "--path", "/webhook"}, wantPath: "/webhook"},
		{name: "address from the environment", env: map[string]string{envAddr: free}, envFile: envAddr + "=" + bad + "\n", wantPath: "/webhook"},
		{name: "address from the env file", envFile: envAddr + "=" + free + "\n", wantPath: "/webhook"},
		{name: "address from the env file is used", envFile: envAddr + "=" + bad + "\n", wantCode: exitUsage},
		{name: "address flag beats both", env: map[string]string{envAddr: bad}, envFile: envAddr + "=" + bad + "\n", args: []string{"--addr", free}, wantPath: "/webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.envFile != "" {
				mustWriteFile(t, dir, defaultEnvFile, tt.envFile)
			}
			args := append([]string{"listen", "--log-format", "json"}, tt.args...)
			got := runStopped(t, world{env: tt.env, dir: dir}, args...)
			if got.code != tt.wantCode {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, tt.wantCode, got.stdout, got.stderr)
			}
			if tt.wantCode != exitOK {
				return
			}
			records := mustJSONRecords(t, got.stdout)
			if len(records) == 0 || records[0]["msg"] != "listening" {
				t.Fatalf("no listening record:\n%s", got.stdout)
			}
			if records[0]["path"] != tt.wantPath {
				t.Errorf("path = %v, want %s", records[0]["path"], tt.wantPath)
			}
			if u, _ := records[0]["url"].(string); !strings.HasPrefix(u, "http://127.0.0.1:") || !strings.HasSuffix(u, tt.wantPath) {
				t.Errorf("url = %q, want 127.0.0.1 and %s", u, tt.wantPath)
			}
		})
	}
}

func TestListenWarnings(t *testing.T) {
	const (
		short  = "short-Secret-7f3a9c"                              // 19 characters
		padded = " padded-Secret-0123456789abcdef0123456789abcdef " // white space at both ends
		good   = "good-Secret-0123456789abcdef0123456789abcdef"
	)
	tests := []struct {
		name         string
		secret       string // "" generates one
		wantWarnings []string
	}{
		{name: "short", secret: short, wantWarnings: []string{"is 19 characters; use at least 32"}},
		{name: "white space", secret: padded, wantWarnings: []string{"starts or ends with white space"}},
		{name: "long enough", secret: good},
		{name: "generated", secret: ""},
	}
	for _, tt := range tests {
		for _, format := range []string{logText, logJSON} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				args := []string{"listen", "--addr", "127.0.0.1:0", "--log-format", format}
				if tt.secret != "" {
					args = append(args, "--secret", tt.secret)
				}
				// A home to keep a generated secret in: without one, that
				// is warned about.
				got := runStopped(t, world{env: map[string]string{"XDG_CONFIG_HOME": t.TempDir()}}, args...)
				if got.code != exitOK {
					t.Fatalf("exit code %d, want 0\nstderr:\n%s", got.code, got.stderr)
				}
				var warnings []string
				switch format {
				case logText:
					for _, line := range strings.Split(got.stdout, "\n") {
						if w, ok := strings.CutPrefix(line, "  warning "); ok {
							warnings = append(warnings, w)
						}
					}
				case logJSON:
					for _, rec := range mustJSONRecords(t, got.stdout) {
						if rec["level"] == "WARN" {
							msg, _ := rec["msg"].(string)
							warnings = append(warnings, msg)
						}
					}
				}
				if len(warnings) != len(tt.wantWarnings) {
					t.Fatalf("got warnings %q, want ones containing %q\nstdout:\n%s", warnings, tt.wantWarnings, got.stdout)
				}
				for i, want := range tt.wantWarnings {
					if !strings.Contains(warnings[i], want) || !strings.Contains(warnings[i], "--secret") {
						t.Errorf("warning %q does not contain %q and the source --secret", warnings[i], want)
					}
				}
				if tt.secret != "" && strings.Contains(got.stdout+got.stderr, strings.TrimSpace(tt.secret)) {
					t.Errorf("the output contains the secret:\n%s", got.stdout)
				}
			})
		}
	}
}

func TestListenColor(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		terminal bool
		want     bool
	}{
		{name: "always", args: []string{"--color", "always"}, want: true},
		{name: "always despite NO_COLOR", args: []string{"--color", "always"}, env: map[string]string{envNoColor: "1"}, want: true},
		{name: "never on a terminal", args: []string{"--color", "never"}, terminal: true, want: false},
		{name: "auto without a terminal", args: []string{"--color", "auto"}, want: false},
		{name: "auto on a terminal", args: []string{"--color", "auto"}, terminal: true, want: true},
		{name: "auto is the default", terminal: true, want: true},
		{name: "auto on a terminal with NO_COLOR", args: []string{"--color", "auto"}, env: map[string]string{envNoColor: "1"}, terminal: true, want: false},
		{name: "json never", args: []string{"--color", "always", "--log-format", "json"}, terminal: true, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"listen", "--addr", "127.0.0.1:0"}, tt.args...)
			got := runStopped(t, world{env: tt.env, terminal: tt.terminal}, args...)
			if got.code != exitOK {
				t.Fatalf("exit code %d, want 0\nstderr:\n%s", got.code, got.stderr)
			}
			if colored := strings.Contains(got.stdout, "\x1b["); colored != tt.want {
				t.Errorf("escapes in the output: %v, want %v\n%q", colored, tt.want, got.stdout)
			}
		})
	}
}

// TestListenColorsDeliveries checks that the log lines, not only the banner,
// follow --color.
func TestListenColorsDeliveries(t *testing.T) {
	for _, mode := range []string{"always", "never"} {
		t.Run(mode, func(t *testing.T) {
			p := startListen(t, world{}, "listen", "--addr", "127.0.0.1:0", "--color", mode)
			banner := p.stdout.String()
			send(t, http.MethodGet, p.baseURL+"/nothing-here", nil, nil)
			if code := p.stop(t); code != exitOK {
				t.Errorf("exit code %d, want 0", code)
			}
			rest := strings.TrimPrefix(p.stdout.String(), banner)
			if !strings.Contains(ansiEscape.ReplaceAllString(rest, ""), "404") {
				t.Fatalf("no log line for the 404:\n%s", rest)
			}
			if colored := strings.Contains(rest, "\x1b["); colored != (mode == "always") {
				t.Errorf("--color %s: escapes in the log lines: %v\n%q", mode, colored, rest)
			}
		})
	}
}

// jsonLogger is the JSON logger listen uses, without the time, so that the
// output can be compared with a golden file.
func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func TestBannerGolden(t *testing.T) {
	configured := secret{value: "configured-0123456789abcdef0123456789", source: envSecret}
	generated := secret{value: generatedSecret(), source: "generated", notKept: "no configuration directory: neither $XDG_CONFIG_HOME nor $HOME is set"}
	const keptIn = "/home/u/.config/hooklab/secret-github"
	generatedKept := secret{value: generatedSecret(), source: sourceGenerated, keptIn: keptIn, keptFor: "github"}
	kept := secret{value: generatedSecret(), source: sourceKept, keptIn: keptIn, keptFor: "github"}
	fromEnvFile := secret{value: configured.value, source: envSecret + " in " + defaultEnvFile, envFile: defaultEnvFile}
	fromNamedEnvFile := secret{value: configured.value, source: envSecret + " in hooklab.env", envFile: "hooklab.env"}
	fromFile := secret{value: configured.value, source: "--secret-file my secret.txt", secretFile: "my secret.txt"}
	tests := []struct {
		name  string
		url   string
		bound string // the address bound, when not the URL's
		cfg   listenConfig
	}{
		{name: "configured", url: "http://127.0.0.1:8080", cfg: listenConfig{path: "/webhook", secret: configured, maxBody: 25 << 20}},
		{name: "generated", url: "http://127.0.0.1:8080", cfg: listenConfig{path: "/webhook", secret: generatedKept, maxBody: 25 << 20}},
		{name: "generated not kept", url: "http://127.0.0.1:8080", cfg: listenConfig{path: "/webhook", secret: generated, maxBody: 25 << 20}},
		{name: "kept", url: "http://127.0.0.1:8080", cfg: listenConfig{path: "/webhook", secret: kept, maxBody: 25 << 20}},
		{name: "env file", url: "http://127.0.0.1:8080", cfg: listenConfig{path: "/webhook", secret: fromEnvFile, maxBody: 25 << 20}},
		{name: "named env file", url: "http://127.0.0.1:8080", cfg: listenConfig{path: "/webhook", secret: fromNamedEnvFile, maxBody: 25 << 20}},
		{name: "secret file", url: "http://127.0.0.1:8080", cfg: listenConfig{path: "/webhook", secret: fromFile, maxBody: 25 << 20}},
		{name: "warnings", url: "http://127.0.0.1:8080", bound: "[::]:8080", cfg: listenConfig{path: "/hooks", maxBody: 512 << 10, allowChunked: true,
			secret: secret{value: " short ", source: "--secret-file secret.txt", secretFile: "secret.txt"}}},
		{name: "color", url: "http://127.0.0.1:8080", cfg: listenConfig{path: "/webhook", secret: configured, maxBody: 25 << 20, color: true}},
		{name: "previous", url: "http://127.0.0.1:8080", cfg: listenConfig{path: "/webhook", maxBody: 25 << 20,
			secret: secret{value: configured.value, others: []string{"previous-0123456789abcdef0123456789"}, source: envSecret, previousFrom: envSecretPrevious}}},
		{name: "rotation", url: "http://127.0.0.1:8080", cfg: listenConfig{path: "/webhook", maxBody: 25 << 20,
			secret: secret{value: configured.value, others: []string{"second-0123456789abcdef0123456789ab", "previous-0123456789abcdef0123456789"},
				source: "--secret", previousFrom: envSecretPrevious + " in .env"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text bytes.Buffer
			cfg := tt.cfg
			bound := tt.bound
			if bound == "" {
				bound = strings.TrimPrefix(tt.url, "http://")
			}
			banner{url: tt.url, bound: bound, cfg: cfg}.print(&text, slog.New(receiver.NewTextHandler(&text, cfg.color)))
			name := strings.ReplaceAll(tt.name, " ", "-")
			golden.Check(t, "banner-"+name+".txt", text.Bytes())

			if cfg.color {
				return
			}
			var js bytes.Buffer
			cfg.json = true
			banner{url: tt.url, bound: bound, cfg: cfg}.print(&js, jsonLogger(&js))
			mustJSONRecords(t, js.String())
			golden.Check(t, "banner-"+name+".json", js.Bytes())
		})
	}
}

func TestSummaryGolden(t *testing.T) {
	tests := []struct {
		name  string
		stats receiver.StatsSnapshot
	}{
		{name: "none", stats: receiver.StatsSnapshot{ByStatus: map[int]int{}, ByEvent: map[string]int{}}},
		{name: "refused only", stats: receiver.StatsSnapshot{Total: 2, ByStatus: map[int]int{401: 1, 404: 1}, ByEvent: map[string]int{}}},
		{name: "mixed", stats: receiver.StatsSnapshot{Total: 6,
			ByStatus: map[int]int{200: 3, 401: 1, 404: 1, 413: 1}, ByEvent: map[string]int{"ping": 1, "push": 2}}},
		{name: "other events", stats: receiver.StatsSnapshot{Total: 5,
			ByStatus: map[int]int{200: 5}, ByEvent: map[string]int{"push": 2}, OtherEvents: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := strings.ReplaceAll(tt.name, " ", "-")
			var text bytes.Buffer
			printSummary(&text, slog.New(receiver.NewTextHandler(&text, false)), listenConfig{}, tt.stats)
			golden.Check(t, "summary-"+name+".txt", text.Bytes())

			var js bytes.Buffer
			printSummary(&js, jsonLogger(&js), listenConfig{json: true}, tt.stats)
			mustJSONRecords(t, js.String())
			golden.Check(t, "summary-"+name+".json", js.Bytes())
		})
	}
}
