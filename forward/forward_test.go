package forward_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hooklab/hooklab/forward"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

// deadline is how long a test waits for something that should take
// milliseconds before it fails.
const deadline = 5 * time.Second

const githubSecret = "It's a Secret to Everybody"

// appRequest is what a fake app received.
type appRequest struct {
	Method     string
	RequestURI string
	Host       string
	Header     http.Header
	Body       []byte
}

// mustApp starts a fake app that sends every request it gets on the
// returned channel and then answers with answer.
func mustApp(tb testing.TB, answer http.HandlerFunc) (*httptest.Server, <-chan appRequest) {
	tb.Helper()
	got := make(chan appRequest, 64)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		select {
		case got <- appRequest{Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone(), Body: body}:
		default:
		}
		answer(w, r)
	}))
	tb.Cleanup(app.Close)
	return app, got
}

func mustURL(tb testing.TB, raw string) *url.URL {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatalf("url.Parse(%q): %v", raw, err)
	}
	return u
}

func mustForwarder(tb testing.TB, cfg forward.Config) *forward.Forwarder {
	tb.Helper()
	f, err := forward.New(cfg)
	if err != nil {
		tb.Fatalf("forward.New: %v", err)
	}
	tb.Cleanup(f.Close)
	return f
}

// mustFront starts a server that plays the receiver: it reads the body,
// hands it to f, sends the outcome on the returned channel and answers
// failures itself, as receiver does.
func mustFront(tb testing.TB, f *forward.Forwarder) (*httptest.Server, <-chan receiver.Outcome) {
	tb.Helper()
	return mustFrontWith(tb, f, false)
}

// mustFrontWith is mustFront, over TLS with HTTP/2 when http2 is set.
func mustFrontWith(tb testing.TB, f *forward.Forwarder, http2 bool) (*httptest.Server, <-chan receiver.Outcome) {
	tb.Helper()
	outcomes := make(chan receiver.Outcome, 16)
	front := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			outcomes <- receiver.Outcome{Detail: "front: reading the body: " + err.Error()}
			return
		}
		out := f.Handoff(w, r, &receiver.Delivery{Body: body, ID: r.Header.Get("X-GitHub-Delivery")})
		outcomes <- out
		if !out.Answered {
			if out.RetryAfter != "" {
				w.Header().Set("Retry-After", out.RetryAfter)
			}
			w.WriteHeader(out.Reason.Info().Status)
		}
	}))
	if http2 {
		front.EnableHTTP2 = true
		front.StartTLS()
	} else {
		front.Start()
	}
	tb.Cleanup(front.Close)
	return front, outcomes
}

// newDelivery returns a request as the receiver hands it over, from
// 192.0.2.7, with its body already read into the Delivery.
func newDelivery(ctx context.Context, body []byte, header http.Header) (*http.Request, *receiver.Delivery) {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://listen.example/hook", bytes.NewReader(body))
	r.RemoteAddr = "192.0.2.7:5555"
	for name, values := range header {
		r.Header[name] = values
	}
	return r, &receiver.Delivery{Body: body, BodyRead: true, Reason: receiver.ReasonOK}
}

// receive waits for a value on ch, failing the test after deadline.
func receive[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(deadline):
		tb.Fatalf("no %s within %v", what, deadline)
		panic("unreachable")
	}
}

// handoffAsync runs f.Handoff on a goroutine and returns its outcome and
// the recorder it wrote to on a channel.
type result struct {
	out receiver.Outcome
	rec *httptest.ResponseRecorder
}

func handoffAsync(f *forward.Forwarder, r *http.Request, d *receiver.Delivery) <-chan result {
	ch := make(chan result, 1)
	go func() {
		rec := httptest.NewRecorder()
		out := f.Handoff(rec, r, d)
		ch <- result{out, rec}
	}()
	return ch
}

// wroteNothing reports whether a Handoff left rec untouched.
func wroteNothing(rec *httptest.ResponseRecorder) bool {
	return rec.Code == http.StatusOK && len(rec.Header()) == 0 && rec.Body.Len() == 0 && !rec.Flushed
}

// allBytes is every byte value, then an invalid UTF-8 sequence.
func allBytes() []byte {
	b := make([]byte, 0, 260)
	for i := range 256 {
		b = append(b, byte(i))
	}
	return append(b, 0xc3, 0x28, 0xff, 0xfe)
}

func TestForwardByteExact(t *testing.T) {
	app, got := mustApp(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-App", "yes")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "thanks")
	})
	target := app.URL + "/app/hooks?token=a%2Fb&x=1"
	f := mustForwarder(t, forward.Config{URL: mustURL(t, target)})
	front, outcomes := mustFront(t, f)

	body := allBytes()
	gh, err := signing.NewGitHub(githubSecret)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := gh.Sign(signing.Message{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	// Written by hand: net/http's client would canonicalize and drop some.
	head := "POST /hook/in?ignored=1 HTTP/1.1\r\n" +
		"Host: listen.example:8080\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n", len(body)) +
		"Content-Type: application/octet-stream\r\n" +
		"X-Hub-Signature-256: " + sig.Get(signing.GitHubSignatureHeader) + "\r\n" +
		"X-Hub-Signature: " + sig.Get(signing.GitHubLegacySignatureHeader) + "\r\n" +
		"X-Repeat: one\r\n" +
		"X-Repeat: two\r\n" +
		"x-odd-SPELLING: Odd  Value\r\n" +
		"Connection: keep-alive, X-Custom, Upgrade\r\n" +
		"X-Custom: hop\r\n" +
		"Keep-Alive: timeout=5\r\n" +
		"Proxy-Connection: keep-alive\r\n" +
		"Proxy-Authorization: Basic Zm9vOmJhcg==\r\n" +
		"Te: deflate\r\n" +
		"Upgrade: websocket\r\n" +
		"X-Forwarded-For: 203.0.113.9\r\n" +
		"X-Forwarded-Host: evil.example\r\n" +
		"X-Forwarded-Proto: https\r\n" +
		"Forwarded: for=203.0.113.9\r\n" +
		"\r\n"
	conn, err := net.Dial("tcp", front.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(deadline))
	if _, err := conn.Write(append([]byte(head), body...)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}

	req := receive(t, got, "request at the app")
	out := receive(t, outcomes, "outcome")

	if !bytes.Equal(req.Body, body) {
		t.Errorf("the app got body %x, want %x", req.Body, body)
	}
	if req.Method != http.MethodPost {
		t.Errorf("method = %q, want POST", req.Method)
	}
	if want := "/app/hooks?token=a%2Fb&x=1"; req.RequestURI != want {
		t.Errorf("request target = %q, want %q (the target's, not joined with /hook/in)", req.RequestURI, want)
	}
	if want := mustURL(t, app.URL).Host; req.Host != want {
		t.Errorf("Host = %q, want the app's %q", req.Host, want)
	}
	want := map[string][]string{
		"Content-Length":    {fmt.Sprint(len(body))},
		"Content-Type":      {"application/octet-stream"},
		"X-Repeat":          {"one", "two"},
		"X-Odd-Spelling":    {"Odd  Value"},
		"X-Forwarded-For":   {"127.0.0.1"},
		"X-Forwarded-Host":  {"listen.example:8080"},
		"X-Forwarded-Proto": {"http"},
	}
	for name, values := range want {
		if got := req.Header.Values(name); !slices.Equal(got, values) {
			t.Errorf("%s = %q, want %q", name, got, values)
		}
	}
	// Proxy-Authorization is hop-by-hop in net/http/httputil's list.
	for _, name := range []string{"Connection", "X-Custom", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Te", "Upgrade", "Forwarded", "Accept-Encoding"} {
		if v := req.Header.Values(name); len(v) > 0 {
			t.Errorf("the app got %s: %q; it should have been dropped", name, v)
		}
	}
	if err := signing.Verify(gh, req.Header, req.Body, time.Now()); err != nil {
		t.Errorf("the app's verifier refused the forwarded delivery: %v", err)
	}

	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("X-App") != "yes" || string(answer) != "thanks" {
		t.Errorf("the sender got %d X-App=%q %q, want the app's 202 X-App=yes thanks", resp.StatusCode, resp.Header.Get("X-App"), answer)
	}
	if !out.Answered || out.Status != http.StatusAccepted || out.Forward == nil || out.Forward.Status != http.StatusAccepted || out.Forward.URL != target {
		t.Errorf("outcome = %+v forward %+v, want answered 202 from %s", out, out.Forward, target)
	}
}

func TestForwardAppAnswerPassesThrough(t *testing.T) {
	appBody := append([]byte(`{"error":"database down"}`+"\n"), allBytes()...)
	app, _ := mustApp(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-App-Error", "boom")
		w.Header().Add("X-Repeat", "a")
		w.Header().Add("X-Repeat", "b")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write(appBody)
	})
	var tick atomic.Int64
	clock := func() time.Time {
		return time.Unix(1_700_000_000, 0).Add(time.Duration(tick.Add(1)) * time.Millisecond)
	}
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), Now: clock})

	r, d := newDelivery(t.Context(), []byte(`{"ok":true}`), nil)
	rec := httptest.NewRecorder()
	out := f.Handoff(rec, r, d)

	if rec.Code != http.StatusInternalServerError {
		t.Errorf("the sender got %d, want the app's 500", rec.Code)
	}
	if got := rec.Header().Get("X-App-Error"); got != "boom" {
		t.Errorf("the sender got X-App-Error %q, want boom", got)
	}
	if got := rec.Header().Values("X-Repeat"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("the sender got X-Repeat %q, want [a b]", got)
	}
	if !bytes.Equal(rec.Body.Bytes(), appBody) {
		t.Errorf("the sender got body %q, want %q", rec.Body.Bytes(), appBody)
	}
	if !out.Answered || out.Status != http.StatusInternalServerError || out.Reason != "" {
		t.Errorf("outcome = %+v, want answered 500 with no reason", out)
	}
	fr := out.Forward
	if fr == nil {
		t.Fatal("outcome has no ForwardResult")
	}
	if fr.Status != http.StatusInternalServerError || fr.Reason != "" || fr.Error != "" {
		t.Errorf("forward result = %+v, want status 500 and no failure", fr)
	}
	if fr.Header.Get("X-App-Error") != "boom" || !bytes.Equal(fr.Body, appBody) || fr.BodyTruncated {
		t.Errorf("forward result keeps header %v body %q truncated %v, want the app's answer whole", fr.Header, fr.Body, fr.BodyTruncated)
	}
	if fr.Latency <= 0 {
		t.Errorf("latency = %v, want the clock's time between sending and the end of the answer", fr.Latency)
	}
}

func TestForwardKeepsAnswerUpToMax(t *testing.T) {
	tests := []struct {
		name          string
		answer        int
		max           int
		wantKept      int
		wantTruncated bool
	}{
		{name: "shorter", answer: 9, max: 10, wantKept: 9},
		{name: "exactly the limit", answer: 10, max: 10, wantKept: 10},
		{name: "longer", answer: 100_000, max: 10, wantKept: 10, wantTruncated: true},
		{name: "default 64 KiB", answer: 100_000, max: 0, wantKept: 64 << 10, wantTruncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := bytes.Repeat([]byte("0123456789"), tt.answer/10+1)[:tt.answer]
			app, _ := mustApp(t, func(w http.ResponseWriter, _ *http.Request) { w.Write(answer) })
			f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), MaxAnswerKept: tt.max})

			r, d := newDelivery(t.Context(), []byte("{}"), nil)
			rec := httptest.NewRecorder()
			out := f.Handoff(rec, r, d)

			if !bytes.Equal(rec.Body.Bytes(), answer) {
				t.Errorf("the sender got %d bytes, want the whole %d", rec.Body.Len(), len(answer))
			}
			if out.Forward == nil {
				t.Fatal("outcome has no ForwardResult")
			}
			if len(out.Forward.Body) != tt.wantKept || !bytes.Equal(out.Forward.Body, answer[:tt.wantKept]) {
				t.Errorf("kept %d bytes, want the first %d", len(out.Forward.Body), tt.wantKept)
			}
			if out.Forward.BodyTruncated != tt.wantTruncated {
				t.Errorf("BodyTruncated = %v, want %v", out.Forward.BodyTruncated, tt.wantTruncated)
			}
		})
	}
}

func TestForwardUnreachable(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/hook"
	closed.Close()
	plain, _ := mustApp(t, func(http.ResponseWriter, *http.Request) {})
	untrusted := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	untrusted.Config.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	t.Cleanup(untrusted.Close)

	tests := []struct {
		name       string
		url        string
		wantDetail string
	}{
		{name: "connection refused", url: closedURL, wantDetail: "refused the connection: is it running?"},
		{name: "plain http app behind an https URL", url: "https://" + plain.Listener.Addr().String(), wantDetail: "does not speak TLS"},
		{name: "untrusted certificate", url: untrusted.URL, wantDetail: "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustForwarder(t, forward.Config{URL: mustURL(t, tt.url)})
			r, d := newDelivery(t.Context(), []byte("{}"), nil)
			rec := httptest.NewRecorder()
			out := f.Handoff(rec, r, d)

			if !wroteNothing(rec) {
				t.Errorf("Handoff wrote %d %v %q; the receiver answers failures", rec.Code, rec.Header(), rec.Body.Bytes())
			}
			if out.Answered || out.Reason != receiver.ReasonForwardFailed {
				t.Errorf("outcome = %+v, want forward_failed, not answered", out)
			}
			if !strings.Contains(out.Detail, tt.wantDetail) || !strings.Contains(out.Detail, tt.url) {
				t.Errorf("detail = %q, want the URL and %q", out.Detail, tt.wantDetail)
			}
			if fr := out.Forward; fr == nil || fr.Reason != receiver.ReasonForwardFailed || fr.Error == "" || fr.Status != 0 {
				t.Errorf("forward result = %+v, want forward_failed with the error", fr)
			}
		})
	}
}

func TestForwardTimeout(t *testing.T) {
	release := make(chan struct{})
	app, got := mustApp(t, func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // before app.Close, which waits for the handler
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), Timeout: 200 * time.Millisecond})

	r, d := newDelivery(t.Context(), []byte("{}"), nil)
	res := receive(t, handoffAsync(f, r, d), "outcome of a forward to an app that never answers")
	receive(t, got, "request at the app")

	if !wroteNothing(res.rec) {
		t.Errorf("Handoff wrote %d %q; the receiver answers a timeout", res.rec.Code, res.rec.Body.Bytes())
	}
	if res.out.Answered || res.out.Reason != receiver.ReasonForwardTimeout || !strings.Contains(res.out.Detail, "did not answer within 200ms") {
		t.Errorf("outcome = %+v, want forward_timeout saying 200ms", res.out)
	}
	if fr := res.out.Forward; fr == nil || fr.Reason != receiver.ReasonForwardTimeout || fr.Error == "" {
		t.Errorf("forward result = %+v, want forward_timeout with the error", fr)
	}
}

func TestForwardBusy(t *testing.T) {
	arrived := make(chan struct{}, 8)
	release := make(chan struct{})
	app, _ := mustApp(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		io.WriteString(w, "done")
	})
	var once sync.Once
	releaseApp := func() { once.Do(func() { close(release) }) }
	t.Cleanup(releaseApp)
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), Concurrency: 2})

	var held []<-chan result
	for range 2 {
		r, d := newDelivery(t.Context(), []byte("{}"), nil)
		held = append(held, handoffAsync(f, r, d))
	}
	receive(t, arrived, "first forward at the app")
	receive(t, arrived, "second forward at the app")

	r, d := newDelivery(t.Context(), []byte("{}"), nil)
	busy := receive(t, handoffAsync(f, r, d), "outcome of the third forward")
	if busy.out.Answered || busy.out.Reason != receiver.ReasonForwardBusy || busy.out.RetryAfter != "1" {
		t.Errorf("third forward: outcome = %+v, want forward_busy with Retry-After 1", busy.out)
	}
	if fr := busy.out.Forward; fr == nil || fr.Reason != receiver.ReasonForwardBusy {
		t.Errorf("third forward: result = %+v, want forward_busy", fr)
	}
	if !wroteNothing(busy.rec) {
		t.Errorf("third forward wrote %d; the receiver answers busy", busy.rec.Code)
	}

	releaseApp()
	for i, ch := range held {
		if res := receive(t, ch, "held forward's outcome"); !res.out.Answered || res.rec.Body.String() != "done" {
			t.Errorf("held forward %d: outcome %+v body %q, want the app's answer", i, res.out, res.rec.Body.String())
		}
	}
	r, d = newDelivery(t.Context(), []byte("{}"), nil)
	if res := receive(t, handoffAsync(f, r, d), "outcome after release"); !res.out.Answered || res.rec.Body.String() != "done" {
		t.Errorf("after release: outcome %+v, want the app's answer", res.out)
	}
}

func TestForwardResign(t *testing.T) {
	const standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name   string
		id     string
		wantID string
	}{
		{name: "the delivery's id", id: "72d3162e-cc78-11e3-81ab-4c9367dc0958", wantID: "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		{name: "a fresh id when the delivery has none", id: "", wantID: "msg_fresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, got := mustApp(t, func(http.ResponseWriter, *http.Request) {})
			std, err := signing.New(signing.ProviderStandard, []string{standardSecret}, signing.Options{Tolerance: signing.DefaultTolerance})
			if err != nil {
				t.Fatal(err)
			}
			f := mustForwarder(t, forward.Config{
				URL:           mustURL(t, app.URL),
				Resign:        std,
				ResignHeaders: []string{signing.GitHubSignatureHeader, signing.GitHubLegacySignatureHeader},
				Now:           func() time.Time { return now },
				NewID:         func() string { return "msg_fresh" },
			})
			gh, err := signing.NewGitHub(githubSecret)
			if err != nil {
				t.Fatal(err)
			}
			body := allBytes()
			sig, err := gh.Sign(signing.Message{Body: body})
			if err != nil {
				t.Fatal(err)
			}
			r, d := newDelivery(t.Context(), body, sig)
			d.ID = tt.id
			out := f.Handoff(httptest.NewRecorder(), r, d)
			if !out.Answered {
				t.Fatalf("outcome = %+v, want the app's answer", out)
			}
			req := receive(t, got, "request at the app")

			for _, name := range []string{signing.GitHubSignatureHeader, signing.GitHubLegacySignatureHeader} {
				if v := req.Header.Values(name); len(v) > 0 {
					t.Errorf("the app got the sender's %s %q; re-signing should remove it", name, v)
				}
			}
			if err := signing.Verify(std, req.Header, req.Body, now); err != nil {
				t.Errorf("the app's Standard Webhooks verifier refused the re-signed delivery: %v", err)
			}
			if got := req.Header.Get(signing.StandardIDHeader); got != tt.wantID {
				t.Errorf("webhook-id = %q, want %q", got, tt.wantID)
			}
			if !bytes.Equal(req.Body, body) {
				t.Error("re-signing changed the body")
			}
		})
	}
}

// brokenApp answers 200 with a chunked body and hangs up in the middle of it.
func brokenApp(w http.ResponseWriter, _ *http.Request) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
	buf.Flush()
}

func TestForwardAppBreaksOffAnswer(t *testing.T) {
	app, _ := mustApp(t, brokenApp)
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL)})
	front, outcomes := mustFront(t, f)

	resp, err := http.Post(front.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("the sender got no answer at all: %v", err)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Errorf("the sender read a complete answer %d %q; a broken-off answer must reach it broken", resp.StatusCode, answer)
	}
	out := receive(t, outcomes, "outcome (Handoff must return so that the receiver logs)")
	if !out.Answered || out.Status != http.StatusOK || out.Reason != receiver.ReasonForwardFailed || !strings.Contains(out.Detail, "broke off") {
		t.Errorf("outcome = %+v, want answered 200 with forward_failed, broke off", out)
	}
	if fr := out.Forward; fr == nil || fr.Reason != receiver.ReasonForwardFailed || fr.Error == "" || fr.Status != http.StatusOK || string(fr.Body) != "hello" {
		t.Errorf("forward result = %+v, want status 200, forward_failed with the error, body hello", fr)
	}
}

func TestForwardTimeoutMidAnswer(t *testing.T) {
	release := make(chan struct{})
	app, _ := mustApp(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), Timeout: 200 * time.Millisecond})

	r, d := newDelivery(t.Context(), []byte("{}"), nil)
	res := receive(t, handoffAsync(f, r, d), "outcome of a forward to an app that stalls mid-answer")
	if !res.out.Answered || res.out.Status != http.StatusOK || res.out.Reason != receiver.ReasonForwardTimeout {
		t.Errorf("outcome = %+v, want answered 200 with forward_timeout", res.out)
	}
	if fr := res.out.Forward; fr == nil || fr.Reason != receiver.ReasonForwardTimeout || string(fr.Body) != "partial" {
		t.Errorf("forward result = %+v, want forward_timeout keeping partial", fr)
	}
}

func TestForwardAppBreaksOffAnswerOverHTTP2(t *testing.T) {
	app, _ := mustApp(t, brokenApp)
	var logged bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), Log: logger})
	front, outcomes := mustFrontWith(t, f, true)

	// HTTP/2 connections cannot be hijacked: Handoff logs the outcome and
	// aborts the stream with http.ErrAbortHandler, so it never returns.
	resp, err := front.Client().Post(front.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("the sender got no answer at all: %v", err)
	}
	if resp.ProtoMajor != 2 {
		t.Fatalf("the front answered over %s, want HTTP/2", resp.Proto)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Errorf("the sender read a complete answer %d %q; a broken-off answer must reach it broken", resp.StatusCode, answer)
	}
	select {
	case out := <-outcomes:
		t.Errorf("Handoff returned %+v; over HTTP/2 it must abort the stream", out)
	default:
	}
	if text := logged.String(); !strings.Contains(text, "level=WARN") || !strings.Contains(text, "app_reason=forward_failed") {
		t.Errorf("Log got %q, want the broken-off forward as a warning", text)
	}
}

func TestForwardLogsProxyErrorsToLog(t *testing.T) {
	app, _ := mustApp(t, brokenApp)
	var logged bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), Log: logger})

	// Outside a server ReverseProxy logs the broken copy instead of
	// panicking: that line must reach Log, not the log package.
	r, d := newDelivery(t.Context(), []byte("{}"), nil)
	out := f.Handoff(httptest.NewRecorder(), r, d)
	if out.Reason != receiver.ReasonForwardFailed {
		t.Errorf("outcome = %+v, want forward_failed", out)
	}
	if text := logged.String(); !strings.Contains(text, "level=WARN") || !strings.Contains(text, "body copy") {
		t.Errorf("Log got %q, want the proxy's copy error as a warning", text)
	}
}

func TestForwardStopsWhenSenderHangsUp(t *testing.T) {
	arrived := make(chan struct{}, 1)
	appSawCancel := make(chan struct{}, 1)
	release := make(chan struct{})
	app, _ := mustApp(t, func(_ http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
			appSawCancel <- struct{}{}
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), Timeout: time.Minute})

	ctx, hangUp := context.WithCancel(t.Context())
	defer hangUp()
	r, d := newDelivery(ctx, []byte("{}"), nil)
	pending := handoffAsync(f, r, d)
	receive(t, arrived, "request at the app")
	hangUp()

	res := receive(t, pending, "outcome after the sender hung up")
	if res.out.Answered || res.out.Reason != receiver.ReasonForwardFailed || !strings.Contains(res.out.Detail, "hung up") {
		t.Errorf("outcome = %+v, want forward_failed saying the sender hung up", res.out)
	}
	if !wroteNothing(res.rec) {
		t.Errorf("Handoff wrote %d after the sender hung up", res.rec.Code)
	}
	receive(t, appSawCancel, "the app's request being cancelled")
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     forward.Config
		wantErr string
	}{
		{name: "no URL", cfg: forward.Config{}, wantErr: "no app URL"},
		{name: "host and port without scheme", cfg: forward.Config{URL: mustURL(t, "localhost:3000")}, wantErr: "not an absolute http or https URL"},
		{name: "relative", cfg: forward.Config{URL: mustURL(t, "/webhook")}, wantErr: "not an absolute http or https URL"},
		{name: "other scheme", cfg: forward.Config{URL: mustURL(t, "ftp://example.com/x")}, wantErr: "not an absolute http or https URL"},
		{name: "no host", cfg: forward.Config{URL: mustURL(t, "http:///webhook")}, wantErr: "has no host"},
		{name: "port only", cfg: forward.Config{URL: mustURL(t, "http://:3000/webhook")}, wantErr: "has no host"},
		{name: "negative timeout", cfg: forward.Config{URL: mustURL(t, "http://127.0.0.1:3000"), Timeout: -time.Second}, wantErr: "timeout"},
		{name: "negative concurrency", cfg: forward.Config{URL: mustURL(t, "http://127.0.0.1:3000"), Concurrency: -1}, wantErr: "concurrency"},
		{name: "negative answer limit", cfg: forward.Config{URL: mustURL(t, "http://127.0.0.1:3000"), MaxAnswerKept: -1}, wantErr: "MaxAnswerKept"},
		{name: "valid", cfg: forward.Config{URL: mustURL(t, "https://127.0.0.1:3000/webhook?x=1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := forward.New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				f.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestForwardSoak(t *testing.T) {
	const total, workers = 2000, 64
	app, _ := mustApp(t, func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(2 * time.Millisecond) // a slow app, not synchronisation
		io.WriteString(w, "ok")
	})
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), Concurrency: 64})

	var (
		next, answered, busy, other atomic.Int64
		firstOther                  sync.Once
		otherDetail                 string
		wg                          sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= total {
				r, d := newDelivery(context.Background(), []byte(`{"n":1}`), nil)
				rec := httptest.NewRecorder()
				out := f.Handoff(rec, r, d)
				switch {
				case out.Answered && rec.Code == http.StatusOK && rec.Body.String() == "ok":
					answered.Add(1)
				case !out.Answered && out.Reason == receiver.ReasonForwardBusy && wroteNothing(rec):
					busy.Add(1)
				default:
					other.Add(1)
					firstOther.Do(func() { otherDetail = fmt.Sprintf("%+v, answer %d %q", out, rec.Code, rec.Body.String()) })
				}
			}
		})
	}
	wg.Wait()
	if other.Load() != 0 {
		t.Errorf("%d forwards got neither the app's answer nor forward_busy; the first: %s", other.Load(), otherDetail)
	}
	if sum := answered.Load() + busy.Load() + other.Load(); sum != total || answered.Load() == 0 {
		t.Errorf("answered %d + busy %d + other %d = %d, want %d with some answered", answered.Load(), busy.Load(), other.Load(), sum, total)
	}
}

// mustRawRequest sends a raw request to the front over a connection of its
// own, to be closed after the answer, and returns the connection, for a
// test that reads (or does not read) the answer itself.
func mustRawRequest(tb testing.TB, front *httptest.Server, proto, body string) net.Conn {
	tb.Helper()
	conn, err := net.Dial("tcp", front.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /hook %s\r\nHost: listen.example\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", proto, len(body), body)
	return conn
}

func TestForwardDropsExpect(t *testing.T) {
	app, got := mustApp(t, func(http.ResponseWriter, *http.Request) {})
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL)})

	// The receiver has read the body already: the app must not be asked
	// to say 100 Continue before it gets it.
	r, d := newDelivery(t.Context(), []byte(`{"a":1}`), http.Header{"Expect": {"100-continue"}})
	if out := f.Handoff(httptest.NewRecorder(), r, d); !out.Answered {
		t.Fatalf("outcome = %+v, want the app's answer", out)
	}
	if req := receive(t, got, "request at the app"); len(req.Header.Values("Expect")) > 0 {
		t.Errorf("the app got Expect: %q; the body is read already, it should have been dropped", req.Header.Values("Expect"))
	}
}

func TestForwardAddsNoContentType(t *testing.T) {
	app, _ := mustApp(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = nil // the app sends none
		io.WriteString(w, "<html>plain words</html>")
	})
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL)})
	front, outcomes := mustFront(t, f)

	resp, err := http.Post(front.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	receive(t, outcomes, "outcome")
	if ct, ok := resp.Header["Content-Type"]; ok {
		t.Errorf("the sender got Content-Type %q; the app sent none", ct)
	}
}

func TestForwardInterimAnswers(t *testing.T) {
	tests := []struct {
		proto     string
		wantEarly bool
	}{
		{proto: "HTTP/1.1", wantEarly: true},
		{proto: "HTTP/1.0", wantEarly: false}, // RFC 9110 15.2: never to an HTTP/1.0 client
	}
	for _, tt := range tests {
		t.Run(tt.proto, func(t *testing.T) {
			app, _ := mustApp(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Link", "</style.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				io.WriteString(w, "done")
			})
			f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL)})
			front, outcomes := mustFront(t, f)

			conn := mustRawRequest(t, front, tt.proto, "{}")
			receive(t, outcomes, "outcome")
			conn.SetReadDeadline(time.Now().Add(deadline))
			answer, _ := io.ReadAll(conn)
			if early := bytes.Contains(answer, []byte(" 103 ")); early != tt.wantEarly {
				t.Errorf("%s sender got %q; want the 103 passed on: %v", tt.proto, answer, tt.wantEarly)
			}
			if !bytes.Contains(answer, []byte(" 200 OK\r\n")) || !bytes.HasSuffix(answer, []byte("done")) {
				t.Errorf("%s sender got %q, want the app's 200 done", tt.proto, answer)
			}
		})
	}
}

func TestForwardSenderThatDoesNotReadTheAnswer(t *testing.T) {
	app, _ := mustApp(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), Timeout: 200 * time.Millisecond})
	front, outcomes := mustFront(t, f)

	// The sender never reads: without a write deadline the forward would
	// hold its slot and its connection to the app until the sender left.
	mustRawRequest(t, front, "HTTP/1.1", "{}")
	out := receive(t, outcomes, "outcome of a forward whose sender does not read the answer")
	if !out.Answered || out.Status != http.StatusOK || out.Reason != receiver.ReasonForwardTimeout || !strings.Contains(out.Detail, "did not read") {
		t.Errorf("outcome = %+v, want answered 200 with forward_timeout: the sender did not read", out)
	}
}

// Behind a listener that serves HTTPS, X-Forwarded-Proto says https even
// though the request shows no TLS (capture.Listener wraps the TLS
// connections, so net/http does not see them as such).
func TestForwardProtoOfAnHTTPSListener(t *testing.T) {
	for _, https := range []bool{false, true} {
		t.Run(fmt.Sprint("HTTPS=", https), func(t *testing.T) {
			app, got := mustApp(t, func(w http.ResponseWriter, _ *http.Request) {})
			f := mustForwarder(t, forward.Config{URL: mustURL(t, app.URL), HTTPS: https})
			r, d := newDelivery(t.Context(), []byte(`{}`), http.Header{"X-Forwarded-Proto": {"ftp"}})
			f.Handoff(httptest.NewRecorder(), r, d)
			want := "http"
			if https {
				want = "https"
			}
			if proto := receive(t, got, "request at the app").Header.Values("X-Forwarded-Proto"); !slices.Equal(proto, []string{want}) {
				t.Errorf("X-Forwarded-Proto = %q, want %q", proto, want)
			}
		})
	}
}
