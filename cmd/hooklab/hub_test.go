package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

// appDelivery is what the test app got.
type appDelivery struct {
	event    string
	body     []byte
	verified error // the app's own verifier's verdict
	header   http.Header
}

// verifyingApp is the user's app: it verifies GitHub signatures with secret
// (as octokit or go-github would), sends what it got on a channel, and
// answers 500 to push and 200 to anything else, with a body of its own.
func verifyingApp(tb testing.TB, secret string) (*httptest.Server, <-chan appDelivery) {
	tb.Helper()
	scheme, err := signing.NewGitHub(secret)
	if err != nil {
		tb.Fatal(err)
	}
	got := make(chan appDelivery, 100)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- appDelivery{event: r.Header.Get("X-GitHub-Event"), body: body, header: r.Header.Clone(),
			verified: signing.Verify(scheme, r.Header, body, time.Now())}
		w.Header().Set("X-App", "mine")
		if r.Header.Get("X-GitHub-Event") == "push" {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"app":"push failed"}`)
			return
		}
		io.WriteString(w, `{"app":"thanks"}`)
	}))
	tb.Cleanup(app.Close)
	return app, got
}

// rawDelivery is a GitHub delivery written by hand, with headers spelled
// and ordered as no Go client would: what the capture must keep.
func rawDelivery(host, event, secret string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST /webhook?src=test HTTP/1.1\r\nhost: %s\r\nx-github-event: %s\r\nX-GitHub-Delivery: d-%s\r\n", host, event, event)
	fmt.Fprintf(&b, "X-Dup: one\r\nx-dup: two\r\ncontent-type: application/json\r\nX-HUB-SIGNATURE-256: %s\r\n", signGitHub(secret, body))
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	return b.Bytes()
}

// sendRaw writes raw on a new connection and returns the answer.
func sendRaw(tb testing.TB, addr string, raw []byte) (*http.Response, string) {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(failsafe))
	if _, err := conn.Write(raw); err != nil {
		tb.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// headerLines returns the header lines of a raw request, as written.
func headerLines(raw []byte) []string {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	return strings.Split(string(head), "\r\n")[1:]
}

// The workflow of the README, in one listen: every delivery verified,
// forwarded byte for byte to an app whose own verifier accepts it, the
// app's answer back to the sender and in the log, a command run per event,
// everything in a capture file with its headers as they came, and the
// events not asked for ignored.
func TestListenHubEndToEnd(t *testing.T) {
	const secret = "hub-test-secret-0123456789abcdef0123"
	app, appGot := verifyingApp(t, secret)
	dir := t.TempDir()
	capFile := filepath.Join(dir, "captures.ndjson")
	ran := filepath.Join(dir, "ran")
	script := mustWriteFile(t, dir, "on-delivery.sh", "#!/bin/sh\ncat > \""+ran+"-$HOOKLAB_RECORD_SEQ-$HOOKLAB_EVENT\"\necho ran for $HOOKLAB_EVENT\n")
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}

	p := startListen(t, world{env: map[string]string{envSecret: secret}, dir: dir},
		"listen", "--addr", "127.0.0.1:0", "--log-format", "json", "--forward-to", app.URL+"/hooks/github?x=1",
		"--record", capFile, "--events", "ping,push", "--exec", script, "--show", "all")
	host := strings.TrimPrefix(p.baseURL, "http://")

	body := func(s string) []byte { return []byte(`{"zen":"` + s + `","hook_id":1,"bytes":"\u00e9\/"}` + "\n") }
	type step struct {
		event      string
		body       []byte
		secret     string
		wantStatus int
		wantBody   string // a part of the answer
		forwarded  bool
	}
	steps := []step{
		{event: "ping", body: body("ping"), secret: secret, wantStatus: 200, wantBody: `{"app":"thanks"}`, forwarded: true},
		{event: "push", body: body("push"), secret: secret, wantStatus: 500, wantBody: `{"app":"push failed"}`, forwarded: true},
		{event: "push", body: body("forged"), secret: "not-the-secret-0123456789abcdef", wantStatus: 401, wantBody: `"signature_mismatch"`},
		{event: "release", body: body("release"), secret: secret, wantStatus: 200, wantBody: `"ignored_event"`},
	}
	raws := make([][]byte, len(steps))
	for i, s := range steps {
		raws[i] = rawDelivery(host, s.event, s.secret, s.body)
		resp, answer := sendRaw(t, host, raws[i])
		if resp.StatusCode != s.wantStatus || !strings.Contains(answer, s.wantBody) {
			t.Fatalf("%s: answered %d %s, want %d with %s", s.event, resp.StatusCode, answer, s.wantStatus, s.wantBody)
		}
		if s.forwarded {
			if resp.Header.Get("X-App") != "mine" {
				t.Errorf("%s: the app's header did not come back: %v", s.event, resp.Header)
			}
			select {
			case got := <-appGot:
				if got.verified != nil || !bytes.Equal(got.body, s.body) {
					t.Errorf("%s: the app's verifier said %v; body %q, want %q", s.event, got.verified, got.body, s.body)
				}
				if got.header.Values("X-Dup")[0] != "one" || len(got.header.Values("X-Dup")) != 2 || got.header.Get("X-Forwarded-Host") != host {
					t.Errorf("%s: the app got headers %v", s.event, got.header)
				}
			case <-time.After(failsafe):
				t.Fatalf("%s: the app got nothing", s.event)
			}
		}
	}
	select {
	case got := <-appGot:
		t.Fatalf("the app got a delivery it should not have: %s %q", got.event, got.body)
	default:
	}
	if code := p.stop(t); code != exitOK {
		t.Fatalf("listen exited %d\n%s", code, p.stdout)
	}

	// The log: both verdicts on the forwarded lines, the command's output,
	// the delivery shown in full.
	all := mustJSONRecords(t, p.stdout.String())
	records := recordsWith(all, "delivery")
	// Records are written as deliveries finish: a forwarded answer goes
	// out before its delivery is logged, so the next delivery's record
	// can come first. seq is the order they arrived in.
	slices.SortFunc(records, func(a, b map[string]any) int { return cmp.Compare(a["seq"].(float64), b["seq"].(float64)) })
	if len(records) != len(steps) {
		t.Fatalf("%d delivery records, want %d:\n%s", len(records), len(steps), p.stdout)
	}
	if r := records[1]; r["status"] != 200.0 || r["app_status"] != 500.0 || r["answered"] != 500.0 || r["exec_queued"] != true {
		t.Errorf("the push record: %v", r)
	}
	// With a forward, the app answers and the command runs after: its
	// result is a record of its own.
	if rec := recordsWith(all, "recorded"); len(rec) != 1 || rec[0]["deliveries"] != float64(len(steps)) {
		t.Errorf("the summary of the capture: %v, want %d deliveries", rec, len(steps))
	}
	execs := recordsWith(all, "exec")
	if len(execs) != 2 {
		t.Fatalf("%d exec records, want 2:\n%s", len(execs), p.stdout)
	}
	for _, r := range execs {
		if stdout, _ := r["exec_stdout"].(string); r["exec_exit"] != 0.0 || !strings.HasPrefix(stdout, "ran for ") {
			t.Errorf("exec record %v", r)
		}
	}
	if shown, _ := records[0]["shown"].(string); !strings.Contains(shown, "x-github-event: ping") || !strings.Contains(shown, `"zen": "ping"`) {
		t.Errorf("--show all showed %q", shown)
	}

	// The command ran for the forwarded events only, with the exact body.
	for seq, s := range map[int]step{1: steps[0], 2: steps[1]} {
		got, err := os.ReadFile(ran + "-" + strconv.Itoa(seq) + "-" + s.event)
		if err != nil || !bytes.Equal(got, s.body) {
			t.Errorf("the command for seq %d got %q, %v; want %q", seq, got, err, s.body)
		}
	}
	if m, _ := filepath.Glob(ran + "-*"); len(m) != 2 {
		t.Errorf("the command ran %d times (%v), want 2", len(m), m)
	}

	// The capture: every delivery, refused ones too, byte-exact, its
	// headers as they came over the wire.
	recs, warnings, err := capture.ReadFile(capFile)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("reading the capture: %v %v", err, warnings)
	}
	slices.SortFunc(recs, func(a, b *capture.Record) int { return cmp.Compare(a.Seq, b.Seq) })
	if len(recs) != len(steps) {
		t.Fatalf("the capture holds %d records, want %d", len(recs), len(steps))
	}
	for i, rec := range recs {
		if rec.Seq != uint64(i+1) || !bytes.Equal(rec.Body, steps[i].body) || rec.Target != "/webhook?src=test" || rec.HeadersOrder != capture.OrderWire {
			t.Errorf("record %d: seq %d target %q order %q body %q", i, rec.Seq, rec.Target, rec.HeadersOrder, rec.Body)
		}
		var lines []string
		for _, h := range rec.Headers {
			lines = append(lines, h.Name()+": "+h.Value())
		}
		if want := headerLines(raws[i]); strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("record %d headers:\n%s\nwant, as sent:\n%s", i, strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	}
	// The command's result, logged after the app answered, is in the
	// capture with its delivery.
	if e := recs[1].Exec; e == nil || e.Queued || e.ExitCode != 0 || string(e.Stdout) != "ran for push\n" {
		t.Errorf("the push record's exec: %+v", e)
	}
	if recs[1].Forward == nil || recs[1].Forward.Status != 500 || string(recs[1].Forward.Body) != `{"app":"push failed"}` || recs[1].Answered != 500 {
		t.Errorf("the push record's forward: %+v, answered %d", recs[1].Forward, recs[1].Answered)
	}
	if recs[2].Verdict.Reason != "signature_mismatch" || recs[2].Forward != nil {
		t.Errorf("the forged record: %+v forwarded %v", recs[2].Verdict, recs[2].Forward)
	}

	// Capture → replay → a recorder: the same header lines in the same
	// order and spelling, and the same body, as the sender wrote them.
	for i := range steps {
		url, got := rawRecorder(t)
		var out, errOut bytes.Buffer
		sys := world{dir: dir}.system(t, &out, &errOut)
		if code := runWith(t.Context(), []string{"hooklab", "replay", capFile, "--seq", strconv.Itoa(i + 1), "--url", url, "--env-file", os.DevNull}, sys); code != exitOK {
			t.Fatalf("replay --seq %d exited %d: %s%s", i+1, code, out.String(), errOut.String())
		}
		replayed := <-got
		if want := withoutHostAndLength(headerLines(raws[i])); strings.Join(withoutHostAndLength(headerLines(replayed)), "\n") != strings.Join(want, "\n") {
			t.Errorf("replay of seq %d sent headers\n%s\nwant, as the sender wrote them:\n%s", i+1, headerLines(replayed), want)
		}
		if _, body, _ := bytes.Cut(replayed, []byte("\r\n\r\n")); !bytes.Equal(body, steps[i].body) {
			t.Errorf("replay of seq %d sent body %q, want %q", i+1, body, steps[i].body)
		}
	}
}

// withoutHostAndLength drops the header lines a new connection writes
// afresh: Host and Content-Length.
func withoutHostAndLength(lines []string) []string {
	var kept []string
	for _, l := range lines {
		name, _, _ := strings.Cut(l, ":")
		if !strings.EqualFold(name, "Host") && !strings.EqualFold(name, "Content-Length") {
			kept = append(kept, l)
		}
	}
	return kept
}

// rawRecorder accepts one request on a loopback port, answers 200, and
// sends the request's bytes, as they came, on the channel.
func rawRecorder(tb testing.TB) (string, <-chan []byte) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	got := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(failsafe))
		var raw []byte
		buf := make([]byte, 64<<10)
		for {
			n, err := conn.Read(buf)
			raw = append(raw, buf[:n]...)
			if head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n")); ok {
				length := 0
				for _, l := range strings.Split(string(head), "\r\n") {
					if name, v, _ := strings.Cut(l, ":"); strings.EqualFold(name, "Content-Length") {
						length, _ = strconv.Atoi(strings.TrimSpace(v))
					}
				}
				if len(body) >= length {
					break
				}
			}
			if err != nil {
				break
			}
		}
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		got <- raw
	}()
	return "http://" + ln.Addr().String() + "/webhook", got
}

// A forward to an app that is down, or too slow, answers the sender 502 or
// 504 in hooklab's JSON, at once or at --forward-timeout: never a hang.
func TestListenForwardFailures(t *testing.T) {
	const secret = "hub-test-secret-0123456789abcdef0123"
	down, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + down.Addr().String() + "/hook"
	down.Close()
	release := make(chan struct{})
	var once sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { once.Do(func() { close(release) }); slow.Close() })

	tests := []struct {
		name       string
		target     string
		wantStatus int
		wantReason string
	}{
		{name: "unreachable", target: downURL, wantStatus: 502, wantReason: "forward_failed"},
		{name: "no answer in time", target: slow.URL, wantStatus: 504, wantReason: "forward_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startListen(t, world{env: map[string]string{envSecret: secret}},
				"listen", "--addr", "127.0.0.1:0", "--log-format", "json", "--forward-to", tt.target, "--forward-timeout", "300ms")
			status, answer := send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders(secret, "d-1"))
			var a map[string]any
			if err := json.Unmarshal([]byte(answer), &a); err != nil || status != tt.wantStatus || a["reason"] != tt.wantReason {
				t.Fatalf("answered %d %s, want %d %s", status, answer, tt.wantStatus, tt.wantReason)
			}
			p.stop(t)
			recs := recordsWith(mustJSONRecords(t, p.stdout.String()), "delivery")
			if len(recs) != 1 || recs[0]["app_reason"] != tt.wantReason || recs[0]["app_error"] == "" || recs[0]["answered"] != float64(tt.wantStatus) {
				t.Errorf("logged %v", recs)
			}
		})
	}
}

func TestListenHubUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "a forward URL that is not http", args: []string{"--forward-to", "ftp://x/y"}, want: "--forward-to must be an http or https URL"},
		{name: "credentials in the forward URL", args: []string{"--forward-to", "http://bob:hunter2@127.0.0.1:3000/hook"}, want: "--forward-to must not hold a user or password (http://bob:xxxxx@127.0.0.1:3000/hook)"},
		{name: "--forward-all alone", args: []string{"--forward-all"}, want: "--forward-all needs --forward-to"},
		{name: "arguments without --exec", args: []string{"--", "deploy"}, want: "arguments after -- are for --exec"},
		{name: "a program that does not exist", args: []string{"--exec", "/no/such/program"}, want: "/no/such/program"},
		{name: "--ui-addr without --ui", args: []string{"--ui-addr", "127.0.0.1:0"}, want: "--ui-addr needs --ui"},
		{name: "a bad --show", args: []string{"--show", "everything"}, want: "--show must be headers, body or all"},
		{name: "a bad event pattern", args: []string{"--events", "push["}, want: `--events: "push[" is not a valid pattern`},
		{name: "--forward-provider without a secret", args: []string{"--forward-to", "http://127.0.0.1:1/", "--forward-provider", "standard"}, want: "--forward-provider needs --forward-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runStopped(t, world{env: map[string]string{envSecret: strings.Repeat("s", 40)}},
				append([]string{"listen", "--addr", "127.0.0.1:0"}, tt.args...)...)
			if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 saying %q", res.code, res.stderr, tt.want)
			}
		})
	}
}

// A soak of forwarding to a slow app, as `send --count 20000 --concurrency
// 64` does it: every request gets an answer (the app's, or 502, 503, 504),
// none is lost, and listen's stop summary counts exactly what send got.
func TestListenForwardSoak(t *testing.T) {
	const secret = "hub-soak-secret-0123456789abcdef0123"
	count := 20000
	if testing.Short() {
		count = 2000
	}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(time.Millisecond) // slow, not stuck
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(app.Close)
	p := startListen(t, world{env: map[string]string{envSecret: secret}},
		"listen", "--addr", "127.0.0.1:0", "--log-format", "json", "--forward-to", app.URL, "--forward-concurrency", "32")

	var stdout, stderr bytes.Buffer
	sys := world{env: map[string]string{envSecret: secret}}.system(t, &stdout, &stderr)
	code := runWith(t.Context(), []string{"hooklab", "send", "push", "--url", p.webhookURL, "--count", strconv.Itoa(count),
		"--concurrency", "64", "--expect", "202", "--expect", "503", "--json"}, sys)
	var report struct {
		Requests, Answered int
		Errors             map[string]int
		Statuses           map[string]int
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("send's report: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if code != exitOK || report.Answered != count {
		t.Errorf("send exited %d; %d of %d answered, errors %v, statuses %v", code, report.Answered, count, report.Errors, report.Statuses)
	}
	for status := range report.Statuses {
		if status != "202" && status != "503" {
			t.Errorf("send got %s answers: %v", status, report.Statuses)
		}
	}
	if code := p.stop(t); code != exitOK {
		t.Fatalf("listen exited %d", code)
	}
	stopped := recordsWith(mustJSONRecords(t, p.stdout.String()), "stopped")
	if len(stopped) != 1 {
		t.Fatalf("no stop summary:\n%s", p.stderr)
	}
	byStatus, _ := stopped[0]["by_status"].(map[string]any)
	sum := 0
	for status, n := range byStatus {
		sum += int(n.(float64))
		if int(n.(float64)) != report.Statuses[status] {
			t.Errorf("listen counted %v %s answers, send got %d", n, status, report.Statuses[status])
		}
	}
	if sum != count || stopped[0]["total"] != float64(count) {
		t.Errorf("listen's summary adds up to %d (total %v), want %d: %v", sum, stopped[0]["total"], count, byStatus)
	}
}

// The server's write timeout outlasts what a forward and a command may
// take, so that a sender waiting for them still gets its answer.
func TestHubWriteTimeout(t *testing.T) {
	lim := receiver.DefaultLimits()
	tests := []struct {
		name string
		o    hubOptions
		want time.Duration
	}{
		{name: "no handoff", o: hubOptions{}, want: lim.WriteTimeout},
		{name: "the default forward", o: hubOptions{ForwardTo: "http://127.0.0.1:3000/"}, want: lim.ReadTimeout + 25*time.Second},
		{name: "a long forward", o: hubOptions{ForwardTo: "http://127.0.0.1:3000/", ForwardTimeout: 60 * time.Second}, want: lim.ReadTimeout + 75*time.Second},
		{name: "a command waits its turn, then runs", o: hubOptions{Exec: "true", ExecTimeout: 30 * time.Second}, want: lim.ReadTimeout + 77*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := resolveHub(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.writeTimeout(lim); got != tt.want {
				t.Errorf("write timeout %s, want %s", got, tt.want)
			}
		})
	}
}

// listen --ui serves the inspector and says where in its start record;
// the page answers only to the host names it is bound to.
func TestListenUI(t *testing.T) {
	const secret = "hub-test-secret-0123456789abcdef0123"
	p := startListen(t, world{env: map[string]string{envSecret: secret}},
		"listen", "--addr", "127.0.0.1:0", "--log-format", "json", "--ui", "--ui-addr", "127.0.0.1:0")
	start := recordsWith(mustJSONRecords(t, p.stdout.String()), "listening")
	uiURL, _ := start[0]["ui_url"].(string)
	if !strings.HasPrefix(uiURL, "http://127.0.0.1:") {
		t.Fatalf("the start record's ui_url is %q", uiURL)
	}
	status, body := send(t, http.MethodGet, uiURL+"api/session", nil, nil)
	if status != http.StatusOK || !strings.Contains(body, p.webhookURL) {
		t.Errorf("GET /api/session: %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodGet, uiURL+"api/session", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("Host evil.example got %d, want 403", resp.StatusCode)
	}
	// A delivery reaches the page's list.
	send(t, http.MethodPost, p.webhookURL, []byte(pingBody), pingHeaders(secret, "d-ui"))
	if _, list := send(t, http.MethodGet, uiURL+"api/deliveries", nil, nil); !strings.Contains(list, `"delivery":"d-ui"`) {
		t.Errorf("the page's list: %s", list)
	}
	if code := p.stop(t); code != exitOK {
		t.Errorf("listen exited %d", code)
	}
}

// With the default --ui-addr taken, the inspector takes the next free port.
func TestListenUINextPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	ln, err := listenUI(taken.Addr().String(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if ln.Addr().String() == taken.Addr().String() {
		t.Fatalf("bound the taken address %s", ln.Addr())
	}
	if _, err := listenUI(taken.Addr().String(), false); err == nil {
		t.Error("an --ui-addr named and taken did not fail")
	}
}
