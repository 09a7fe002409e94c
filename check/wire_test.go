package check_test

// These tests run every scenario against a raw TCP listener that records
// each request as it came off the wire, and check that what was sent is
// what the scenario's Sent text says.

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/check"
	"github.com/hooklab/hooklab/fixtures"
)

// wireMaxBody is the size limit check is told in these tests.
const wireMaxBody = 4096

// wireRequest is one request as the recording listener read it.
type wireRequest struct {
	Method, Target, Proto string
	Header                http.Header // as sent: nothing added, moved or removed
	// Body is what the framing says the body is: Content-Length bytes (or
	// fewer, when the stream ended first), the chunks put together, or with
	// neither header everything up to the end of the stream.
	Body []byte
	// Short is true when the stream ended before the declared length.
	Short bool
	// EndedFirst is true when the client closed its write side before it
	// was answered (and still read the answer).
	EndedFirst bool
	// After is what came after the framed body, up to the end of the
	// stream, read once the answer was written.
	After []byte
	// Err says what could not be read.
	Err error
}

// wireAnswer is what the recording listener answers every request with.
const wireAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 21\r\nConnection: close\r\n\r\n" +
	`{"reason":"recorded"}`

// mustRecord listens on 127.0.0.1:0, reads one request per connection,
// one connection at a time, answers it with wireAnswer and sends it on the
// returned channel in the order they came. It returns the webhook URL.
func mustRecord(tb testing.TB) (*url.URL, <-chan wireRequest) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	got := make(chan wireRequest, 64)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case got <- readWire(conn):
			case <-stop:
				return
			}
		}
	}()
	tb.Cleanup(func() {
		close(stop)
		ln.Close()
		<-done
	})
	return &url.URL{Scheme: "http", Host: ln.Addr().String(), Path: "/webhook"}, got
}

// readWire reads one request from conn, answers it and reads what else
// comes until the client closes, all within wait.
func readWire(conn net.Conn) (w wireRequest) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))
	br := bufio.NewReader(conn)
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		w.Err = err
		return w
	}
	var ok bool
	if w.Method, w.Target, ok = strings.Cut(line, " "); ok {
		w.Target, w.Proto, ok = strings.Cut(w.Target, " ")
	}
	if !ok {
		w.Err = errors.New("bad request line " + strconv.Quote(line))
		return w
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		w.Err = err
		return w
	}
	w.Header = http.Header(h)

	switch te, cl := w.Header.Get("Transfer-Encoding"), w.Header.Get("Content-Length"); {
	case te == "chunked":
		if w.Body, w.Err = io.ReadAll(httputil.NewChunkedReader(br)); w.Err == nil {
			_, w.Err = tp.ReadMIMEHeader() // the trailer section, empty or not
		}
	case te != "":
		w.Err = errors.New("unknown Transfer-Encoding " + te)
	case cl != "":
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil {
			w.Err = err
			return w
		}
		w.Body, w.Err = io.ReadAll(io.LimitReader(br, n))
		w.Short = int64(len(w.Body)) < n
		w.EndedFirst = w.Short
	default:
		// No framing: the body ends where the stream does. A client that
		// did not close its write side runs into the deadline here.
		w.Body, w.Err = io.ReadAll(br)
		w.EndedFirst = w.Err == nil
	}
	if w.Err != nil {
		return w
	}
	if _, err := io.WriteString(conn, wireAnswer); err != nil {
		w.Err = err
		return w
	}
	// The client closes once it has the answer.
	w.After, w.Err = io.ReadAll(br)
	return w
}

// wireRun runs every scenario against a recording listener and returns
// each one's request, by scenario name.
func wireRun(t *testing.T) map[string]wireRequest {
	t.Helper()
	return wireRunWith(t, func(u *url.URL) check.Config {
		cfg := config(u)
		cfg.MaxBody = wireMaxBody
		return cfg
	})
}

// wireRunWith runs the scenarios of the Config that configure makes for the
// recording listener's URL, and returns each one's request by name.
func wireRunWith(t *testing.T, configure func(*url.URL) check.Config) map[string]wireRequest {
	t.Helper()
	u, got := mustRecord(t)
	report := mustRun(t, configure(u))
	byName := map[string]wireRequest{}
	for _, res := range report.Results {
		if res.Status != http.StatusOK || res.Reason != "recorded" {
			t.Errorf("%s: not answered by the recording listener: %d %q %s", res.Scenario, res.Status, res.Reason, res.Detail)
		}
		select {
		case w := <-got:
			if w.Err != nil {
				t.Errorf("%s: reading the request: %v", res.Scenario, w.Err)
			}
			byName[res.Scenario] = w
		case <-time.After(wait):
			t.Fatalf("%s: the recording listener reported no request", res.Scenario)
		}
	}
	select {
	case w := <-got:
		t.Errorf("one request more than there are scenarios: %s %s", w.Method, w.Header)
	default:
	}
	return byName
}

// mustFixture returns the body of an embedded fixture.
func mustFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	f, ok := fixtures.Lookup(name)
	if !ok {
		tb.Fatalf("no fixture %s", name)
	}
	return f.Body
}

// wireProperty is what a scenario's Sent text claims, checked on the
// request as it was received.
type wireProperty struct {
	name  string
	check func(t *testing.T, w wireRequest, push []byte)
}

// Header names, as the tests spell them.
const (
	hSig256 = "X-Hub-Signature-256"
	hSig1   = "X-Hub-Signature"
	hEvent  = "X-GitHub-Event"
	hCT     = "Content-Type"
	hCL     = "Content-Length"
	hTE     = "Transfer-Encoding"
)

// Checks for the properties, each reporting what differs.
func wantHeader(t *testing.T, w wireRequest, name, want string) {
	t.Helper()
	if got := w.Header.Values(name); len(got) != 1 || got[0] != want {
		t.Errorf("%s: %q, want exactly %q", name, got, want)
	}
}

func wantNoHeader(t *testing.T, w wireRequest, name string) {
	t.Helper()
	if got, ok := w.Header[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		t.Errorf("%s: %q, want none", name, got)
	}
}

func wantBody(t *testing.T, w wireRequest, want []byte) {
	t.Helper()
	if !bytes.Equal(w.Body, want) {
		t.Errorf("body (%d bytes) %.80q, want (%d bytes) %.80q", len(w.Body), w.Body, len(want), want)
	}
}

// wantSigned checks that X-Hub-Signature-256 is the valid one for body,
// and the legacy header is there (valid) or not, as legacy says.
func wantSigned(t *testing.T, w wireRequest, body []byte, legacy bool) {
	t.Helper()
	wantHeader(t, w, hSig256, signature256(testSecret, body))
	if legacy {
		wantHeader(t, w, hSig1, signature1(testSecret, body))
	} else {
		wantNoHeader(t, w, hSig1)
	}
}

// wantDelivery checks a valid JSON push with a Content-Length, signed as
// legacy says.
func wantDelivery(t *testing.T, w wireRequest, push []byte, legacy bool) {
	t.Helper()
	wantHeader(t, w, hEvent, "push")
	wantHeader(t, w, hCT, "application/json")
	wantHeader(t, w, hCL, strconv.Itoa(len(push)))
	wantBody(t, w, push)
	wantSigned(t, w, push, legacy)
}

// lowerHex reports whether s is n lowercase hex digits.
func lowerHex(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789abcdef") == ""
}

// wireProperties returns the property of every scenario, by name.
func wireProperties() []wireProperty {
	return []wireProperty{
		{"valid-json", func(t *testing.T, w wireRequest, push []byte) {
			wantDelivery(t, w, push, false)
		}},
		{"valid-form", func(t *testing.T, w wireRequest, push []byte) {
			form := []byte("payload=" + url.QueryEscape(string(push)))
			wantHeader(t, w, hEvent, "push")
			wantHeader(t, w, hCT, "application/x-www-form-urlencoded")
			wantHeader(t, w, hCL, strconv.Itoa(len(form)))
			wantBody(t, w, form)
			wantSigned(t, w, form, false) // over the form body, not the JSON
			if v, err := url.ParseQuery(string(w.Body)); err != nil || v.Get("payload") != string(push) {
				t.Errorf("the form's payload is not the push fixture (err %v)", err)
			}
		}},
		{"ping", func(t *testing.T, w wireRequest, _ []byte) {
			ping := mustFixture(t, "ping")
			wantHeader(t, w, hEvent, "ping")
			wantHeader(t, w, hCT, "application/json")
			wantBody(t, w, ping)
			wantSigned(t, w, ping, true)
		}},
		{"unknown-event", func(t *testing.T, w wireRequest, push []byte) {
			event := w.Header.Get(hEvent)
			// hooklab's routed events (README) and every fixture's.
			known := []string{"ping", "push", "pull_request", "issues", "issue_comment", "release", "workflow_run",
				"workflow_job", "check_run", "check_suite", "create", "delete", "star", "fork"}
			for _, f := range fixtures.All() {
				known = append(known, f.Event)
			}
			if event == "" || slices.Contains(known, event) {
				t.Errorf("%s %q is not an unknown event", hEvent, event)
			}
			wantBody(t, w, push)
			wantSigned(t, w, push, true)
		}},
		{"both-signatures", func(t *testing.T, w wireRequest, push []byte) {
			wantDelivery(t, w, push, true)
		}},
		{"signature-missing", func(t *testing.T, w wireRequest, push []byte) {
			wantNoHeader(t, w, hSig256)
			wantNoHeader(t, w, hSig1)
			wantHeader(t, w, hEvent, "push")
			wantBody(t, w, push)
		}},
		{"wrong-secret", func(t *testing.T, w wireRequest, push []byte) {
			sig := w.Header.Get(hSig256)
			hexSig, ok := strings.CutPrefix(sig, "sha256=")
			if !ok || !lowerHex(hexSig, 64) {
				t.Errorf("%s %q is not sha256= and 64 hex digits", hSig256, sig)
			}
			if sig == signature256(testSecret, push) {
				t.Errorf("%s is signed with the shared secret", hSig256)
			}
			wantNoHeader(t, w, hSig1)
			wantBody(t, w, push)
		}},
		{"body-changed", func(t *testing.T, w wireRequest, push []byte) {
			changed := append(slices.Clip(push), '\n')
			wantBody(t, w, changed)
			wantHeader(t, w, hCL, strconv.Itoa(len(changed)))
			wantHeader(t, w, hSig256, signature256(testSecret, push)) // verifies for the body before the change
			wantNoHeader(t, w, hSig1)
		}},
		{"signature-no-prefix", func(t *testing.T, w wireRequest, push []byte) {
			sig := w.Header.Get(hSig256)
			if strings.HasPrefix(sig, "sha256=") || !lowerHex(sig, 64) {
				t.Errorf("%s %q is not 64 hex digits without sha256=", hSig256, sig)
			}
			if "sha256="+sig != signature256(testSecret, push) {
				t.Errorf("%s %q is not the valid digest", hSig256, sig)
			}
			wantNoHeader(t, w, hSig1)
			wantBody(t, w, push)
		}},
		{"signature-not-hex", func(t *testing.T, w wireRequest, push []byte) {
			sig := w.Header.Get(hSig256)
			rest, ok := strings.CutPrefix(sig, "sha256=")
			if _, err := hex.DecodeString(rest); !ok || len(rest) != 64 || err == nil {
				t.Errorf("%s %q is not sha256= and 64 characters that are not hex", hSig256, sig)
			}
			wantNoHeader(t, w, hSig1)
			wantBody(t, w, push)
		}},
		{"signature-truncated", func(t *testing.T, w wireRequest, push []byte) {
			sig := w.Header.Get(hSig256)
			rest, ok := strings.CutPrefix(sig, "sha256=")
			if !ok || !lowerHex(rest, 32) {
				t.Errorf("%s %q is not sha256= and 32 hex digits", hSig256, sig)
			}
			if !strings.HasPrefix(signature256(testSecret, push), sig) {
				t.Errorf("%s %q is not the start of the valid signature", hSig256, sig)
			}
			wantNoHeader(t, w, hSig1)
			wantBody(t, w, push)
		}},
		{"signature-empty", func(t *testing.T, w wireRequest, push []byte) {
			wantHeader(t, w, hSig256, "")
			wantNoHeader(t, w, hSig1)
			wantBody(t, w, push)
		}},
		{"sha1-only", func(t *testing.T, w wireRequest, push []byte) {
			wantNoHeader(t, w, hSig256)
			wantHeader(t, w, hSig1, signature1(testSecret, push))
			wantBody(t, w, push)
		}},
		{"length-missing", func(t *testing.T, w wireRequest, push []byte) {
			wantNoHeader(t, w, hCL)
			wantNoHeader(t, w, hTE)
			wantBody(t, w, push)
			if !w.EndedFirst {
				t.Error("the client did not close its write side after the body")
			}
			wantSigned(t, w, push, true)
		}},
		{"chunked", func(t *testing.T, w wireRequest, push []byte) {
			wantHeader(t, w, hTE, "chunked")
			wantNoHeader(t, w, hCL)
			wantBody(t, w, push) // put together from its chunks
			wantSigned(t, w, push, true)
		}},
		{"length-over-body", func(t *testing.T, w wireRequest, push []byte) {
			wantHeader(t, w, hCL, strconv.Itoa(len(push)+100))
			wantBody(t, w, push)
			if !w.Short || !w.EndedFirst {
				t.Error("the stream did not end after the body, short of its Content-Length")
			}
			wantSigned(t, w, push, true)
		}},
		{"length-under-body", func(t *testing.T, w wireRequest, push []byte) {
			wantHeader(t, w, hCL, strconv.Itoa(len(push)-10))
			wantBody(t, w, push[:len(push)-10])
			if !bytes.Equal(w.After, push[len(push)-10:]) {
				t.Errorf("after the declared length came %q, want the body's last 10 bytes %q", w.After, push[len(push)-10:])
			}
			wantSigned(t, w, push, true) // over the whole body
		}},
		{"invalid-json", func(t *testing.T, w wireRequest, _ []byte) {
			if len(w.Body) == 0 || json.Valid(w.Body) {
				t.Errorf("body %q is valid JSON or empty", w.Body)
			}
			wantHeader(t, w, hCT, "application/json")
			wantHeader(t, w, hEvent, "push")
			wantSigned(t, w, w.Body, true)
		}},
		{"empty-body", func(t *testing.T, w wireRequest, _ []byte) {
			wantHeader(t, w, hCL, "0")
			wantBody(t, w, []byte{})
			wantHeader(t, w, hEvent, "push")
			wantSigned(t, w, []byte{}, true)
		}},
		{"event-missing", func(t *testing.T, w wireRequest, push []byte) {
			wantNoHeader(t, w, hEvent)
			wantHeader(t, w, hCT, "application/json")
			wantBody(t, w, push)
			wantSigned(t, w, push, true)
		}},
		{"body-too-large", func(t *testing.T, w wireRequest, _ []byte) {
			wantHeader(t, w, hCL, strconv.Itoa(wireMaxBody+1))
			wantBody(t, w, []byte{})
			if !w.EndedFirst {
				t.Error("the client did not close its write side after the headers")
			}
			if w.Header.Get(hSig256) == "" {
				t.Errorf("no %s: the size must be the only fault", hSig256)
			}
		}},
		{"wrong-method", func(t *testing.T, w wireRequest, _ []byte) {
			if w.Method != http.MethodGet {
				t.Errorf("method %s, want GET", w.Method)
			}
			wantNoHeader(t, w, hCL)
			wantNoHeader(t, w, hTE)
			wantBody(t, w, []byte{})
		}},
		{"wrong-content-type", func(t *testing.T, w wireRequest, push []byte) {
			wantHeader(t, w, hCT, "text/plain")
			wantHeader(t, w, hEvent, "push")
			wantBody(t, w, push)
			wantSigned(t, w, push, true)
		}},
		{"form-without-payload", func(t *testing.T, w wireRequest, _ []byte) {
			wantHeader(t, w, hCT, "application/x-www-form-urlencoded")
			form, err := url.ParseQuery(string(w.Body))
			if err != nil || len(form) == 0 || form.Has("payload") {
				t.Errorf("body %q is not a form without a payload field (err %v)", w.Body, err)
			}
			wantSigned(t, w, w.Body, true)
		}},
		{"still-up", func(t *testing.T, w wireRequest, push []byte) {
			wantDelivery(t, w, push, true)
		}},
	}
}

var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestScenarioRequests(t *testing.T) {
	t.Parallel()
	requests := wireRun(t)
	push := mustFixture(t, "push")

	ids := map[string]string{} // delivery id -> scenario
	for _, name := range check.Names() {
		w, ok := requests[name]
		if !ok {
			continue // reported by wireRun
		}
		id := w.Header.Get("X-GitHub-Delivery")
		if !uuid4.MatchString(id) {
			t.Errorf("%s: X-GitHub-Delivery %q is not a version 4 UUID", name, id)
		}
		if other, dup := ids[id]; dup {
			t.Errorf("%s: X-GitHub-Delivery %s already sent for %s", name, id, other)
		}
		ids[id] = name
	}

	for _, tt := range wireProperties() {
		t.Run(tt.name, func(t *testing.T) {
			w, ok := requests[tt.name]
			if !ok {
				t.Fatalf("no request for scenario %s", tt.name)
			}
			// What every request has, whatever its fault.
			if tt.name != "wrong-method" && w.Method != http.MethodPost {
				t.Errorf("method %s, want POST", w.Method)
			}
			if w.Target != "/webhook" || w.Proto != "HTTP/1.1" {
				t.Errorf("request line %s %s %s, want the webhook path over HTTP/1.1", w.Method, w.Target, w.Proto)
			}
			wantHeader(t, w, "User-Agent", testUserAgent)
			wantHeader(t, w, "X-GitHub-Hook-ID", "1")
			if tt.name != "length-under-body" && len(w.After) != 0 {
				t.Errorf("%d bytes after the body: %.80q", len(w.After), w.After)
			}
			tt.check(t, w, push)
		})
	}
}

// TestEveryScenarioHasARequestTest keeps wireProperties and Scenarios in
// step: a new scenario needs a test of what it sends.
func TestEveryScenarioHasARequestTest(t *testing.T) {
	var tested []string
	for _, p := range wireProperties() {
		tested = append(tested, p.name)
	}
	for _, name := range check.Names() {
		if !slices.Contains(tested, name) {
			t.Errorf("scenario %s has no entry in wireProperties", name)
		}
	}
	for _, name := range tested {
		if !slices.Contains(check.Names(), name) {
			t.Errorf("wireProperties tests %s, which is not a scenario", name)
		}
	}
	if len(tested) != len(check.Names()) {
		t.Errorf("wireProperties has %d entries for %d scenarios", len(tested), len(check.Names()))
	}
}
