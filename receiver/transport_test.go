package receiver_test

// These tests run the receiver behind the real server (receiver.Serve on a
// 127.0.0.1:0 listener) and speak to it over raw TCP, through net/http's
// client and through curl, so that every status is known to hold on the
// wire and not only through httptest.NewRecorder: in particular that the
// refusals made before the body is read are answered without waiting for
// that body.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

// wireSecret is the shared secret of every receiver in this file.
const wireSecret = "It's a Secret to Everybody"

// wireWait bounds every wait in this file, so that a server that never
// answers fails a test instead of hanging it. Nothing asserts on how long
// anything took.
const wireWait = 5 * time.Second

// wireMaxBody is the MaxBody of the receivers that must refuse bodies by
// their size.
const wireMaxBody = 1024

// Payloads in GitHub's shape, trimmed.
const (
	wirePing = `{"zen":"Design for failure.","hook_id":42,"hook":{"type":"Repository","id":42,"active":true,"events":["push"]},"repository":{"id":1,"full_name":"octo-org/hello"},"sender":{"login":"octocat"}}`
	wirePush = `{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","repository":{"full_name":"octo-org/hello"},"pusher":{"name":"octocat"},"sender":{"login":"octocat"},"commits":[{"id":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","message":"Update README & add a+b=c"}]}`
)

// wireFraming is how a scenario's body is put on the wire.
type wireFraming int

const (
	// wireLength sends Content-Length: len(body) and then the body; an
	// empty body is sent without a Content-Length.
	wireLength wireFraming = iota
	// wireHeadersOnly declares Content-Length: len(body) but sends only the
	// headers over raw TCP: the answer must come without the body.
	wireHeadersOnly
	// wireUnframed sends the body with neither Content-Length nor
	// Transfer-Encoding, then closes the write side.
	wireUnframed
	// wireChunked sends the body with Transfer-Encoding: chunked.
	wireChunked
	// wireShort declares a Content-Length larger than the body, sends the
	// body and then closes the write side.
	wireShort
)

// clientCanSend reports whether net/http's client can put a request framed
// so on the wire: it always frames a body it sends, and never lies about
// its length.
func (f wireFraming) clientCanSend() bool { return f != wireUnframed && f != wireShort }

// wireCase is one request and the answer it must get.
type wireCase struct {
	name     string
	method   string   // POST when empty
	path     string   // receiver.DefaultPath when empty
	header   []string // "Name: value" lines; the framing headers are added
	body     string
	framing  wireFraming
	declared int // Content-Length for wireShort
	repeat   bool

	wantStatus int
	wantReason receiver.Reason
	wantAllow  string
	wantEvent  string
}

// wireCases is the scenario table: one row per status the receiver gives.
func wireCases(tb testing.TB) []wireCase {
	tb.Helper()
	sig := func(body string) string { return signing.GitHubSignatureHeader + ": " + mustWireSign(tb, body) }
	const ctJSON, ctForm = "Content-Type: application/json", "Content-Type: application/x-www-form-urlencoded"
	pushForm := "payload=" + url.QueryEscape(wirePush)
	tooLarge := `{"zen":"` + strings.Repeat("a", 2*wireMaxBody) + `"}`
	return []wireCase{
		{
			name:   "json ping",
			header: []string{ctJSON, "X-GitHub-Event: ping", "X-GitHub-Delivery: 7a1d0c00-0001", sig(wirePing)},
			body:   wirePing, wantStatus: http.StatusOK, wantReason: receiver.ReasonOK, wantEvent: "ping",
		},
		{
			name:   "form push signed over the raw form body",
			header: []string{ctForm, "X-GitHub-Event: push", "X-GitHub-Delivery: 7a1d0c00-0002", sig(pushForm)},
			body:   pushForm, wantStatus: http.StatusOK, wantReason: receiver.ReasonOK, wantEvent: "push",
		},
		{
			name: "health check", method: http.MethodGet, path: receiver.HealthPath,
			wantStatus: http.StatusOK, wantReason: receiver.ReasonOK,
		},
		{
			name: "GET on the webhook path", method: http.MethodGet,
			wantStatus: http.StatusMethodNotAllowed, wantReason: receiver.ReasonMethodNotAllowed, wantAllow: http.MethodPost,
		},
		{
			name: "POST elsewhere", path: "/elsewhere",
			header: []string{ctJSON, "X-GitHub-Event: ping", sig(wirePing)}, body: wirePing,
			wantStatus: http.StatusNotFound, wantReason: receiver.ReasonNotFound,
		},
		{
			name:   "no Content-Length",
			header: []string{ctJSON, "X-GitHub-Event: ping", sig(wirePing)}, body: wirePing, framing: wireUnframed,
			wantStatus: http.StatusLengthRequired, wantReason: receiver.ReasonLengthRequired,
		},
		{
			name:   "chunked",
			header: []string{ctJSON, "X-GitHub-Event: ping", sig(wirePing)}, body: wirePing, framing: wireChunked,
			wantStatus: http.StatusLengthRequired, wantReason: receiver.ReasonLengthRequired,
		},
		{
			name:   "Content-Length over MaxBody, body not sent",
			header: []string{ctJSON, "X-GitHub-Event: ping", sig(tooLarge)}, body: tooLarge, framing: wireHeadersOnly,
			wantStatus: http.StatusRequestEntityTooLarge, wantReason: receiver.ReasonBodyTooLarge,
		},
		{
			name:   "signature missing, body not sent",
			header: []string{ctJSON, "X-GitHub-Event: ping"}, body: wirePing, framing: wireHeadersOnly,
			wantStatus: http.StatusUnauthorized, wantReason: receiver.ReasonSignatureMissing,
		},
		{
			name:   "signature malformed, body not sent",
			header: []string{ctJSON, "X-GitHub-Event: ping", signing.GitHubSignatureHeader + ": sha256=not-hex"}, body: wirePing, framing: wireHeadersOnly,
			wantStatus: http.StatusUnauthorized, wantReason: receiver.ReasonSignatureMalformed,
		},
		{
			name:   "body shorter than its Content-Length",
			header: []string{ctJSON, "X-GitHub-Event: ping", sig(wirePing)}, body: wirePing[:10], framing: wireShort, declared: 100,
			wantStatus: http.StatusBadRequest, wantReason: receiver.ReasonBodyIncomplete,
		},
		{
			name:   "signature mismatch",
			header: []string{ctJSON, "X-GitHub-Event: ping", sig(wirePing + " ")}, body: wirePing,
			wantStatus: http.StatusUnauthorized, wantReason: receiver.ReasonSignatureMismatch,
		},
		{
			name:   "invalid JSON, valid signature",
			header: []string{ctJSON, "X-GitHub-Event: ping", sig(`{"zen":`)}, body: `{"zen":`,
			wantStatus: http.StatusBadRequest, wantReason: receiver.ReasonInvalidJSON,
		},
		{
			name:   "text/plain, valid signature",
			header: []string{"Content-Type: text/plain", "X-GitHub-Event: ping", sig(wirePing)}, body: wirePing,
			wantStatus: http.StatusUnsupportedMediaType, wantReason: receiver.ReasonUnsupportedMediaType,
		},
		{
			name:   "form without payload",
			header: []string{ctForm, "X-GitHub-Event: ping", sig("zen=Design+for+failure.")}, body: "zen=Design+for+failure.",
			wantStatus: http.StatusBadRequest, wantReason: receiver.ReasonPayloadMissing,
		},
		{
			name:   "event missing",
			header: []string{ctJSON, sig(wirePing)}, body: wirePing,
			wantStatus: http.StatusBadRequest, wantReason: receiver.ReasonEventMissing,
		},
		{
			name:   "same delivery twice",
			header: []string{ctJSON, "X-GitHub-Event: ping", "X-GitHub-Delivery: 7a1d0c00-0003", sig(wirePing)},
			body:   wirePing, repeat: true, wantStatus: http.StatusOK, wantReason: receiver.ReasonOK, wantEvent: "ping",
		},
	}
}

// raw returns the exact bytes of tt's request: what is written before the
// answer is read.
func (tt wireCase) raw() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n", tt.methodOrPost(), tt.pathOrDefault())
	for _, h := range tt.header {
		b.WriteString(h + "\r\n")
	}
	switch tt.framing {
	case wireLength, wireHeadersOnly:
		if tt.body != "" {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(tt.body))
		}
	case wireChunked:
		b.WriteString("Transfer-Encoding: chunked\r\n")
	case wireShort:
		fmt.Fprintf(&b, "Content-Length: %d\r\n", tt.declared)
	}
	b.WriteString("\r\n")
	switch tt.framing {
	case wireHeadersOnly:
	case wireChunked:
		fmt.Fprintf(&b, "%x\r\n%s\r\n0\r\n\r\n", len(tt.body), tt.body)
	default:
		b.WriteString(tt.body)
	}
	return b.String()
}

func (tt wireCase) methodOrPost() string {
	if tt.method == "" {
		return http.MethodPost
	}
	return tt.method
}

func (tt wireCase) pathOrDefault() string {
	if tt.path == "" {
		return receiver.DefaultPath
	}
	return tt.path
}

// wireAnswer is the part of the receiver's JSON answer the tests look at.
type wireAnswer struct {
	Status     int             `json:"status"`
	Reason     receiver.Reason `json:"reason"`
	Event      string          `json:"event"`
	Redelivery bool            `json:"redelivery"`
}

// wireReply is one answer as seen on the wire.
type wireReply struct {
	status int
	allow  string
	close  bool // the answer closes the connection
	answer wireAnswer
}

func TestWireStatuses(t *testing.T) {
	t.Parallel()
	cases := wireCases(t)
	vias := []struct {
		name string
		send func(t *testing.T, addr string, client *http.Client, tt wireCase) []wireReply
	}{
		{name: "raw TCP", send: wireSendRaw},
		{name: "net/http client", send: wireSendClient},
	}
	for _, via := range vias {
		t.Run(via.name, func(t *testing.T) {
			srv := mustWireServe(t, mustWireReceiver(t, wireMaxBody), wireLimits(), nil)
			client := newWireClient(t, 0)
			for _, tt := range cases {
				t.Run(tt.name, func(t *testing.T) {
					replies := via.send(t, srv.addr, client, tt)
					for i, got := range replies {
						if got.status != tt.wantStatus || got.answer.Status != tt.wantStatus || got.answer.Reason != tt.wantReason {
							t.Errorf("answer %d: status %d, JSON status %d, reason %q; want %d %q",
								i+1, got.status, got.answer.Status, got.answer.Reason, tt.wantStatus, tt.wantReason)
						}
						if got.allow != tt.wantAllow {
							t.Errorf("answer %d: Allow %q, want %q", i+1, got.allow, tt.wantAllow)
						}
						if got.answer.Event != tt.wantEvent {
							t.Errorf("answer %d: event %q, want %q", i+1, got.answer.Event, tt.wantEvent)
						}
						// The unread body must not be taken for the next request.
						if tt.framing == wireHeadersOnly && !got.close {
							t.Errorf("answer %d keeps the connection open, with the body unread", i+1)
						}
						if wantRedelivery := i > 0; got.answer.Redelivery != wantRedelivery {
							t.Errorf("answer %d: redelivery %v, want %v", i+1, got.answer.Redelivery, wantRedelivery)
						}
					}
				})
			}
		})
	}
}

// wireSendRaw writes tt's exact bytes on one connection (twice, on the same
// kept-alive connection, for a repeat) and reads the answers.
func wireSendRaw(t *testing.T, addr string, _ *http.Client, tt wireCase) []wireReply {
	t.Helper()
	conn := mustWireDial(t, addr)
	br := bufio.NewReader(conn)
	sends := 1
	if tt.repeat {
		sends = 2
	}
	var replies []wireReply
	for range sends {
		mustWireWrite(t, conn, tt.raw())
		if tt.framing == wireUnframed || tt.framing == wireShort {
			if err := conn.CloseWrite(); err != nil {
				t.Fatalf("CloseWrite: %v", err)
			}
		}
		resp, body := mustWireReadResponse(t, br)
		replies = append(replies, wireReply{status: resp.StatusCode, allow: resp.Header.Get("Allow"), close: resp.Close, answer: mustWireDecode(t, body)})
	}
	return replies
}

// wireSendClient sends tt through client, when the client can frame it so.
func wireSendClient(t *testing.T, addr string, client *http.Client, tt wireCase) []wireReply {
	t.Helper()
	if !tt.framing.clientCanSend() {
		t.Skip("net/http's client cannot send this framing")
	}
	sends := 1
	if tt.repeat {
		sends = 2
	}
	var replies []wireReply
	for range sends {
		var body io.Reader
		if tt.body != "" {
			body = strings.NewReader(tt.body)
		}
		req, err := http.NewRequest(tt.methodOrPost(), "http://"+addr+tt.pathOrDefault(), body)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range tt.header {
			k, v, _ := strings.Cut(h, ": ")
			req.Header.Add(k, v)
		}
		if tt.framing == wireChunked {
			req.ContentLength = -1
			req.TransferEncoding = []string{"chunked"}
		}
		resp, got := mustWireDo(t, client, req)
		replies = append(replies, wireReply{status: resp.StatusCode, allow: resp.Header.Get("Allow"), close: resp.Close, answer: mustWireDecode(t, got)})
	}
	return replies
}

func TestWireExpectContinue(t *testing.T) {
	t.Parallel()
	small := mustWireServe(t, mustWireReceiver(t, wireMaxBody), wireLimits(), nil)

	t.Run("raw TCP: 100 Continue, then the body, then 200", func(t *testing.T) {
		conn := mustWireDial(t, small.addr)
		br := bufio.NewReader(conn)
		mustWireWrite(t, conn, wireHead(http.MethodPost, receiver.DefaultPath,
			"Content-Type: application/json", "X-GitHub-Event: ping", "Expect: 100-continue",
			signing.GitHubSignatureHeader+": "+mustWireSign(t, wirePing),
			"Content-Length: "+strconv.Itoa(len(wirePing))))
		interim, _ := mustWireReadResponse(t, br)
		if interim.StatusCode != http.StatusContinue {
			t.Fatalf("first answer %d, want 100 Continue", interim.StatusCode)
		}
		mustWireWrite(t, conn, wirePing)
		resp, body := mustWireReadResponse(t, br)
		if got := mustWireDecode(t, body); resp.StatusCode != http.StatusOK || got.Reason != receiver.ReasonOK {
			t.Errorf("final answer %d %q, want 200 ok", resp.StatusCode, got.Reason)
		}
	})

	t.Run("raw TCP: over MaxBody gets 413 without 100 Continue", func(t *testing.T) {
		conn := mustWireDial(t, small.addr)
		br := bufio.NewReader(conn)
		mustWireWrite(t, conn, wireHead(http.MethodPost, receiver.DefaultPath,
			"Content-Type: application/json", "X-GitHub-Event: ping", "Expect: 100-continue",
			signing.GitHubSignatureHeader+": "+mustWireSign(t, wirePing),
			"Content-Length: "+strconv.Itoa(2*wireMaxBody)))
		resp, body := mustWireReadResponse(t, br)
		if got := mustWireDecode(t, body); resp.StatusCode != http.StatusRequestEntityTooLarge || got.Reason != receiver.ReasonBodyTooLarge {
			t.Errorf("first answer %d %q, want 413 body_too_large and no 100 Continue", resp.StatusCode, got.Reason)
		}
	})

	t.Run("client: over MaxBody gets 413 and the body is never sent", func(t *testing.T) {
		client := newWireClient(t, wireWait)
		reads := make(chan struct{}, 1)
		body := &wireWatchedBody{r: strings.NewReader(strings.Repeat("a", 2*wireMaxBody)), reads: reads}
		req, err := http.NewRequest(http.MethodPost, "http://"+small.addr+receiver.DefaultPath, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = 2 * wireMaxBody
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Expect", "100-continue")
		resp, got := mustWireDo(t, client, req)
		if a := mustWireDecode(t, got); resp.StatusCode != http.StatusRequestEntityTooLarge || a.Reason != receiver.ReasonBodyTooLarge {
			t.Errorf("answer %d %q, want 413 body_too_large", resp.StatusCode, a.Reason)
		}
		select {
		case <-reads:
			t.Error("the client sent the body although the server refused it before 100 Continue")
		default:
		}
	})

	t.Run("client: 300 KiB body after 100 Continue gets 200", func(t *testing.T) {
		large := mustWireServe(t, mustWireReceiver(t, 0), wireLimits(), nil)
		client := newWireClient(t, wireWait)
		payload := `{"zen":"Design for failure.","padding":"` + strings.Repeat("a", 300<<10) + `"}`
		req, err := http.NewRequest(http.MethodPost, "http://"+large.addr+receiver.DefaultPath, strings.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "ping")
		req.Header.Set("Expect", "100-continue")
		req.Header.Set(signing.GitHubSignatureHeader, mustWireSign(t, payload))
		continued := make(chan struct{}, 1)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			Got100Continue: func() { continued <- struct{}{} },
		}))
		resp, got := mustWireDo(t, client, req)
		if a := mustWireDecode(t, got); resp.StatusCode != http.StatusOK || a.Reason != receiver.ReasonOK {
			t.Errorf("answer %d %q, want 200 ok", resp.StatusCode, a.Reason)
		}
		select {
		case <-continued:
		default:
			t.Error("the client got no 100 Continue")
		}
	})
}

// wireWatchedBody is a request body that reports on reads when it is read.
type wireWatchedBody struct {
	r     io.Reader
	reads chan<- struct{}
}

func (b *wireWatchedBody) Read(p []byte) (int, error) {
	select {
	case b.reads <- struct{}{}:
	default:
	}
	return b.r.Read(p)
}

func TestWireCurl(t *testing.T) {
	t.Parallel()
	curl, errCurl := exec.LookPath("curl")
	openssl, errOpenSSL := exec.LookPath("openssl")
	if errCurl != nil || errOpenSSL != nil {
		t.Skip("curl and openssl are both needed")
	}
	srv := mustWireServe(t, mustWireReceiver(t, 0), wireLimits(), nil)
	large := `{"zen":"Design for failure.","padding":"` + strings.Repeat("a", 2<<20) + `"}`

	tests := []struct {
		name        string
		contentType string
		event       string
		body        string
		wantEvent   string
		// wantContinue: curl sends Expect: 100-continue for a body this
		// large, and the server must answer it.
		wantContinue bool
	}{
		{name: "json ping", contentType: "application/json", event: "ping", body: wirePing, wantEvent: "ping"},
		{name: "2 MiB body", contentType: "application/json", event: "ping", body: large, wantEvent: "ping", wantContinue: true},
		{name: "form push", contentType: "application/x-www-form-urlencoded", event: "push", body: "payload=" + url.QueryEscape(wirePush), wantEvent: "push"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "body")
			if err := os.WriteFile(file, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			sig := mustWireOpenSSLSign(t, openssl, file)
			if want := mustWireSign(t, tt.body); sig != want {
				t.Fatalf("openssl signed %s, signing.GitHub %s", sig, want)
			}
			cmd := exec.Command(curl, "-sS", "-v", "--noproxy", "*", "-o", "-", "-w", "%{http_code}",
				"--data-binary", "@"+file,
				"-H", "Content-Type: "+tt.contentType,
				"-H", "X-GitHub-Event: "+tt.event,
				"-H", signing.GitHubSignatureHeader+": "+sig,
				"http://"+srv.addr+receiver.DefaultPath)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("curl: %v\n%s", err, stderr.String())
			}
			out := stdout.String()
			if len(out) < 3 {
				t.Fatalf("curl printed %q", out)
			}
			code, answer := out[len(out)-3:], out[:len(out)-3]
			if got := mustWireDecode(t, []byte(answer)); code != "200" || got.Reason != receiver.ReasonOK || got.Event != tt.wantEvent {
				t.Errorf("curl got %s %q event %q, want 200 ok event %q", code, got.Reason, got.Event, tt.wantEvent)
			}
			if tt.wantContinue {
				for _, want := range []string{"> Expect: 100-continue", "< HTTP/1.1 100 Continue"} {
					if !strings.Contains(stderr.String(), want) {
						t.Errorf("curl's trace lacks %q", want)
					}
				}
			}
		})
	}
}

// mustWireOpenSSLSign returns the X-Hub-Signature-256 value of file,
// computed by openssl.
func mustWireOpenSSLSign(tb testing.TB, openssl, file string) string {
	tb.Helper()
	out, err := exec.Command(openssl, "dgst", "-sha256", "-hmac", wireSecret, file).Output()
	if err != nil {
		tb.Fatalf("openssl dgst: %v", err)
	}
	// "HMAC-SHA2-256(file)= <hex>" (OpenSSL 3) or "HMAC-SHA256(file)= <hex>".
	fields := strings.Fields(string(out))
	if len(fields) == 0 {
		tb.Fatalf("openssl dgst printed %q", out)
	}
	return "sha256=" + fields[len(fields)-1]
}

func TestWireHardening(t *testing.T) {
	t.Parallel()
	// Short enough to keep the test quick, long enough that the ordinary
	// delivery sent beside the stalled client finishes well within them
	// on a loaded CI machine under -race.
	lim := receiver.Limits{
		ReadHeaderTimeout: 500 * time.Millisecond,
		ReadTimeout:       time.Second,
		WriteTimeout:      wireWait,
		IdleTimeout:       wireWait,
		MaxHeaderBytes:    1 << 10,
		ShutdownTimeout:   wireWait,
	}
	srv := mustWireServe(t, mustWireReceiver(t, wireMaxBody), lim, nil)

	t.Run("stalled request line is dropped while others are served", func(t *testing.T) {
		stalled := mustWireDial(t, srv.addr)
		mustWireWrite(t, stalled, "POST /webh")

		if got := wireDeliver(t, srv.addr); got.status != http.StatusOK {
			t.Errorf("concurrent delivery got %d, want 200", got.status)
		}

		// net/http answers a request line cut short by the header timeout
		// with its own 400 and closes; what matters is the close.
		rest, err := io.ReadAll(stalled)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the server kept a stalled connection open for %v", wireWait)
		}
		if len(rest) > 0 && !bytes.HasPrefix(rest, []byte("HTTP/1.1 400 ")) {
			t.Errorf("the server wrote %q to a stalled connection, want nothing or a 400", rest)
		}
	})

	t.Run("headers over MaxHeaderBytes get 431", func(t *testing.T) {
		conn := mustWireDial(t, srv.addr)
		br := bufio.NewReader(conn)
		// net/http allows 4 KiB over MaxHeaderBytes before refusing.
		mustWireWrite(t, conn, wireHead(http.MethodPost, receiver.DefaultPath, "X-Padding: "+strings.Repeat("a", 8<<10)))
		resp, _ := mustWireReadResponse(t, br)
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("got %d, want 431", resp.StatusCode)
		}
	})

	t.Run("body that never arrives gets 408", func(t *testing.T) {
		conn := mustWireDial(t, srv.addr)
		br := bufio.NewReader(conn)
		mustWireWrite(t, conn, wireHead(http.MethodPost, receiver.DefaultPath,
			"Content-Type: application/json", "X-GitHub-Event: ping",
			signing.GitHubSignatureHeader+": "+mustWireSign(t, wirePing),
			"Content-Length: 100")+wirePing[:10])
		resp, body := mustWireReadResponse(t, br)
		if got := mustWireDecode(t, body); resp.StatusCode != http.StatusRequestTimeout || got.Reason != receiver.ReasonBodyTimeout {
			t.Errorf("got %d %q, want 408 body_timeout", resp.StatusCode, got.Reason)
		}
		if !resp.Close {
			t.Error("the answer keeps the connection open, though the rest of the body may still come")
		}
	})
}

func TestWireShutdown(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	rc := mustWireReceiver(t, 0)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		rc.ServeHTTP(w, r)
	})
	srv := mustWireServe(t, h, wireLimits(), nil)

	conn := mustWireDial(t, srv.addr)
	br := bufio.NewReader(conn)
	half := len(wirePing) / 2
	mustWireWrite(t, conn, wireHead(http.MethodPost, receiver.DefaultPath,
		"Content-Type: application/json", "X-GitHub-Event: ping",
		signing.GitHubSignatureHeader+": "+mustWireSign(t, wirePing),
		"Content-Length: "+strconv.Itoa(len(wirePing)))+wirePing[:half])
	select {
	case <-started:
	case <-time.After(wireWait):
		t.Fatal("the request never reached the handler")
	}

	srv.cancel()
	// Shutdown closes the listener first; once a dial is refused the
	// server is shutting down with the request in flight.
	mustWireRefused(t, srv.addr)
	select {
	case err := <-srv.served:
		t.Fatalf("Serve returned %v before the in-flight request finished", err)
	default:
	}

	mustWireWrite(t, conn, wirePing[half:])
	resp, body := mustWireReadResponse(t, br)
	if got := mustWireDecode(t, body); resp.StatusCode != http.StatusOK || got.Reason != receiver.ReasonOK {
		t.Errorf("in-flight request got %d %q, want 200 ok", resp.StatusCode, got.Reason)
	}
	if err := srv.wait(); err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
	if c, err := net.Dial("tcp", srv.addr); err == nil {
		c.Close()
		t.Error("a connection was accepted after Serve returned")
	}
}

func TestWireShortBody(t *testing.T) {
	t.Parallel()
	var logs wireLog
	srv := mustWireServe(t, mustWireReceiver(t, 0), wireLimits(), slog.New(slog.NewTextHandler(&logs, nil)))

	// 20 bytes sent, 5 declared: the other 15 are the next "request".
	sent := `{"a":` + "1234567890123\r\n"
	conn := mustWireDial(t, srv.addr)
	br := bufio.NewReader(conn)
	mustWireWrite(t, conn, wireHead(http.MethodPost, receiver.DefaultPath,
		"Content-Type: application/json", "X-GitHub-Event: ping",
		signing.GitHubSignatureHeader+": "+mustWireSign(t, sent),
		"Content-Length: 5")+sent)
	resp, body := mustWireReadResponse(t, br)
	if got := mustWireDecode(t, body); resp.StatusCode != http.StatusUnauthorized || got.Reason != receiver.ReasonSignatureMismatch {
		t.Errorf("got %d %q, want 401 signature_mismatch", resp.StatusCode, got.Reason)
	}
	// net/http reads the leftover bytes as the next request line and
	// refuses them itself.
	next, _ := mustWireReadResponse(t, br)
	if next.StatusCode != http.StatusBadRequest {
		t.Errorf("the leftover bytes got %d, want 400 from net/http", next.StatusCode)
	}

	if got := wireDeliver(t, srv.addr); got.status != http.StatusOK {
		t.Errorf("the next delivery got %d, want 200", got.status)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("Serve returned %v, want nil", err)
	}
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("the server logged a panic:\n%s", logs.String())
	}
}

// wireDeliver posts a valid ping on a new connection and returns the answer.
func wireDeliver(tb testing.TB, addr string) wireReply {
	tb.Helper()
	conn := mustWireDial(tb, addr)
	mustWireWrite(tb, conn, wireHead(http.MethodPost, receiver.DefaultPath,
		"Content-Type: application/json", "X-GitHub-Event: ping",
		signing.GitHubSignatureHeader+": "+mustWireSign(tb, wirePing),
		"Content-Length: "+strconv.Itoa(len(wirePing)))+wirePing)
	resp, body := mustWireReadResponse(tb, bufio.NewReader(conn))
	return wireReply{status: resp.StatusCode, answer: mustWireDecode(tb, body)}
}

// wireLog collects what the server logs; it is written from the server's
// goroutines.
type wireLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *wireLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *wireLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// wireServer is a receiver.Serve running on a 127.0.0.1:0 listener.
type wireServer struct {
	addr   string
	cancel context.CancelFunc
	served chan error // Serve's result, sent once

	once sync.Once
	err  error
}

// mustWireServe starts receiver.Serve with h and lim on a 127.0.0.1:0
// listener. At cleanup it stops the server and checks that Serve returned
// nil.
func mustWireServe(tb testing.TB, h http.Handler, lim receiver.Limits, log *slog.Logger) *wireServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &wireServer{addr: ln.Addr().String(), cancel: cancel, served: make(chan error, 1)}
	go func() { s.served <- receiver.Serve(ctx, ln, h, lim, log) }()
	tb.Cleanup(func() {
		if err := s.stop(); err != nil {
			tb.Errorf("Serve returned %v, want nil", err)
		}
	})
	return s
}

// stop cancels Serve's context and returns what Serve returned.
func (s *wireServer) stop() error {
	s.cancel()
	return s.wait()
}

// wait returns what Serve returned, waiting at most wireWait for it.
func (s *wireServer) wait() error {
	s.once.Do(func() {
		select {
		case s.err = <-s.served:
		case <-time.After(wireWait):
			s.err = errors.New("Serve did not return")
		}
	})
	return s.err
}

// wireLimits are generous limits with a shutdown timeout, so that a test
// whose connections linger fails at cleanup instead of waiting long.
func wireLimits() receiver.Limits {
	lim := receiver.DefaultLimits()
	lim.ShutdownTimeout = wireWait
	return lim
}

func mustWireScheme(tb testing.TB) *signing.GitHub {
	tb.Helper()
	s, err := signing.NewGitHub(wireSecret)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// mustWireReceiver returns a receiver for wireSecret; maxBody 0 is the
// default.
func mustWireReceiver(tb testing.TB, maxBody int64) *receiver.Receiver {
	tb.Helper()
	rc, err := receiver.New(receiver.Config{Scheme: mustWireScheme(tb), MaxBody: maxBody})
	if err != nil {
		tb.Fatal(err)
	}
	return rc
}

// mustWireSign returns the X-Hub-Signature-256 value for body.
func mustWireSign(tb testing.TB, body string) string {
	tb.Helper()
	h, err := mustWireScheme(tb).Sign(signing.Message{Body: []byte(body)})
	if err != nil {
		tb.Fatal(err)
	}
	return h.Get(signing.GitHubSignatureHeader)
}

// wireHead returns a request line and header lines, up to the blank line.
func wireHead(method, target string, header ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, target)
	for _, h := range header {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// mustWireDial connects to addr with a deadline wireWait ahead, and closes
// the connection at cleanup.
func mustWireDial(tb testing.TB, addr string) *net.TCPConn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(wireWait)); err != nil {
		tb.Fatal(err)
	}
	return c.(*net.TCPConn)
}

// mustWireRefused waits, at most wireWait, until dialing addr is refused.
func mustWireRefused(tb testing.TB, addr string) {
	tb.Helper()
	deadline := time.Now().Add(wireWait)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			tb.Fatal("the listener was still accepting after the context was cancelled")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustWireWrite(tb testing.TB, conn net.Conn, s string) {
	tb.Helper()
	if _, err := io.WriteString(conn, s); err != nil {
		tb.Fatalf("write: %v", err)
	}
}

// mustWireReadResponse reads one response, interim or final, and its body.
func mustWireReadResponse(tb testing.TB, br *bufio.Reader) (*http.Response, []byte) {
	tb.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		tb.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("reading the answer's body: %v", err)
	}
	return resp, body
}

// newWireClient returns a client that uses no proxy and waits at most
// expectContinue for a 100 Continue (0: it does not wait, and sends the
// body with the headers).
func newWireClient(tb testing.TB, expectContinue time.Duration) *http.Client {
	tb.Helper()
	tr := &http.Transport{ExpectContinueTimeout: expectContinue}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: wireWait}
}

func mustWireDo(tb testing.TB, client *http.Client, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, body
}

func mustWireDecode(tb testing.TB, body []byte) wireAnswer {
	tb.Helper()
	var a wireAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		tb.Fatalf("the answer is not JSON: %v\n%s", err, body)
	}
	return a
}
