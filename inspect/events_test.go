package inspect

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/capture"
)

// sse is one event, or one comment, of an event stream.
type sse struct{ id, name, data, comment string }

// readEvent returns the next event or comment of br.
func readEvent(tb testing.TB, br *bufio.Reader) sse {
	tb.Helper()
	var ev sse
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			tb.Fatalf("reading the event stream: %v (got so far %+v)", err, ev)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			return ev
		case strings.HasPrefix(line, ":"):
			ev.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "id: "):
			ev.id = line[len("id: "):]
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			if ev.data != "" {
				tb.Fatalf("event with two data lines: %q and %q", ev.data, line)
			}
			ev.data = line[len("data: "):]
		default:
			tb.Fatalf("unexpected line in the event stream: %q", line)
		}
	}
}

// mustOpenEvents opens the event stream of srv at path, and checks it
// begins with ": ok" and hello; it returns the stream and the hello.
func mustOpenEvents(tb testing.TB, srv *httptest.Server, path string, header map[string]string) (*bufio.Reader, *http.Response, sse) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tb.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		tb.Fatalf("GET %s: %d %q, want 200 text/event-stream", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	if ev := readEvent(tb, br); ev != (sse{comment: "ok"}) {
		tb.Fatalf("first %+v, want the comment ok", ev)
	}
	hello := readEvent(tb, br)
	if hello.name != "hello" {
		tb.Fatalf("second %+v, want hello", hello)
	}
	return br, resp, hello
}

// wantDelivery checks that ev is the delivery event of seq.
func wantDelivery(tb testing.TB, ev sse, seq uint64) {
	tb.Helper()
	var m struct {
		Seq    uint64 `json:"seq"`
		Target string `json:"target"`
		Status int    `json:"status"`
	}
	if ev.name != "delivery" || ev.id != strconv.FormatUint(seq, 10) {
		tb.Fatalf("event %+v, want delivery %d", ev, seq)
	}
	if err := json.Unmarshal([]byte(ev.data), &m); err != nil || m.Seq != seq || m.Status != 401 {
		tb.Fatalf("delivery data %s (%v), want the meta of seq %d", ev.data, err, seq)
	}
}

func TestEventsLive(t *testing.T) {
	ring := capture.NewRing(10, 0)
	ring.Add(testRecord(1))
	ring.Add(testRecord(4))
	s := mustServer(t, Config{Ring: ring, Session: Session{Run: "run-1"}})
	srv := mustHTTPServer(t, s)

	br, _, hello := mustOpenEvents(t, srv, "/api/events", nil)
	if hello.data != `{"run":"run-1","last_seq":4}` || hello.id != "" {
		t.Errorf("hello %+v, want run-1 and last_seq 4, no id", hello)
	}
	ring.Add(testRecord(5))
	wantDelivery(t, readEvent(t, br), 5)
	ring.Add(testRecord(6))
	ring.Add(testRecord(7))
	wantDelivery(t, readEvent(t, br), 6)
	wantDelivery(t, readEvent(t, br), 7)
}

func TestEventsResume(t *testing.T) {
	tests := map[string]struct {
		path   string
		header map[string]string
		want   []uint64
	}{
		"last-event-id":      {path: "/api/events", header: map[string]string{"Last-Event-ID": "2"}, want: []uint64{3, 4, 5}},
		"after":              {path: "/api/events?after=3", want: []uint64{4, 5}},
		"after 0":            {path: "/api/events?after=0", want: []uint64{1, 2, 3, 4, 5}},
		"last-event-id wins": {path: "/api/events?after=1", header: map[string]string{"Last-Event-ID": "4"}, want: []uint64{5}},
		"bad last-event-id":  {path: "/api/events?after=3", header: map[string]string{"Last-Event-ID": "x"}, want: []uint64{4, 5}},
		"up to date":         {path: "/api/events", header: map[string]string{"Last-Event-ID": "5"}},
		"from another run":   {path: "/api/events", header: map[string]string{"Last-Event-ID": "900"}},
		"fresh: no backlog":  {path: "/api/events"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ring := capture.NewRing(10, 0)
			for seq := range uint64(5) {
				ring.Add(testRecord(seq + 1))
			}
			s := mustServer(t, Config{Ring: ring})
			srv := mustHTTPServer(t, s)
			br, _, _ := mustOpenEvents(t, srv, tt.path, tt.header)
			for _, seq := range tt.want {
				wantDelivery(t, readEvent(t, br), seq)
			}
			// then live
			ring.Add(testRecord(6))
			wantDelivery(t, readEvent(t, br), 6)
		})
	}
}

func TestEventsBadAfter(t *testing.T) {
	s := mustServer(t, Config{})
	w := serve(t, s, request{target: "/api/events?after=-1", host: testHost})
	if w.Code != http.StatusBadRequest {
		t.Errorf("after=-1: %d %s, want 400", w.Code, w.Body)
	}
}

func TestEventsKeepAlive(t *testing.T) {
	s := mustServer(t, Config{KeepAlive: 10 * time.Millisecond})
	srv := mustHTTPServer(t, s)
	br, _, _ := mustOpenEvents(t, srv, "/api/events", nil)
	for range 2 {
		if ev := readEvent(t, br); ev != (sse{comment: "keep-alive"}) {
			t.Fatalf("%+v, want a keep-alive comment", ev)
		}
	}
}

func TestEventsClose(t *testing.T) {
	s := mustServer(t, Config{})
	srv := mustHTTPServer(t, s)
	br, _, _ := mustOpenEvents(t, srv, "/api/events", nil)
	s.Close()
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after Close: %q, %v; want the stream to end", rest, err)
	}
	s.Close() // twice is fine
	resp, err := srv.Client().Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a stream after Close: %d, want 503", resp.StatusCode)
	}
}

// waitEnded waits for a stream to end, or fails.
func waitEnded(tb testing.TB, ended <-chan struct{}, why string) {
	tb.Helper()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		tb.Fatalf("the stream did not end %s", why)
	}
}

func TestEventsClientLeaves(t *testing.T) {
	s := mustServer(t, Config{})
	ended := make(chan struct{}, 1)
	s.onStreamEnd = func() { ended <- struct{}{} }
	srv := mustHTTPServer(t, s)
	_, resp, _ := mustOpenEvents(t, srv, "/api/events", nil)
	resp.Body.Close()
	waitEnded(t, ended, "when its client went")
	if n := s.streams.Load(); n != 0 {
		t.Errorf("%d streams open, want 0", n)
	}
}

// pipeWriter is a ResponseWriter whose writes block until the test reads
// them: a client that reads only when the test says so.
type pipeWriter struct {
	header http.Header
	w      net.Conn
}

func (p *pipeWriter) Header() http.Header         { return p.header }
func (p *pipeWriter) WriteHeader(int)             {}
func (p *pipeWriter) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipeWriter) Flush()                      {}

func TestEventsSlowClient(t *testing.T) {
	ring := capture.NewRing(50, 0)
	s := mustServer(t, Config{Ring: ring})
	s.eventBuffer = 4
	pr, pw := net.Pipe()
	pr.SetReadDeadline(time.Now().Add(20 * time.Second)) // a hang fails the test
	ctx, leave := context.WithCancel(context.Background())
	defer leave()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/events", nil)
	req.Host = testHost
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		s.ServeHTTP(&pipeWriter{header: http.Header{}, w: pw}, req)
	}()
	br := bufio.NewReader(pr)
	if ev := readEvent(t, br); ev.comment != "ok" {
		t.Fatalf("%+v, want ok", ev)
	}
	if ev := readEvent(t, br); ev.name != "hello" {
		t.Fatalf("%+v, want hello", ev)
	}

	// The client reads nothing now: Ring.Add must not wait for it.
	added := make(chan struct{})
	go func() {
		defer close(added)
		for seq := range uint64(1000) {
			ring.Add(testRecord(seq%50 + 1))
		}
	}()
	select {
	case <-added:
	case <-time.After(10 * time.Second):
		t.Fatal("Ring.Add waited for a client that does not read")
	}

	// It reads again: what it gets is a few deliveries, then a gap (or
	// more, when records were dropped again while it sent the first).
	for i := 0; ; i++ {
		ev := readEvent(t, br)
		if ev.name == "gap" {
			break
		}
		if ev.name != "delivery" || i > 5 {
			t.Fatalf("event %d: %+v, want a few deliveries then a gap", i, ev)
		}
	}
	// Then live again: what was queued is dropped, the page reloads the
	// list, and new deliveries come. A record added while the stream
	// drops its queue is dropped too, and followed by a gap: add another.
	live := false
	for seq := uint64(100); seq < 110 && !live; seq++ {
		ring.Add(testRecord(seq))
		for {
			ev := readEvent(t, br)
			if ev.name == "gap" {
				break
			}
			if ev.id == strconv.FormatUint(seq, 10) {
				wantDelivery(t, ev, seq)
				live = true
				break
			}
			if ev.name != "delivery" {
				t.Fatalf("%+v, want delivery %d or a gap", ev, seq)
			}
		}
	}
	if !live {
		t.Fatal("no delivery came after the gap")
	}

	// The client goes.
	leave()
	pr.Close()
	waitEnded(t, ended, "when its client went")
	if n := s.streams.Load(); n != 0 {
		t.Errorf("%d streams open, want 0", n)
	}
}

// TestEventsStalledClient: a client that keeps its connection but stops
// reading is dropped once a write takes longer than writeTimeout.
func TestEventsStalledClient(t *testing.T) {
	ring := capture.NewRing(4, 0)
	s := mustServer(t, Config{Ring: ring})
	s.writeTimeout = 200 * time.Millisecond
	ended := make(chan struct{}, 1)
	s.onStreamEnd = func() { ended <- struct{}{} }
	srv := mustHTTPServer(t, s)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/events HTTP/1.1\r\nHost: %s\r\n\r\n", srv.Listener.Addr())
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "event: hello") {
			break
		}
	}
	// Now it reads nothing more. Big events fill the socket's buffers.
	big := testRecord(1)
	big.Target = "/" + strings.Repeat("a", 256<<10)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case <-ended:
			return
		case <-deadline:
			t.Fatal("the stream of a client that stopped reading did not end")
		case <-time.After(time.Millisecond):
			ring.Add(big)
		}
	}
}

func TestEventsNoDuplicates(t *testing.T) {
	// A record added between a stream's subscription and its snapshot of
	// the ring is in both, and is sent once.
	ring := capture.NewRing(10, 0)
	ring.Add(testRecord(1))
	s := mustServer(t, Config{Ring: ring})
	s.afterSubscribe = func() { ring.Add(testRecord(2)) }
	srv := mustHTTPServer(t, s)
	br, _, hello := mustOpenEvents(t, srv, "/api/events?after=0", nil)
	if hello.data != `{"run":"","last_seq":2}` {
		t.Errorf("hello %s, want last_seq 2", hello.data)
	}
	wantDelivery(t, readEvent(t, br), 1)
	wantDelivery(t, readEvent(t, br), 2)
	ring.Add(testRecord(3))
	wantDelivery(t, readEvent(t, br), 3)
}

// mustHTTPServer serves s until the test ends; s closes first, which ends
// its streams, so that srv.Close does not wait for them.
func mustHTTPServer(tb testing.TB, s *Server) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(s)
	tb.Cleanup(func() {
		s.Close()
		srv.Close()
	})
	return srv
}
