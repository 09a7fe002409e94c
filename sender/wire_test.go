package sender_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hooklab/hooklab/internal/golden"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// waitLimit bounds every wait in these tests, so that a fake server or a
// client that never finishes fails a test instead of hanging it. Nothing
// asserts on how long anything took.
const waitLimit = 5 * time.Second

// okAnswer is the recording server's usual answer.
const okAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// mustListen listens on a free loopback port.
func mustListen(tb testing.TB) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln
}

// mustReceive takes one value from ch, or fails the test after waitLimit.
func mustReceive[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		tb.Fatalf("no %s within %v", what, waitLimit)
		var zero T
		return zero
	}
}

// afterRequest is what a recorder does once it has the request.
type afterRequest int

const (
	// answerThenDrain writes the answer, then reads until the client
	// closes the connection.
	answerThenDrain afterRequest = iota
	// hangUp closes the connection without answering.
	hangUp
	// stayMute never answers and reads until the client gives up.
	stayMute
)

// recording is what a recorder received on its one connection.
type recording struct {
	// raw is every byte the client sent, until it closed the connection.
	raw []byte
	// eofBeforeAnswer says the client closed its write side before the
	// recorder answered: it read end of stream right after the request.
	eofBeforeAnswer bool
	// err is a failure of the recorder itself.
	err error
}

// recorder is a fake receiver on 127.0.0.1:0 that takes one connection and
// reads what the client sends until it has a complete request (by its
// Content-Length or last chunk) or the client closes its write side. It
// then does what its afterRequest says, and sends what it received on got.
// It asserts nothing: the test does, on its own goroutine.
type recorder struct {
	addr      string
	requested chan struct{} // closed once the request is complete
	got       chan recording
}

func startRecorder(tb testing.TB, answer string, after afterRequest) *recorder {
	tb.Helper()
	ln := mustListen(tb)
	tb.Cleanup(func() { ln.Close() })
	r := &recorder{addr: ln.Addr().String(), requested: make(chan struct{}), got: make(chan recording, 1)}
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			r.got <- recording{err: err}
			return
		}
		defer conn.Close()
		var rec recording
		buf := make([]byte, 32<<10)
		for !requestComplete(rec.raw) {
			n, err := conn.Read(buf)
			rec.raw = append(rec.raw, buf[:n]...)
			if errors.Is(err, io.EOF) {
				rec.eofBeforeAnswer = true
				break
			}
			if err != nil {
				rec.err = err
				r.got <- rec
				return
			}
		}
		close(r.requested)
		switch after {
		case hangUp:
			r.got <- rec
			return
		case answerThenDrain:
			if _, err := io.WriteString(conn, answer); err != nil {
				rec.err = err
			}
		}
		rest, err := io.ReadAll(conn)
		rec.raw = append(rec.raw, rest...)
		if err != nil && rec.err == nil {
			rec.err = err
		}
		r.got <- rec
	}()
	return r
}

// requestComplete reports whether b holds a whole request by its own
// framing. Without a Content-Length or chunking the body ends only where
// the client closes its write side.
func requestComplete(b []byte) bool {
	head, body, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		return false
	}
	for _, line := range strings.Split(string(head), "\r\n")[1:] {
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch {
		case strings.EqualFold(name, "Content-Length"):
			n, err := strconv.Atoi(value)
			return err == nil && len(body) >= n
		case strings.EqualFold(name, "Transfer-Encoding") && value == "chunked":
			return bytes.HasSuffix(body, []byte("0\r\n\r\n"))
		}
	}
	return false
}

// spyConn is a client connection that remembers whether the client closed
// its write side.
type spyConn struct {
	*net.TCPConn
	closedWrite atomic.Bool
}

func (c *spyConn) CloseWrite() error {
	c.closedWrite.Store(true)
	return c.TCPConn.CloseWrite()
}

// spyClient returns a Client that dials addr whatever the request's URL
// says, so that the Host header can be fixed, and the spy on its connection
// and the address it was asked for, both set once Do dialled.
func spyClient(addr string) (client *sender.Client, spy **spyConn, asked *string) {
	spy, asked = new(*spyConn), new(string)
	client = &sender.Client{
		Timeout: waitLimit,
		Dial: func(ctx context.Context, network, a string) (net.Conn, error) {
			*asked = a
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			*spy = &spyConn{TCPConn: conn.(*net.TCPConn)}
			return *spy, nil
		},
	}
	return client, spy, asked
}

// headerValues returns the values of name in raw's header block, in order.
func headerValues(raw []byte, name string) []string {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	var values []string
	for _, line := range strings.Split(string(head), "\r\n")[1:] {
		n, v, _ := strings.Cut(line, ": ")
		if strings.EqualFold(n, name) {
			values = append(values, v)
		}
	}
	return values
}

// TestWireBytes pins the exact bytes of each kind of request: request line,
// Host, header order, signatures, framing and body, and whether the client
// half-closed the connection after the body.
func TestWireBytes(t *testing.T) {
	body := []byte(testPayload)
	tests := []struct {
		name        string
		file        string
		length      sender.Length
		contentType sender.ContentType
		extra       []sender.Field
		// wantHalfClose: the client closes its write side right after the
		// body, since the receiver could not otherwise tell where it ends.
		wantHalfClose bool
	}{
		{name: "auto", file: "wire-auto.golden"},
		{name: "chunked", file: "wire-chunked.golden", length: sender.Length{Mode: sender.LengthChunked}},
		{name: "missing", file: "wire-missing.golden", length: sender.Length{Mode: sender.LengthMissing}, wantHalfClose: true},
		{name: "declared above the body", file: "wire-declared-above.golden", length: sender.Length{Mode: sender.LengthDeclared, N: int64(len(body)) + 100}, wantHalfClose: true},
		{name: "declared below the body", file: "wire-declared-below.golden", length: sender.Length{Mode: sender.LengthDeclared, N: 10}},
		{name: "declared zero", file: "wire-declared-zero.golden", length: sender.Length{Mode: sender.LengthDeclared, N: 0}},
		{name: "form", file: "wire-form.golden", contentType: sender.ContentForm},
		{name: "extra headers", file: "wire-extra.golden", extra: []sender.Field{{Name: "X-GitHub-Event", Value: "push"}, {Name: "X-Trace", Value: "t-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDelivery(t)
			d.Length, d.Extra = tt.length, tt.extra
			if tt.contentType != "" {
				d.ContentType = tt.contentType
			}
			rec := startRecorder(t, okAnswer, answerThenDrain)
			client, spy, asked := spyClient(rec.addr)

			resp, err := client.Do(context.Background(), mustRequest(t, d))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Status != http.StatusOK || string(resp.Body) != "ok" || resp.Proto != "HTTP/1.1" {
				t.Errorf("answer = %d %s %q, want 200 HTTP/1.1 \"ok\"", resp.Status, resp.Proto, resp.Body)
			}
			got := mustReceive(t, rec.got, "recording")
			if got.err != nil {
				t.Fatalf("recorder: %v", got.err)
			}
			golden.Check(t, tt.file, got.raw)

			if *asked != "hooks.example.test:8080" {
				t.Errorf("dialled %q, want the URL's host and port", *asked)
			}
			if got.eofBeforeAnswer != tt.wantHalfClose {
				t.Errorf("the server read end of stream before answering: %v, want %v", got.eofBeforeAnswer, tt.wantHalfClose)
			}
			if c := (*spy).closedWrite.Load(); c != tt.wantHalfClose {
				t.Errorf("the client closed its write side: %v, want %v", c, tt.wantHalfClose)
			}

			// Independent of the golden file: the signatures by crypto/hmac,
			// the length headers and the body.
			sent := d.Body()
			if v := headerValues(got.raw, signing.GitHubSignatureHeader); !slices.Equal(v, []string{"sha256=" + hmacHex(testSecret, sent, true)}) {
				t.Errorf("%s = %q, want one HMAC-SHA256 of the body", signing.GitHubSignatureHeader, v)
			}
			if v := headerValues(got.raw, signing.GitHubLegacySignatureHeader); !slices.Equal(v, []string{"sha1=" + hmacHex(testSecret, sent, false)}) {
				t.Errorf("%s = %q, want one HMAC-SHA1 of the body", signing.GitHubLegacySignatureHeader, v)
			}
			var wantCL, wantTE []string
			switch tt.length.Mode {
			case sender.LengthAuto:
				wantCL = []string{strconv.Itoa(len(sent))}
			case sender.LengthDeclared:
				wantCL = []string{strconv.FormatInt(tt.length.N, 10)}
			case sender.LengthChunked:
				wantTE = []string{"chunked"}
			}
			if v := headerValues(got.raw, "Content-Length"); !slices.Equal(v, wantCL) {
				t.Errorf("Content-Length = %q, want %q", v, wantCL)
			}
			if v := headerValues(got.raw, "Transfer-Encoding"); !slices.Equal(v, wantTE) {
				t.Errorf("Transfer-Encoding = %q, want %q", v, wantTE)
			}
			_, onWire, _ := bytes.Cut(got.raw, []byte("\r\n\r\n"))
			if tt.length.Mode == sender.LengthChunked {
				onWire, err = io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(onWire)))
				if err != nil {
					t.Fatalf("chunked body: %v", err)
				}
			}
			if !bytes.Equal(onWire, sent) {
				t.Errorf("body on the wire = %q, want %q", onWire, sent)
			}
		})
	}
}

// TestDoSkipsInterimAnswers checks that 1xx answers before the final one are
// read past, not returned.
func TestDoSkipsInterimAnswers(t *testing.T) {
	tests := []struct {
		name       string
		answer     string
		wantStatus int
		wantBody   string
	}{
		{
			name:       "100 Continue then 200",
			answer:     "HTTP/1.1 100 Continue\r\n\r\n" + okAnswer,
			wantStatus: http.StatusOK, wantBody: "ok",
		},
		{
			name:       "103 Early Hints and 100 Continue then 401",
			answer:     "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nContent-Length: 6\r\n\r\ndenied",
			wantStatus: http.StatusUnauthorized, wantBody: "denied",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := startRecorder(t, tt.answer, answerThenDrain)
			req := mustRequest(t, testDelivery(t))
			req.URL = mustURL(t, "http://"+rec.addr+"/webhook")
			resp, err := (&sender.Client{Timeout: waitLimit}).Do(context.Background(), req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Status != tt.wantStatus || string(resp.Body) != tt.wantBody {
				t.Errorf("answer = %d %q, want %d %q", resp.Status, resp.Body, tt.wantStatus, tt.wantBody)
			}
			if got := mustReceive(t, rec.got, "recording"); got.err != nil {
				t.Errorf("recorder: %v", got.err)
			}
		})
	}
}

func TestParseLength(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		want       sender.Length
		wantString string
		wantErr    bool
	}{
		{name: "auto", in: "auto", want: sender.Length{Mode: sender.LengthAuto}, wantString: "auto"},
		{name: "empty is auto", in: "", want: sender.Length{Mode: sender.LengthAuto}, wantString: "auto"},
		{name: "missing", in: "missing", want: sender.Length{Mode: sender.LengthMissing}, wantString: "missing"},
		{name: "chunked", in: "chunked", want: sender.Length{Mode: sender.LengthChunked}, wantString: "chunked"},
		{name: "zero", in: "0", want: sender.Length{Mode: sender.LengthDeclared, N: 0}, wantString: "0"},
		{name: "number", in: "42", want: sender.Length{Mode: sender.LengthDeclared, N: 42}, wantString: "42"},
		{name: "negative", in: "-1", wantErr: true},
		{name: "word", in: "abc", wantErr: true},
		{name: "fraction", in: "1.5", wantErr: true},
		{name: "upper case", in: "AUTO", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sender.ParseLength(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseLength(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), strconv.Quote(tt.in)) {
					t.Errorf("error %q does not quote the bad value", err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("ParseLength(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.wantString {
				t.Errorf("String() = %q, want %q", s, tt.wantString)
			}
			if back, err := sender.ParseLength(got.String()); err != nil || back != got {
				t.Errorf("ParseLength(String()) = %+v, %v; want %+v", back, err, got)
			}
		})
	}
}

func TestRequestHeaderFields(t *testing.T) {
	base := func() []sender.Field {
		return []sender.Field{
			{Name: "User-Agent", Value: "hooklab/test"},
			{Name: "X-Trace", Value: "a"},
			{Name: "Content-Type", Value: "application/json"},
			{Name: "x-trace", Value: "b"},
		}
	}
	tests := []struct {
		name    string
		edit    func(r *sender.Request)
		want    []sender.Field
		getName string
		wantGet string
	}{
		{
			name: "set replaces the first in place, spelling too, and drops the others",
			edit: func(r *sender.Request) { r.Set("X-TRACE", "c") },
			want: []sender.Field{
				{Name: "User-Agent", Value: "hooklab/test"},
				{Name: "X-TRACE", Value: "c"},
				{Name: "Content-Type", Value: "application/json"},
			},
			getName: "x-trace", wantGet: "c",
		},
		{
			name:    "set appends a new name",
			edit:    func(r *sender.Request) { r.Set("X-GitHub-Event", "ping") },
			want:    append(base(), sender.Field{Name: "X-GitHub-Event", Value: "ping"}),
			getName: "x-github-event", wantGet: "ping",
		},
		{
			name:    "get returns the first",
			edit:    func(*sender.Request) {},
			want:    base(),
			getName: "X-TRACE", wantGet: "a",
		},
		{
			name: "del removes every one",
			edit: func(r *sender.Request) { r.Del("x-Trace") },
			want: []sender.Field{
				{Name: "User-Agent", Value: "hooklab/test"},
				{Name: "Content-Type", Value: "application/json"},
			},
			getName: "X-Trace", wantGet: "",
		},
		{
			name:    "del of an absent name changes nothing",
			edit:    func(r *sender.Request) { r.Del("Authorization") },
			want:    base(),
			getName: "Authorization", wantGet: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &sender.Request{Header: base()}
			tt.edit(r)
			if !slices.Equal(r.Header, tt.want) {
				t.Errorf("Header =\n%q\nwant\n%q", r.Header, tt.want)
			}
			if got := r.Get(tt.getName); got != tt.wantGet {
				t.Errorf("Get(%q) = %q, want %q", tt.getName, got, tt.wantGet)
			}
		})
	}

	t.Run("set on no headers", func(t *testing.T) {
		var r sender.Request
		r.Set("X-A", "1")
		if want := []sender.Field{{Name: "X-A", Value: "1"}}; !slices.Equal(r.Header, want) {
			t.Errorf("Header = %q, want %q", r.Header, want)
		}
	})
}

func TestRequestWriteTo(t *testing.T) {
	tests := []struct {
		name string
		req  sender.Request
		want string
	}{
		{
			name: "POST by default, path and query, Host without a default port",
			req: sender.Request{
				URL:    mustURL(t, "http://hooks.example.test/a/b?x=1&y=%20"),
				Header: []sender.Field{{Name: "X-B", Value: "2"}, {Name: "X-A", Value: "1"}},
				Body:   []byte("hi"),
			},
			want: "POST /a/b?x=1&y=%20 HTTP/1.1\r\nHost: hooks.example.test\r\nX-B: 2\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nhi",
		},
		{
			name: "other method, root path, port kept",
			req:  sender.Request{Method: http.MethodPut, URL: mustURL(t, "https://hooks.example.test:8443")},
			want: "PUT / HTTP/1.1\r\nHost: hooks.example.test:8443\r\nContent-Length: 0\r\n\r\n",
		},
		{
			name: "chunked empty body is the last chunk alone",
			req:  sender.Request{URL: mustURL(t, "http://h/"), Length: sender.Length{Mode: sender.LengthChunked}},
			want: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		},
		{
			name: "chunked body is one chunk in hex",
			req:  sender.Request{URL: mustURL(t, "http://h/"), Body: bytes.Repeat([]byte("x"), 26), Length: sender.Length{Mode: sender.LengthChunked}},
			want: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n" + strings.Repeat("x", 26) + "\r\n0\r\n\r\n",
		},
		{
			name: "missing sends no length at all",
			req:  sender.Request{URL: mustURL(t, "http://h/"), Body: []byte("{}"), Length: sender.Length{Mode: sender.LengthMissing}},
			want: "POST / HTTP/1.1\r\nHost: h\r\n\r\n{}",
		},
		{
			name: "declared length whatever the body",
			req:  sender.Request{URL: mustURL(t, "http://h/"), Body: []byte("{}"), Length: sender.Length{Mode: sender.LengthDeclared, N: 99}},
			want: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99\r\n\r\n{}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := tt.req.WriteTo(&buf)
			if err != nil {
				t.Fatalf("WriteTo: %v", err)
			}
			if buf.String() != tt.want {
				t.Errorf("wrote\n%q\nwant\n%q", buf.String(), tt.want)
			}
			if n != int64(buf.Len()) {
				t.Errorf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
			}
		})
	}
}

// failingWriter accepts limit bytes and then fails.
type failingWriter struct{ limit int }

var errWriteFailed = errors.New("write failed")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, errWriteFailed
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestRequestWriteToReportsWriteErrors(t *testing.T) {
	req := sender.Request{URL: mustURL(t, "http://h/"), Body: bytes.Repeat([]byte("x"), 10000)}
	n, err := req.WriteTo(&failingWriter{limit: 5000})
	if !errors.Is(err, errWriteFailed) {
		t.Errorf("WriteTo error = %v, want the writer's", err)
	}
	if n != 5000 {
		t.Errorf("WriteTo = %d, want the 5000 bytes written", n)
	}
}

// FuzzRequestWriteTo checks that what WriteTo writes parses back as an
// HTTP/1.1 request with the body that was given, framed as its Length says.
func FuzzRequestWriteTo(f *testing.F) {
	f.Add([]byte(testPayload), uint8(0), uint16(0))
	f.Add([]byte(""), uint8(0), uint16(0))
	f.Add([]byte("payload=%7B%7D"), uint8(1), uint16(0))
	f.Add([]byte("0\r\n\r\n"), uint8(2), uint16(0))
	f.Add([]byte("\x00\xff\r\n\r\nGET / HTTP/1.1\r\n"), uint8(2), uint16(0))
	f.Add([]byte(testPayload), uint8(3), uint16(10))
	f.Add([]byte(testPayload), uint8(3), uint16(1000))
	f.Add(bytes.Repeat([]byte("ab"), 5000), uint8(2), uint16(0))
	modes := []sender.LengthMode{sender.LengthAuto, sender.LengthMissing, sender.LengthChunked, sender.LengthDeclared}
	u := mustURL(f, "http://hooks.example.test:8080/webhook?x=1")
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, n uint16) {
		length := sender.Length{Mode: modes[int(mode)%len(modes)], N: int64(n)}
		req := &sender.Request{
			URL:    u,
			Header: []sender.Field{{Name: "Content-Type", Value: "application/json"}},
			Body:   body,
			Length: length,
		}
		var buf bytes.Buffer
		written, err := req.WriteTo(&buf)
		if err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
		if written != int64(buf.Len()) {
			t.Fatalf("WriteTo returned %d, wrote %d bytes", written, buf.Len())
		}
		br := bufio.NewReader(&buf)
		got, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("http.ReadRequest: %v", err)
		}
		if got.Method != http.MethodPost || got.Host != u.Host || got.RequestURI != u.RequestURI() {
			t.Errorf("request = %s %s Host %s, want POST %s Host %s", got.Method, got.RequestURI, got.Host, u.RequestURI(), u.Host)
		}
		readBody, bodyErr := io.ReadAll(got.Body)
		rest, _ := io.ReadAll(br)

		// What the body reads as, and what is left after it.
		wantBody, wantRest, wantErr := body, []byte{}, error(nil)
		switch length.Mode {
		case sender.LengthMissing:
			// No framing: to HTTP the body is empty and the bytes follow.
			wantBody, wantRest = []byte{}, body
		case sender.LengthDeclared:
			if length.N <= int64(len(body)) {
				wantBody, wantRest = body[:length.N], body[length.N:]
			} else {
				wantErr = io.ErrUnexpectedEOF
			}
		}
		if !errors.Is(bodyErr, wantErr) || (wantErr == nil) != (bodyErr == nil) {
			t.Fatalf("reading the body: %v, want %v", bodyErr, wantErr)
		}
		if !bytes.Equal(readBody, wantBody) {
			t.Errorf("body = %q, want %q", readBody, wantBody)
		}
		if !bytes.Equal(rest, wantRest) {
			t.Errorf("after the request: %q, want %q", rest, wantRest)
		}
	})
}
