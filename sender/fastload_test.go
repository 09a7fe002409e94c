package sender_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// rawServer answers every request on 127.0.0.1:0 with answer(n), n counting
// the requests on that connection from 1, and closes the connection after
// it when closeAfter(n). It counts the connections it accepted.
type rawServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns int
}

func startRawServer(tb testing.TB, answer func(n int) string, closeAfter func(n int) bool) *rawServer {
	tb.Helper()
	s := &rawServer{ln: mustListen(tb)}
	tb.Cleanup(func() { s.ln.Close() })
	go func() {
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for n := 1; ; n++ {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, r.Body)
					if _, err := io.WriteString(c, answer(n)); err != nil || closeAfter(n) {
						return
					}
				}
			}()
		}
	}()
	return s
}

func (s *rawServer) url() string { return "http://" + s.ln.Addr().String() + "/webhook" }

func (s *rawServer) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func never(int) bool { return false }

// wrongAnswers counts the answers of the "wrong statuses counted" server.
var wrongAnswers atomic.Int64

// fastConfig is a Delivery run of count requests to target, c at a time.
func fastConfig(tb testing.TB, target string, count, c int) sender.LoadConfig {
	tb.Helper()
	d := testDelivery(tb)
	d.URL = mustURL(tb, target)
	return sender.LoadConfig{Count: count, Concurrency: c, Delivery: &d}
}

// TestFastLoadFraming sends 20 requests over 2 connections to receivers
// that frame their answers each way HTTP/1.1 allows: every one is answered
// and counted by status.
func TestFastLoadFraming(t *testing.T) {
	const count = 20
	tests := []struct {
		name       string
		answer     func(n int) string
		closeAfter func(n int) bool
		want       map[int]int
		wantReason string
		maxConns   int // at most this many connections opened
		minConns   int
	}{
		{name: "content-length", answer: func(int) string {
			return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		}, closeAfter: never, want: map[int]int{200: count}, wantReason: "ok", maxConns: 2},
		{name: "chunked with trailers", answer: func(int) string {
			return "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nacc\r\n5\r\nepted\r\n0\r\nX-Trailer: 1\r\n\r\n"
		}, closeAfter: never, want: map[int]int{202: count}, wantReason: "accepted", maxConns: 2},
		{name: "100 continue first", answer: func(int) string {
			return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
		}, closeAfter: never, want: map[int]int{204: count}, maxConns: 2},
		{name: "connection close", answer: func(int) string {
			return "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
		}, closeAfter: func(int) bool { return true }, want: map[int]int{200: count}, minConns: count},
		{name: "body to the end of the connection", answer: func(int) string {
			return "HTTP/1.1 200 OK\r\n\r\nuntil close"
		}, closeAfter: func(int) bool { return true }, want: map[int]int{200: count}, wantReason: "until close", minConns: count},
		{name: "closes between requests unannounced", answer: func(int) string {
			return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		}, closeAfter: func(n int) bool { return n == 3 }, want: map[int]int{200: count}, minConns: 4},
		{name: "wrong statuses counted", answer: func(int) string {
			// Every other answer over both connections, whichever gets
			// more of the requests.
			if wrongAnswers.Add(1)%2 == 0 {
				return "HTTP/1.1 401 Unauthorized\r\nContent-Length: 41\r\n\r\n{\"reason\":\"bad-signature\",\"message\":\"no\"}"
			}
			return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
		}, closeAfter: never, want: map[int]int{200: count / 2, 401: count / 2}, wantReason: "", maxConns: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startRawServer(t, tt.answer, tt.closeAfter)
			rep := mustRunLoad(t, fastConfig(t, s.url(), count, 2))
			if rep.Errors.Total() != 0 || rep.Answered != count || rep.Sent != count {
				t.Fatalf("sent %d, answered %d, errors %+v; want %d answered", rep.Sent, rep.Answered, rep.Errors, count)
			}
			if fmt.Sprint(rep.Statuses) != fmt.Sprint(tt.want) {
				t.Errorf("statuses %v, want %v", rep.Statuses, tt.want)
			}
			for status := range tt.want {
				if status == 200 && tt.wantReason != "" && rep.Reasons[200] != tt.wantReason {
					t.Errorf("reason %q, want %q", rep.Reasons[200], tt.wantReason)
				}
			}
			if tt.want[401] > 0 && rep.Reasons[401] != "bad-signature: no" {
				t.Errorf("401 reason %q", rep.Reasons[401])
			}
			n := s.connCount()
			if (tt.maxConns > 0 && n > tt.maxConns) || n < tt.minConns {
				t.Errorf("%d connections, want %d to %d", n, tt.minConns, tt.maxConns)
			}
			l := rep.Latency
			if l.Max <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.Max {
				t.Errorf("latency %+v", l)
			}
		})
	}
}

// TestFastLoadCannotFollow checks that answers the client cannot follow are
// errors, not hangs, and each closes its connection.
func TestFastLoadCannotFollow(t *testing.T) {
	tests := []struct{ name, answer string }{
		{"not http", "SSH-2.0-OpenSSH\r\n\r\n"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"},
		{"gzip framing", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startRawServer(t, func(int) string { return tt.answer }, func(int) bool { return true })
			rep := mustRunLoad(t, fastConfig(t, s.url(), 3, 1))
			if rep.Answered != 0 || rep.Errors.Total() != 3 {
				t.Errorf("answered %d, errors %+v; want 3 errors", rep.Answered, rep.Errors)
			}
		})
	}
}

// TestFastLoadSignsEachRequest has a receiver check every request's
// signature for its own id (and timestamp), and that no id repeats.
func TestFastLoadSignsEachRequest(t *testing.T) {
	std := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	tests := []struct {
		provider, secret, idHeader string
		keepTime                   bool
		size                       int // of the body; 0 keeps the test delivery's
	}{
		{signing.ProviderGitHub, testSecret, "X-GitHub-Delivery", false, 0},
		{signing.ProviderStandard, std, "webhook-id", false, 0},
		{signing.ProviderStandard, std, "webhook-id", true, 0},
		// A body written in several parts after the head (writePart).
		{signing.ProviderGitHub, testSecret, "X-GitHub-Delivery", false, 200 << 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s keep time %v body %d", tt.provider, tt.keepTime, tt.size), func(t *testing.T) {
			scheme, err := signing.New(tt.provider, []string{tt.secret}, signing.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			ids := map[string]bool{}
			var bad []string
			s := startLoadServer(t, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				err := signing.Verify(scheme, r.Header, body, time.Now())
				mu.Lock()
				id := r.Header.Get(tt.idHeader)
				if err != nil || id == "" || ids[id] {
					bad = append(bad, fmt.Sprintf("id %q: %v", id, err))
				}
				ids[id] = true
				mu.Unlock()
			})
			cfg := fastConfig(t, s.webhookURL(), 100, 4)
			cfg.Delivery.Provider, cfg.Delivery.Secret = tt.provider, tt.secret
			cfg.Delivery.Time, cfg.KeepTime = time.Now(), tt.keepTime
			if tt.size > 0 {
				cfg.Delivery.Payload = []byte(`{"x":"` + strings.Repeat("a", tt.size) + `"}`)
			}
			rep := mustRunLoad(t, cfg)
			if rep.Statuses[200] != 100 {
				t.Errorf("statuses %v, errors %+v", rep.Statuses, rep.Errors)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(bad) > 0 || len(ids) != 100 {
				t.Errorf("%d distinct ids; bad: %v", len(ids), bad)
			}
			if n := s.conns.Load(); n > 4 {
				t.Errorf("%d connections, want at most 4", n)
			}
		})
	}
}

// TestFastLoadTLS sends over TLS to an httptest TLS server.
func TestFastLoadTLS(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	t.Cleanup(ts.Close)
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	cfg := fastConfig(t, ts.URL+"/webhook", 30, 3)
	cfg.Client = sender.NewLoadClient(3, waitLimit, &tls.Config{RootCAs: pool})
	rep := mustRunLoad(t, cfg)
	if rep.Statuses[200] != 30 || rep.Errors.Total() != 0 {
		t.Errorf("statuses %v, errors %+v", rep.Statuses, rep.Errors)
	}
	// Untrusted: every request fails, none hangs.
	cfg.Client = nil
	cfg.Count = 2
	rep = mustRunLoad(t, cfg)
	if rep.Errors.Total() != 2 || !strings.Contains(strings.Join(rep.Errors.Samples, " "), "certificate") {
		t.Errorf("untrusted: errors %+v", rep.Errors)
	}
}

// TestFastLoadRefused counts a receiver that is not there as refused.
func TestFastLoadRefused(t *testing.T) {
	ln := mustListen(t)
	addr := ln.Addr().String()
	ln.Close()
	rep := mustRunLoad(t, fastConfig(t, "http://"+addr+"/", 3, 1))
	if rep.Errors.Refused != 3 {
		t.Errorf("errors %+v, want 3 refused", rep.Errors)
	}
}

// TestFastLoadRejectsMalformed refuses a Delivery with a length mode.
func TestFastLoadRejectsMalformed(t *testing.T) {
	cfg := fastConfig(t, "http://127.0.0.1:1/", 1, 1)
	cfg.Delivery.Length = sender.Length{Mode: sender.LengthChunked}
	_, err := sender.RunLoad(t.Context(), cfg)
	if !errors.Is(err, sender.ErrLoadLength) {
		t.Errorf("err %v, want ErrLoadLength", err)
	}
}

// TestFastLoadAlreadyCancelled: a run whose context has ended before it
// starts sends nothing, however quickly its requests would fail.
func TestFastLoadAlreadyCancelled(t *testing.T) {
	ln := mustListen(t)
	ln.Close() // refused: each request fails at once
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rep, err := sender.RunLoad(ctx, fastConfig(t, "http://"+ln.Addr().String()+"/webhook", 100000, 1))
	if err != nil {
		t.Fatalf("RunLoad: %v", err)
	}
	if !rep.Interrupted || rep.Sent != 0 {
		t.Errorf("interrupted %v, sent %d; want true, 0", rep.Interrupted, rep.Sent)
	}
}
