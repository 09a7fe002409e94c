package sender_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// loadServer is an httptest server that counts the connections opened to
// it and the requests in flight at once.
type loadServer struct {
	*httptest.Server
	conns       atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
}

// startLoadServer serves handler on 127.0.0.1:0 until the test ends.
func startLoadServer(tb testing.TB, handler http.HandlerFunc) *loadServer {
	tb.Helper()
	s := &loadServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		for m := s.maxInFlight.Load(); n > m && !s.maxInFlight.CompareAndSwap(m, n); m = s.maxInFlight.Load() {
		}
		handler(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	tb.Cleanup(s.Close)
	return s
}

// waitForClient never answers: it returns when the client goes away. The
// server notices that only once the body has been read.
func waitForClient(_ http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

// webhookURL is the server's /webhook URL.
func (s *loadServer) webhookURL() string { return s.URL + "/webhook" }

// signedBuild returns a LoadConfig.Build that makes testDelivery to target
// afresh for each request: a delivery id of its own, signed now.
func signedBuild(tb testing.TB, target string) func(int) (*sender.Request, error) {
	tb.Helper()
	d := testDelivery(tb)
	d.URL = mustURL(tb, target)
	return func(int) (*sender.Request, error) {
		d := d
		id, err := sender.NewID(rand.Reader)
		if err != nil {
			return nil, err
		}
		d.ID, d.Time = id, time.Now()
		return d.Request()
	}
}

// mustRunLoad runs cfg under a context that failsafe bounds.
func mustRunLoad(tb testing.TB, cfg sender.LoadConfig) *sender.LoadReport {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 4*waitLimit)
	defer cancel()
	rep, err := sender.RunLoad(ctx, cfg)
	if err != nil {
		tb.Fatalf("RunLoad: %v", err)
	}
	if rep.Interrupted {
		tb.Fatalf("RunLoad was interrupted: %+v", rep)
	}
	return rep
}

// TestRunLoadSignsEachRequestOverKeptConnections sends 200 requests, 4 at a
// time: each is signed right and has a delivery id of its own, and they
// share 4 connections.
func TestRunLoadSignsEachRequestOverKeptConnections(t *testing.T) {
	scheme, err := signing.NewGitHub(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	const count, concurrency = 200, 4
	type seen struct {
		id  string
		err error
	}
	seenCh := make(chan seen, count)
	s := startLoadServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = signing.Verify(scheme, r.Header, body, time.Now())
		}
		seenCh <- seen{r.Header.Get(sender.HeaderDelivery), err}
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	build := signedBuild(t, s.webhookURL())
	first, err := build(0)
	if err != nil {
		t.Fatal(err)
	}

	rep := mustRunLoad(t, sender.LoadConfig{Count: count, Concurrency: concurrency, Build: build})
	close(seenCh)
	ids := map[string]bool{}
	for s := range seenCh {
		if s.err != nil {
			t.Errorf("delivery %s: %v", s.id, s.err)
		}
		if ids[s.id] {
			t.Errorf("delivery id %s came twice", s.id)
		}
		ids[s.id] = true
	}
	if len(ids) != count {
		t.Errorf("the server saw %d delivery ids, want %d", len(ids), count)
	}
	if rep.Sent != count || rep.Answered != count || rep.Failed != 0 || rep.Errors.Total() != 0 {
		t.Errorf("sent %d, answered %d, failed %d (%+v), want %d, %d, 0", rep.Sent, rep.Answered, rep.Failed, rep.Errors, count, count)
	}
	if want := map[int]int{200: count}; !maps.Equal(rep.Statuses, want) {
		t.Errorf("statuses %v, want %v", rep.Statuses, want)
	}
	if want := int64(count * len(first.Body)); rep.BodyBytes != want {
		t.Errorf("body bytes %d, want %d", rep.BodyBytes, want)
	}
	if n := s.conns.Load(); n < 1 || n > concurrency {
		t.Errorf("%d connections were opened, want 1 to %d: connections are not kept alive", n, concurrency)
	}
	if n := s.maxInFlight.Load(); n > concurrency {
		t.Errorf("%d requests were in flight at once, want at most %d", n, concurrency)
	}
	l := rep.Latency
	if l.Max <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.Max {
		t.Errorf("latency %+v: want 0 < max and p50 <= p90 <= p99 <= max", l)
	}
}

// TestRunLoadStatuses counts the answers of a server that alternates 200
// and 401, and keeps each status's reason. The clock moves 1ms a reading,
// so that each latency is exactly 1ms.
func TestRunLoadStatuses(t *testing.T) {
	var n atomic.Int64
	s := startLoadServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"status":401,"reason":"signature_mismatch","message":"the body or the secret differs"}`)
			return
		}
		fmt.Fprint(w, "accepted\nand more")
	})
	var mu sync.Mutex
	clock := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Millisecond)
		return clock
	}

	const count = 10
	// One at a time, so that each request's two readings of the clock
	// follow each other.
	rep := mustRunLoad(t, sender.LoadConfig{Count: count, Concurrency: 1, Build: signedBuild(t, s.webhookURL()), Now: now})
	if want := map[int]int{200: count / 2, 401: count / 2}; !maps.Equal(rep.Statuses, want) {
		t.Errorf("statuses %v, want %v", rep.Statuses, want)
	}
	wantReasons := map[int]string{200: "accepted", 401: "signature_mismatch: the body or the secret differs"}
	if !maps.Equal(rep.Reasons, wantReasons) {
		t.Errorf("reasons %v, want %v", rep.Reasons, wantReasons)
	}
	ms := time.Millisecond
	if want := (sender.Latency{P50: ms, P90: ms, P99: ms, Max: ms}); rep.Latency != want {
		t.Errorf("latency %+v, want %+v", rep.Latency, want)
	}
	if rep.Elapsed < count*ms {
		t.Errorf("elapsed %s by the injected clock, want at least %s", rep.Elapsed, count*ms)
	}
	if got, want := rep.RequestsPerSecond(), float64(count)/rep.Elapsed.Seconds(); got != want {
		t.Errorf("%g requests per second, want %g", got, want)
	}
}

// TestRunLoadRate: 10 requests at 50 a second take at least 9 intervals of
// 20ms. Only the lower bound is checked, which a timer cannot undercut.
// Progress comes as the run goes and once at the end with the totals.
func TestRunLoadRate(t *testing.T) {
	s := startLoadServer(t, func(http.ResponseWriter, *http.Request) {})
	const count, rate = 10, 50
	var (
		calls   atomic.Int64
		running atomic.Bool
		overlap atomic.Bool
		last    atomic.Pointer[sender.LoadStats]
	)
	progress := func(st sender.LoadStats) {
		if running.Swap(true) {
			overlap.Store(true)
		}
		calls.Add(1)
		last.Store(&st)
		running.Store(false)
	}
	start := time.Now()
	rep := mustRunLoad(t, sender.LoadConfig{
		Count: count, Concurrency: 4, Rate: rate, Build: signedBuild(t, s.webhookURL()), Progress: progress,
	})
	elapsed := time.Since(start)
	minimum := (count - 1) * time.Second / rate
	if elapsed < minimum || rep.Elapsed < minimum {
		t.Errorf("%d requests at %d/s took %s (reported %s), want at least %s", count, rate, elapsed, rep.Elapsed, minimum)
	}
	if rep.Answered != count {
		t.Errorf("answered %d, want %d", rep.Answered, count)
	}
	if calls.Load() < 1 || overlap.Load() {
		t.Errorf("progress was called %d times, overlapping: %v; want at least once, one call at a time", calls.Load(), overlap.Load())
	}
	if got := last.Load(); got == nil || *got != rep.LoadStats {
		t.Errorf("the last progress was %+v, want the report's %+v", got, rep.LoadStats)
	}
}

// TestRunLoadDuration runs until Duration, with no count.
func TestRunLoadDuration(t *testing.T) {
	s := startLoadServer(t, func(http.ResponseWriter, *http.Request) {})
	const duration = 100 * time.Millisecond
	rep := mustRunLoad(t, sender.LoadConfig{Duration: duration, Concurrency: 2, Rate: 200, Build: signedBuild(t, s.webhookURL())})
	if rep.Sent < 1 || rep.Answered != rep.Sent || rep.Failed != 0 {
		t.Errorf("sent %d, answered %d, failed %d: want at least one, all answered", rep.Sent, rep.Answered, rep.Failed)
	}
	if rep.Elapsed < duration {
		t.Errorf("elapsed %s, want at least the duration %s", rep.Elapsed, duration)
	}
}

// TestRunLoadCancel cancels a run while every worker waits on an answer
// that never comes: the report covers the answered requests and counts the
// abandoned ones as neither answers nor errors.
func TestRunLoadCancel(t *testing.T) {
	const answered, concurrency = 5, 4
	var n atomic.Int64
	stuck := make(chan struct{}, 100)
	s := startLoadServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= answered {
			return
		}
		stuck <- struct{}{}
		waitForClient(w, r)
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type result struct {
		rep *sender.LoadReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := sender.RunLoad(ctx, sender.LoadConfig{Count: 100, Concurrency: concurrency, Build: signedBuild(t, s.webhookURL())})
		done <- result{rep, err}
	}()
	// With every worker stuck, the first requests are all answered.
	for range concurrency {
		mustReceive(t, stuck, "stuck request")
	}
	cancel()
	got := mustReceive(t, done, "report")
	if got.err != nil {
		t.Fatalf("RunLoad: %v", got.err)
	}
	rep := got.rep
	if !rep.Interrupted || rep.Sent != answered+concurrency || rep.Answered != answered || rep.Failed != 0 {
		t.Errorf("interrupted %v, sent %d, answered %d, failed %d; want true, %d, %d, 0",
			rep.Interrupted, rep.Sent, rep.Answered, rep.Failed, answered+concurrency, answered)
	}
	if want := map[int]int{200: answered}; !maps.Equal(rep.Statuses, want) {
		t.Errorf("statuses %v, want %v", rep.Statuses, want)
	}
}

// TestRunLoadErrors counts the requests that got no answer, by kind.
func TestRunLoadErrors(t *testing.T) {
	refusedURL := func(tb testing.TB) string {
		ln := mustListen(tb)
		ln.Close()
		return "http://" + ln.Addr().String() + "/webhook"
	}
	closingURL := func(tb testing.TB) string {
		s := startLoadServer(tb, func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		return s.webhookURL()
	}
	silentURL := func(tb testing.TB) string {
		s := startLoadServer(tb, waitForClient)
		return s.webhookURL()
	}
	tests := []struct {
		name       string
		url        func(testing.TB) string
		want       sender.LoadErrors
		wantSample string
	}{
		{name: "refused", url: refusedURL, want: sender.LoadErrors{Refused: 3}, wantSample: "connection refused"},
		{name: "closed", url: closingURL, want: sender.LoadErrors{Closed: 3}, wantSample: "closed without an answer"},
		{name: "timeout", url: silentURL, want: sender.LoadErrors{Timeout: 3}, wantSample: "no answer in 100ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := mustRunLoad(t, sender.LoadConfig{
				Count: 3, Concurrency: 1, Build: signedBuild(t, tt.url(t)),
				Client: sender.NewLoadClient(1, 100*time.Millisecond, nil),
			})
			samples := rep.Errors.Samples
			rep.Errors.Samples = nil
			if !reflect.DeepEqual(rep.Errors, tt.want) || rep.Failed != 3 || rep.Answered != 0 || len(rep.Statuses) != 0 {
				t.Errorf("errors %+v, failed %d, answered %d, statuses %v; want %+v, 3, 0, none",
					rep.Errors, rep.Failed, rep.Answered, rep.Statuses, tt.want)
			}
			if len(samples) < 1 || len(samples) > 3 || !strings.Contains(samples[0], tt.wantSample) {
				t.Errorf("samples %q: want one to three, the first with %q", samples, tt.wantSample)
			}
		})
	}
}

// TestRunLoadRefusesMalformedRequests: load mode sends only requests with
// their real Content-Length, and says so before sending anything.
func TestRunLoadRefusesMalformedRequests(t *testing.T) {
	s := startLoadServer(t, func(http.ResponseWriter, *http.Request) {})
	tests := []struct {
		name   string
		change func(*sender.Request)
	}{
		{name: "missing", change: func(r *sender.Request) { r.Length = sender.Length{Mode: sender.LengthMissing} }},
		{name: "chunked", change: func(r *sender.Request) { r.Length = sender.Length{Mode: sender.LengthChunked} }},
		{name: "declared", change: func(r *sender.Request) { r.Length = sender.Length{Mode: sender.LengthDeclared, N: 3} }},
		{name: "content-length header", change: func(r *sender.Request) { r.Set("Content-Length", "3") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build := signedBuild(t, s.webhookURL())
			rep, err := sender.RunLoad(t.Context(), sender.LoadConfig{Count: 5, Concurrency: 2, Build: func(i int) (*sender.Request, error) {
				req, err := build(i)
				if err == nil {
					tt.change(req)
				}
				return req, err
			}})
			if !errors.Is(err, sender.ErrLoadLength) {
				t.Errorf("error %v, want sender.ErrLoadLength", err)
			}
			if rep == nil || rep.Sent != 0 {
				t.Errorf("report %+v, want one with nothing sent", rep)
			}
		})
	}
	if n := s.conns.Load(); n != 0 {
		t.Errorf("%d connections were opened, want none", n)
	}
}

// TestRunLoadBuildError stops the run at the first request Build cannot
// make.
func TestRunLoadBuildError(t *testing.T) {
	s := startLoadServer(t, func(http.ResponseWriter, *http.Request) {})
	build := signedBuild(t, s.webhookURL())
	errBroken := errors.New("no more ids")
	rep, err := sender.RunLoad(t.Context(), sender.LoadConfig{Count: 100, Concurrency: 1, Build: func(i int) (*sender.Request, error) {
		if i == 3 {
			return nil, errBroken
		}
		return build(i)
	}})
	if !errors.Is(err, errBroken) || !strings.Contains(err.Error(), "request 3") {
		t.Errorf("error %v, want one saying request 3 could not be built", err)
	}
	if rep == nil || rep.Answered != 3 || rep.Interrupted {
		t.Errorf("report %+v, want 3 answered and not interrupted", rep)
	}
}

func TestRunLoadConfigErrors(t *testing.T) {
	build := func(int) (*sender.Request, error) { return nil, errors.New("not called") }
	tests := []struct {
		name string
		cfg  sender.LoadConfig
		want string
	}{
		{name: "no concurrency", cfg: sender.LoadConfig{Count: 1, Build: build}, want: "concurrency must be 1 to 10000, not 0"},
		{name: "too much concurrency", cfg: sender.LoadConfig{Count: 1, Concurrency: 10001, Build: build}, want: "concurrency must be 1 to 10000, not 10001"},
		{name: "negative count", cfg: sender.LoadConfig{Count: -1, Concurrency: 1, Build: build}, want: "count must not be negative"},
		{name: "no end", cfg: sender.LoadConfig{Concurrency: 1, Build: build}, want: "needs a count, a duration or both"},
		{name: "negative duration", cfg: sender.LoadConfig{Duration: -time.Second, Concurrency: 1, Build: build}, want: "duration must not be negative"},
		{name: "negative rate", cfg: sender.LoadConfig{Count: 1, Concurrency: 1, Rate: -1, Build: build}, want: "rate must not be negative"},
		{name: "no build", cfg: sender.LoadConfig{Count: 1, Concurrency: 1}, want: "needs Build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := sender.RunLoad(t.Context(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || rep != nil {
				t.Errorf("RunLoad = %v, %v; want no report and an error with %q", rep, err, tt.want)
			}
		})
	}
}

// TestRunLoadWire reads what load mode puts on the wire: the method, path
// and query, the headers spelled as built, the real Content-Length and
// body, and nothing net/http would add on its own (a User-Agent,
// Accept-Encoding).
func TestRunLoadWire(t *testing.T) {
	ln := mustListen(t)
	type wire struct {
		head string
		body string
		err  error
	}
	got := make(chan wire, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- wire{err: err}
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		var head strings.Builder
		length := 0
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				got <- wire{err: err}
				return
			}
			head.WriteString(line)
			if line == "\r\n" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		body := make([]byte, length)
		_, err = io.ReadFull(br, body)
		got <- wire{head.String(), string(body), err}
		io.WriteString(conn, "HTTP/1.1 204 No Content\r\n\r\n")
	}()
	t.Cleanup(func() { ln.Close() })

	req := &sender.Request{
		URL:    mustURL(t, "http://"+ln.Addr().String()+"/hooks/in?source=load"),
		Header: []sender.Field{{"webhook-id", "msg_1"}, {"X-GitHub-Event", "push"}},
		Body:   []byte(testPayload),
	}
	rep := mustRunLoad(t, sender.LoadConfig{Count: 1, Concurrency: 1, Build: func(int) (*sender.Request, error) { return req, nil }})
	w := mustReceive(t, got, "request")
	if w.err != nil {
		t.Fatal(w.err)
	}
	wantHead := "POST /hooks/in?source=load HTTP/1.1\r\n" +
		"Host: " + ln.Addr().String() + "\r\n" +
		"Content-Length: " + strconv.Itoa(len(testPayload)) + "\r\n" +
		"X-GitHub-Event: push\r\n" +
		"webhook-id: msg_1\r\n" +
		"\r\n"
	if w.head != wantHead {
		t.Errorf("head\n%q\nwant\n%q", w.head, wantHead)
	}
	if w.body != testPayload {
		t.Errorf("body %q, want %q", w.body, testPayload)
	}
	if want := map[int]int{204: 1}; !maps.Equal(rep.Statuses, want) {
		t.Errorf("statuses %v, want %v", rep.Statuses, want)
	}
}

// TestRunLoadCountsUnexpectedAsTheyCome: a server answers every second
// request 503, then holds the last one until the test has seen, in a
// progress report made while the run goes on, every answer so far with the
// 503s counted as unexpected. Both clients count them.
func TestRunLoadCountsUnexpectedAsTheyCome(t *testing.T) {
	const answered = 6 // before the held request: 3 of them 503
	tests := []struct {
		name           string
		fast           bool // the load client (Delivery), or net/http (Build)
		unexpected     func(status int) bool
		wantUnexpected int // before the held request, which gets 200
		wantAtEnd      int
	}{
		{name: "standard client", unexpected: func(status int) bool { return status >= 500 }, wantUnexpected: 3, wantAtEnd: 3},
		{name: "load client", fast: true, unexpected: func(status int) bool { return status >= 500 }, wantUnexpected: 3, wantAtEnd: 3},
		{name: "load client, every status expected", fast: true},
		{name: "standard client, 200 unexpected", unexpected: func(status int) bool { return status == 200 }, wantUnexpected: 3, wantAtEnd: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			release := make(chan struct{})
			var releaseOnce sync.Once
			releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
			defer releaseAll()
			s := startLoadServer(t, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				switch i := n.Add(1); {
				case i > answered:
					select {
					case <-release:
					case <-r.Context().Done():
					}
				case i%2 == 0:
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			})
			cfg := sender.LoadConfig{Count: answered + 1, Concurrency: 1, Build: signedBuild(t, s.webhookURL())}
			if tt.fast {
				cfg = fastConfig(t, s.webhookURL(), answered+1, 1)
			}
			cfg.Unexpected = tt.unexpected
			progress := make(chan sender.LoadStats, 64)
			cfg.Progress = func(st sender.LoadStats) {
				select {
				case progress <- st:
				default: // the test has what it needs
				}
			}
			type result struct {
				rep *sender.LoadReport
				err error
			}
			done := make(chan result, 1)
			go func() {
				rep, err := sender.RunLoad(t.Context(), cfg)
				done <- result{rep, err}
			}()

			var during sender.LoadStats
			for during.Answered < answered {
				during = mustReceive(t, progress, "a progress report with every answer before the held one")
			}
			releaseAll()
			got := mustReceive(t, done, "the report")
			if during.Answered != answered || during.Unexpected != tt.wantUnexpected || during.Failed != 0 {
				t.Errorf("while the run went on: answered %d, unexpected %d, failed %d; want %d, %d, 0",
					during.Answered, during.Unexpected, during.Failed, answered, tt.wantUnexpected)
			}
			if got.err != nil {
				t.Fatalf("RunLoad: %v", got.err)
			}
			if rep := got.rep; rep.Answered != answered+1 || rep.Unexpected != tt.wantAtEnd {
				t.Errorf("at the end: answered %d, unexpected %d; want %d, %d", rep.Answered, rep.Unexpected, answered+1, tt.wantAtEnd)
			}
		})
	}
}
