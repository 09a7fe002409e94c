package capture

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestHeadParserFraming(t *testing.T) {
	get := "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	post := "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"
	chunked := "POST /c HTTP/1.1\r\nHost: h\r\ntransfer-encoding: Chunked\r\nTrailer: X-T\r\n\r\n"
	tests := []struct {
		name    string
		maxHead int
		stream  string
		heads   []string
		stopped bool
	}{
		{name: "keep-alive", stream: post + "hello" + get, heads: []string{post, get}},
		{name: "body that looks like a head", stream: post + "\r\n\r\n\n" + get, heads: []string{post, get}},
		{
			name:   "chunked with extensions and trailers",
			stream: chunked + "5;ext=1;q=\"a\"\r\nhello\r\nA\r\n0123456789\r\n0;last\r\nX-T: 1\r\nX-U: 2\r\n\r\n" + get,
			heads:  []string{chunked, get},
		},
		{name: "chunked without trailers, bare LF", stream: chunked + "3\nabc\n0\n\n" + get, heads: []string{chunked, get}},
		{name: "bare LF head", stream: "GET /x HTTP/1.1\nHost: h\n\n" + get, heads: []string{"GET /x HTTP/1.1\nHost: h\n\n", get}},
		{name: "empty lines before a request", stream: post + "hello\r\n\r\n" + get, heads: []string{post, get}},
		{name: "HTTP/1.0 ignores Transfer-Encoding", stream: "POST /d HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nok" + get, heads: []string{"POST /d HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n", get}},
		{name: "equal repeated Content-Length", stream: "POST /e HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok" + get, heads: []string{"POST /e HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n", get}},
		{name: "head too long", maxHead: 40, stream: get + "POST /long HTTP/1.1\r\nX-Long: " + strings.Repeat("x", 50) + "\r\n\r\n" + get, heads: []string{get}, stopped: true},
		{name: "head exactly at the limit", maxHead: len(get), stream: get + get, heads: []string{get, get}},
		{name: "bad chunk size", stream: chunked + "zz\r\n" + get, heads: []string{chunked}, stopped: true},
		{name: "chunk size overflow", stream: chunked + "10000000000000000\r\n" + get, heads: []string{chunked}, stopped: true},
		{name: "no CRLF after chunk data", stream: chunked + "1\r\naXY" + get, heads: []string{chunked}, stopped: true},
		{name: "unsupported transfer coding", stream: "POST /f HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n" + get, heads: []string{"POST /f HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"}, stopped: true},
		{name: "differing Content-Length", stream: "POST /g HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n" + get, heads: []string{"POST /g HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}, stopped: true},
		{name: "upgrade", stream: "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n" + get, heads: []string{"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"}, stopped: true},
	}
	feeds := map[string]func(p *headParser, s string){
		"whole": func(p *headParser, s string) { p.feed([]byte(s)) },
		"byte by byte": func(p *headParser, s string) {
			for i := range len(s) {
				p.feed([]byte{s[i]})
			}
		},
	}
	for _, tt := range tests {
		for fname, feed := range feeds {
			t.Run(tt.name+"/"+fname, func(t *testing.T) {
				p := newTestParser(tt.maxHead)
				feed(p, tt.stream)
				checkParser(t, p, tt.heads, tt.stopped)
			})
		}
		t.Run(tt.name+"/every split", func(t *testing.T) {
			for i := 1; i < len(tt.stream); i++ {
				p := newTestParser(tt.maxHead)
				p.feed([]byte(tt.stream[:i]))
				p.feed([]byte(tt.stream[i:]))
				checkParser(t, p, tt.heads, tt.stopped)
				if t.Failed() {
					t.Fatalf("split at %d", i)
				}
			}
		})
	}
}

func newTestParser(maxHead int) *headParser {
	if maxHead == 0 {
		maxHead = 1 << 10
	}
	return &headParser{q: newHeadQueue(maxHead), maxHead: maxHead}
}

func checkParser(t *testing.T, p *headParser, want []string, stopped bool) {
	t.Helper()
	var got []string
	for _, h := range p.q.heads {
		got = append(got, string(h))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("heads = %q, want %q", got, want)
	}
	if (p.state == stDone) != stopped {
		t.Errorf("stopped = %v, want %v (state %d)", p.state == stDone, stopped, p.state)
	}
	if !stopped && p.state != stHead {
		t.Errorf("state %d at the end of the stream, want between requests", p.state)
	}
}

func TestHeadQueueBounded(t *testing.T) {
	p := newTestParser(0)
	for i := range maxQueuedHeads + 5 {
		p.feed(fmt.Appendf(nil, "GET /%d HTTP/1.1\r\n\r\n", i))
	}
	if n := len(p.q.heads); n != maxQueuedHeads {
		t.Fatalf("%d heads queued, want %d", n, maxQueuedHeads)
	}
	if first := string(p.q.heads[0]); !strings.HasPrefix(first, "GET /5 ") {
		t.Errorf("oldest head %q, want GET /5 (the older ones dropped)", first)
	}

	// By bytes: a few large heads.
	p = newTestParser(100 << 10)
	big := "GET /big HTTP/1.1\r\nX-Big: " + strings.Repeat("b", 90<<10) + "\r\n\r\n"
	for range 5 {
		p.feed([]byte(big))
	}
	if p.q.size > p.q.maxBytes || len(p.q.heads) != 2 {
		t.Errorf("%d heads of %d bytes queued, bound %d bytes; want 2", len(p.q.heads), p.q.size, p.q.maxBytes)
	}
}

// wireResult is what the test handler learned about one request.
type wireResult struct {
	request string
	headers []Header
	ok      bool
	body    string
}

// mustServeWire starts an http.Server on a capture Listener and returns
// its address and what its handler saw, one result per request. A request
// with an X-Skip header is answered without claiming its head.
func mustServeWire(tb testing.TB, maxHead int) (string, <-chan wireResult) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	results := make(chan wireResult, 32)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if r.Header.Get("X-Skip") != "" {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			hs, ok := WireHeaders(r)
			results <- wireResult{request: r.Method + " " + r.RequestURI, headers: hs, ok: ok, body: string(body)}
		}),
		ConnContext:       ConnContext,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(NewListener(ln, maxHead))
	tb.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), results
}

func mustDial(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// mustReadResponses reads n responses from br and checks their statuses.
func mustReadResponses(tb testing.TB, br *bufio.Reader, statuses ...int) {
	tb.Helper()
	for _, want := range statuses {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			tb.Fatalf("reading a response: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			tb.Fatalf("status %d, want %d", resp.StatusCode, want)
		}
	}
}

func mustResults(tb testing.TB, results <-chan wireResult, n int) []wireResult {
	tb.Helper()
	var out []wireResult
	for range n {
		select {
		case r := <-results:
			out = append(out, r)
		case <-time.After(10 * time.Second):
			tb.Fatalf("got %d results, want %d", len(out), n)
		}
	}
	return out
}

func TestWireHeadersOverTCP(t *testing.T) {
	sig := "POST /hook?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-hub-signature-256: sha256=abc\r\nX-Dup: one\r\nContent-Length: 4\r\nX-Dup: two\r\ncontent-TYPE: application/json\r\n\r\n{}{}"
	sigHeaders := []Header{{"Host", "127.0.0.1"}, {"x-hub-signature-256", "sha256=abc"}, {"X-Dup", "one"}, {"Content-Length", "4"}, {"X-Dup", "two"}, {"content-TYPE", "application/json"}}
	sig2 := strings.Replace(sig, "sha256=abc", "sha256=def", 1)
	sig2Headers := append([]Header(nil), sigHeaders...)
	sig2Headers[1] = Header{"x-hub-signature-256", "sha256=def"}
	chunked := "POST /chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer\r\nX-Order: 1\r\n\r\n" +
		"4;name=value;flag\r\nabcd\r\n3\r\nefg\r\n0;end=1\r\nX-Trailer: t\r\n\r\n"
	chunkedHeaders := []Header{{"Host", "h"}, {"Transfer-Encoding", "chunked"}, {"Trailer", "X-Trailer"}, {"X-Order", "1"}}
	get := "GET /after HTTP/1.1\r\nHost: h\r\nZ-First: z\r\nA-Second: a\r\n\r\n"
	getHeaders := []Header{{"Host", "h"}, {"Z-First", "z"}, {"A-Second", "a"}}
	skip := "POST /skip HTTP/1.1\r\nHost: h\r\nX-Skip: 1\r\nContent-Length: 2\r\n\r\nno"
	// Same request line as sig2, but not claimed by its handler.
	sigSkip := strings.Replace(sig, "X-Dup: one", "X-Skip: 1\r\nX-Dup: one", 1)

	want := func(request string, hs []Header, body string) wireResult {
		return wireResult{request: request, headers: hs, ok: true, body: body}
	}
	tests := []struct {
		name     string
		maxHead  int
		writes   []string // each written in one Write
		byteWise bool     // write one byte at a time
		statuses []int
		want     []wireResult
	}{
		{
			name:     "two keep-alive requests",
			writes:   []string{sig, sig2},
			statuses: []int{200, 200},
			want:     []wireResult{want("POST /hook?x=1", sigHeaders, "{}{}"), want("POST /hook?x=1", sig2Headers, "{}{}")},
		},
		{
			name:     "chunked then another request",
			writes:   []string{chunked, get},
			statuses: []int{200, 200},
			want:     []wireResult{want("POST /chunked", chunkedHeaders, "abcdefg"), want("GET /after", getHeaders, "")},
		},
		{
			name:     "pipelined in one write",
			writes:   []string{sig + chunked + get},
			statuses: []int{200, 200, 200},
			want: []wireResult{
				want("POST /hook?x=1", sigHeaders, "{}{}"), want("POST /chunked", chunkedHeaders, "abcdefg"),
				want("GET /after", getHeaders, ""),
			},
		},
		{
			name:     "one byte at a time",
			writes:   []string{sig, chunked, get},
			byteWise: true,
			statuses: []int{200, 200, 200},
			want: []wireResult{
				want("POST /hook?x=1", sigHeaders, "{}{}"), want("POST /chunked", chunkedHeaders, "abcdefg"),
				want("GET /after", getHeaders, ""),
			},
		},
		{
			name:     "an unclaimed head is skipped",
			writes:   []string{skip, skip, get},
			statuses: []int{204, 204, 200},
			want:     []wireResult{want("GET /after", getHeaders, "")},
		},
		{
			name:     "an unclaimed head with the same request line is skipped",
			writes:   []string{sigSkip, sig2},
			statuses: []int{204, 200},
			want:     []wireResult{want("POST /hook?x=1", sig2Headers, "{}{}")},
		},
		{
			name:     "a head over the limit stops recording",
			maxHead:  120,
			writes:   []string{get, "GET /long HTTP/1.1\r\nHost: h\r\nX-Long: " + strings.Repeat("l", 200) + "\r\n\r\n", get},
			statuses: []int{200, 200, 200},
			want:     []wireResult{want("GET /after", getHeaders, ""), {request: "GET /long"}, {request: "GET /after"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, results := mustServeWire(t, tt.maxHead)
			c := mustDial(t, addr)
			br := bufio.NewReader(c)
			for _, w := range tt.writes {
				if tt.byteWise {
					for i := range len(w) {
						if _, err := c.Write([]byte{w[i]}); err != nil {
							t.Fatal(err)
						}
					}
				} else if _, err := io.WriteString(c, w); err != nil {
					t.Fatal(err)
				}
				if len(tt.writes) > 1 {
					mustReadResponses(t, br, tt.statuses[0])
					tt.statuses = tt.statuses[1:]
				}
			}
			mustReadResponses(t, br, tt.statuses...)
			got := mustResults(t, results, len(tt.want))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestWireHeadersExpectContinue(t *testing.T) {
	addr, results := mustServeWire(t, 0)
	c := mustDial(t, addr)
	br := bufio.NewReader(c)
	head := "POST /e HTTP/1.1\r\nHost: h\r\nexpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
	io.WriteString(c, head)
	mustReadResponses(t, br, http.StatusContinue)
	io.WriteString(c, "hello")
	mustReadResponses(t, br, http.StatusOK)
	io.WriteString(c, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
	mustReadResponses(t, br, http.StatusOK)

	got := mustResults(t, results, 2)
	want := []wireResult{
		{request: "POST /e", ok: true, body: "hello", headers: []Header{{"Host", "h"}, {"expect", "100-continue"}, {"Content-Length", "5"}}},
		{request: "GET /next", ok: true, headers: []Header{{"Host", "h"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n %+v\nwant\n %+v", got, want)
	}
}

func TestWireHeadersWithoutListener(t *testing.T) {
	r := httptest.NewRequest("POST", "/hook", strings.NewReader("{}"))
	r.Header.Add("X-B", "2")
	r.Header.Add("x-a", "1")
	r.Header.Add("X-A", "0")
	if hs, ok := WireHeaders(r); ok || hs != nil {
		t.Errorf("WireHeaders = %q, %v; want not found", hs, ok)
	}
	want := []Header{{"Host", "example.com"}, {"X-A", "1"}, {"X-A", "0"}, {"X-B", "2"}}
	if got := CanonicalHeaders(r); !reflect.DeepEqual(got, want) {
		t.Errorf("CanonicalHeaders = %q, want %q", got, want)
	}
	hs, order := RequestHeaders(r)
	if order != OrderCanonical || !reflect.DeepEqual(hs, want) {
		t.Errorf("RequestHeaders = %q, %q", hs, order)
	}
	// A context without a queue, as from a plain listener's conn.
	if ctx := ConnContext(context.Background(), nil); ctx != context.Background() {
		t.Error("ConnContext changed the context of a conn not from NewListener")
	}
}

// replayConn serves one request's bytes over and over.
type replayConn struct {
	net.Conn
	data []byte
	off  int
}

func (c *replayConn) Read(b []byte) (int, error) {
	n := copy(b, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

func BenchmarkListenerRead(b *testing.B) {
	body := strings.Repeat("b", 8<<10)
	req := fmt.Sprintf("POST /hook HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: GitHub-Hookshot/abc\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958\r\nX-Hub-Signature-256: sha256=%064d\r\nContent-Length: %d\r\n\r\n%s", 0, len(body), body)
	conns := map[string]func() net.Conn{
		"plain": func() net.Conn { return &replayConn{data: []byte(req)} },
		"wire": func() net.Conn {
			c := &conn{Conn: &replayConn{data: []byte(req)}, q: newHeadQueue(1 << 20)}
			c.p.q, c.p.maxHead = c.q, 1<<20
			return c
		},
	}
	for _, name := range []string{"plain", "wire"} {
		b.Run(name, func(b *testing.B) {
			c := conns[name]()
			buf := make([]byte, 4096) // net/http's read size
			b.SetBytes(int64(len(req)))
			b.ReportAllocs()
			for b.Loop() {
				for n := 0; n < len(req); {
					m, _ := c.Read(buf[:min(len(buf), len(req)-n)])
					n += m
				}
			}
		})
	}
}
