package main

import (
	"bufio"
	"fmt"
	"net"
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
	u, _ := url.Parse(p.webhookURL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	// Headers asking to continue: the server answers 100 Continue once the
	// handler starts reading the body, so from then on the request is in
	// flight. Then part of the body; the rest never comes.
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: ping\r\n"+
		"X-Hub-Signature-256: sha256=%s\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n", u.Path, strings.Repeat("0", 64))
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("want 100 Continue, got %q, %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil { // the blank line after it
		t.Fatal(err)
	}
	fmt.Fprint(conn, `{"zen":`)
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
