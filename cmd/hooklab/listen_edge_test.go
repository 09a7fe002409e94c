package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/receiver"
)

// godotenv's parse errors quote the file; hooklab must not pass them on,
// since the file holds the secret.
func TestEnvFileParseErrorHidesContents(t *testing.T) {
	const secret = "Super-secret-value-0123456789abcdef"
	tests := []struct {
		name    string
		content string
	}{
		{name: "unterminated quote", content: `WEBHOOK_SECRET="` + secret + "\n"},
		{name: "bad line before the secret", content: "BAD NAME\nWEBHOOK_SECRET=" + secret + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := mustWriteFile(t, dir, "bad.env", tt.content)
			for _, args := range [][]string{
				{"listen", "--addr", "127.0.0.1:0", "--env-file", path},
				{"listen", "--addr", "127.0.0.1:0", "--env-file", path, "--log-format", "json"},
				{"send", "--env-file", path},
				{"sign", "--env-file", path},
			} {
				res := runStopped(t, world{dir: dir}, args...)
				if res.code != exitUsage {
					t.Errorf("%v: exit %d, want %d", args, res.code, exitUsage)
				}
				if out := res.stdout + res.stderr; !strings.Contains(out, "does not parse") || strings.Contains(out, "Super-secret") {
					t.Errorf("%v: want a parse error that does not show the file:\n%s", args, out)
				}
			}
		})
	}
}

// In json mode every line is JSON, a configuration error included.
func TestListenJSONConfigError(t *testing.T) {
	res := runStopped(t, world{}, "listen", "--log-format", "json", "--max-body", "lots")
	if res.code != exitUsage {
		t.Fatalf("exit %d, want %d", res.code, exitUsage)
	}
	if res.stderr != "" {
		t.Errorf("stderr = %q, want nothing: the error is a record on stdout", res.stderr)
	}
	records := mustJSONRecords(t, res.stdout)
	if len(records) != 1 || records[0]["level"] != "ERROR" || !strings.Contains(fmt.Sprint(records[0]["error"]), "--max-body") {
		t.Errorf("records = %v, want one ERROR naming --max-body", records)
	}
}

// Listening on every interface shows a URL a local client can use, and
// warns that others can reach it.
func TestListenUnspecifiedAddress(t *testing.T) {
	p := startListen(t, world{env: map[string]string{envSecret: strings.Repeat("s", 40)}}, "listen", "--addr", "0.0.0.0:0")
	if code := p.stop(t); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	out := p.stdout.String()
	u, ok := bannerURL(out)
	if !ok {
		t.Fatalf("no URL in the banner:\n%s", out)
	}
	parsed, err := url.Parse(u)
	if err != nil || parsed.Hostname() != "127.0.0.1" {
		t.Errorf("banner URL %q, want one on 127.0.0.1", u)
	}
	if !strings.Contains(out, "which other machines may reach") {
		t.Errorf("no warning about listening beyond loopback:\n%s", out)
	}
}

// A request still in flight when the listener is told to stop gets until
// the shutdown timeout; then it is cut off, and listen still prints its
// summary and exits 0: stopping was asked for.
func TestListenShutdownCutsOffStalledRequest(t *testing.T) {
	lim := receiver.DefaultLimits()
	lim.ShutdownTimeout = 100 * time.Millisecond
	w := world{env: map[string]string{envSecret: strings.Repeat("s", 40)}, limits: &lim}
	p := startListen(t, w, "listen", "--addr", "127.0.0.1:0")
	_, br := mustStallDelivery(t, p.webhookURL)
	code := p.stop(t)
	if code != exitOK {
		t.Errorf("exit %d, want 0\n%s%s", code, p.stdout, p.stderr)
	}
	out := p.stdout.String()
	if !strings.Contains(out, "cut off") || !strings.Contains(out, "stopped after") {
		t.Errorf("want a warning that requests were cut off and the summary:\n%s", out)
	}
	// The stalled client's connection was closed.
	if _, err := br.ReadString('\n'); err == nil {
		t.Errorf("the stalled connection is still open")
	}
}

func TestSummaryWording(t *testing.T) {
	tests := []struct {
		name string
		s    receiver.StatsSnapshot
		want string
	}{
		{name: "one", s: receiver.StatsSnapshot{Total: 1, ByStatus: map[int]int{200: 1}, ByEvent: map[string]int{"push": 1}},
			want: "stopped after 1 request; by status: 200 OK: 1; accepted by event: push: 1\n"},
		{name: "event names are quoted when not plain text",
			s:    receiver.StatsSnapshot{Total: 1, ByStatus: map[int]int{200: 1}, ByEvent: map[string]int{"push\u202e": 1}},
			want: "stopped after 1 request; by status: 200 OK: 1; accepted by event: \"push\\u202e\": 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			printSummary(&b, nil, listenConfig{}, tt.s)
			if b.String() != tt.want {
				t.Errorf("got  %q\nwant %q", b.String(), tt.want)
			}
		})
	}
}

// mustStallDelivery starts a delivery to webhookURL that stays in flight:
// the handler is reading its body, whose end never comes. It returns the
// connection, whose reader gets the answer if one comes.
func mustStallDelivery(tb testing.TB, webhookURL string) (net.Conn, *bufio.Reader) {
	tb.Helper()
	u, err := url.Parse(webhookURL)
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(failsafe))
	// Headers asking to continue: the server answers 100 Continue once the
	// handler starts reading the body, so from then on the request is in
	// flight. Then part of the body; the rest never comes.
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: ping\r\n"+
		"X-Hub-Signature-256: sha256=%s\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n", u.Path, strings.Repeat("0", 64))
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		tb.Fatalf("want 100 Continue, got %q, %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil { // the blank line after it
		tb.Fatal(err)
	}
	fmt.Fprint(conn, `{"zen":`)
	return conn, br
}

// waitForOutput waits until out contains want, or fails after failsafe.
func waitForOutput(tb testing.TB, out *outputBuffer, want string) {
	tb.Helper()
	timer := time.NewTimer(failsafe)
	defer timer.Stop()
	for !strings.Contains(out.String(), want) {
		select {
		case <-out.wrote:
		case <-timer.C:
			tb.Fatalf("no %q in the output:\n%s", want, out)
		}
	}
}

// A second Ctrl-C while listen waits for a delivery in flight stops it at
// once: it says the delivery was cut off, prints the summary and exits 1.
// The shutdown timeout is far longer than the test may take, so only the
// second Ctrl-C can end the wait.
func TestListenSecondInterruptStopsAtOnce(t *testing.T) {
	tests := []struct {
		name      string
		format    string
		wantFirst string // the line at the first Ctrl-C
		wantLast  string // the line at the second
	}{
		{name: "text", format: logText, wantFirst: "stopping: Ctrl-C again stops at once", wantLast: "WARN interrupted again: stopped at once; deliveries in flight were cut off"},
		{name: "json", format: logJSON, wantFirst: `"msg":"stopping: Ctrl-C again stops at once`, wantLast: `"level":"WARN","msg":"interrupted again: stopped at once; deliveries in flight were cut off"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := receiver.DefaultLimits()
			lim.ShutdownTimeout = 10 * failsafe
			w := world{env: map[string]string{envSecret: strings.Repeat("s", 40)}, limits: &lim, force: make(chan struct{})}
			p := startListen(t, w, "listen", "--addr", "127.0.0.1:0", "--log-format", tt.format)
			mustStallDelivery(t, p.webhookURL)

			p.cancel() // the first Ctrl-C
			waitForOutput(t, p.stdout, tt.wantFirst)
			close(w.force) // the second
			select {
			case p.code = <-p.done:
				p.stopped = true
			case <-time.After(failsafe):
				t.Fatalf("listen did not stop at the second Ctrl-C\n%s", p.stdout)
			}
			if p.code != exitError {
				t.Errorf("exit %d, want %d", p.code, exitError)
			}
			out := p.stdout.String()
			for _, want := range []string{tt.wantLast, "stopped"} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in the output:\n%s", want, out)
				}
			}
			if tt.format == logJSON {
				mustJSONRecords(t, out)
			}
			if p.stderr.String() != "" {
				t.Errorf("stderr is not empty: %s", p.stderr)
			}
		})
	}
}

// A first Ctrl-C alone still stops gracefully: the delivery in flight
// finishes and is answered, and listen exits 0.
func TestListenFirstInterruptWaitsForDeliveries(t *testing.T) {
	w := world{env: map[string]string{envSecret: strings.Repeat("s", 40)}, force: make(chan struct{})}
	p := startListen(t, w, "listen", "--addr", "127.0.0.1:0")
	conn, br := mustStallDelivery(t, p.webhookURL)
	p.cancel()
	waitForOutput(t, p.stdout, "Ctrl-C again stops at once")
	fmt.Fprint(conn, strings.Repeat(" ", 100-len(`{"zen":`)))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the delivery in flight got no answer: %v", err)
	}
	resp.Body.Close()
	if code := p.stop(t); code != exitOK {
		t.Errorf("exit %d, want 0\n%s", code, p.stdout)
	}
}
