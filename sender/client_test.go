package sender_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/sender"
)

// mustDeliveryError unwraps err to the *DeliveryError every failed Do
// returns.
func mustDeliveryError(tb testing.TB, err error) *sender.DeliveryError {
	tb.Helper()
	var de *sender.DeliveryError
	if !errors.As(err, &de) {
		tb.Fatalf("error %v (%T) is not a *sender.DeliveryError", err, err)
	}
	return de
}

// requestTo is testDelivery's request, sent to addr.
func requestTo(tb testing.TB, addr string) *sender.Request {
	tb.Helper()
	req := mustRequest(tb, testDelivery(tb))
	req.URL = mustURL(tb, "http://"+addr+"/webhook")
	return req
}

func TestDoErrors(t *testing.T) {
	refusedAddr := func(tb testing.TB) string {
		ln := mustListen(tb)
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	tests := []struct {
		name     string
		after    afterRequest
		refused  bool // nothing listens
		timeout  time.Duration
		wantKind error
		wantText string
	}{
		{name: "connection refused", refused: true, wantKind: sender.ErrRefused, wantText: "is hooklab listen running?"},
		{name: "no answer in time", after: stayMute, timeout: 200 * time.Millisecond, wantKind: sender.ErrTimeout, wantText: "no answer in 200ms"},
		{name: "closed without an answer", after: hangUp, wantKind: sender.ErrClosed, wantText: "connection closed without an answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addr string
			var rec *recorder
			if tt.refused {
				addr = refusedAddr(t)
			} else {
				rec = startRecorder(t, "", tt.after)
				addr = rec.addr
			}
			client := &sender.Client{Timeout: tt.timeout}
			if client.Timeout == 0 {
				client.Timeout = waitLimit
			}
			resp, err := client.Do(context.Background(), requestTo(t, addr))
			if err == nil {
				t.Fatalf("Do = %d, want an error", resp.Status)
			}
			if resp != nil {
				t.Errorf("Do returned a response with its error: %+v", resp)
			}
			if !errors.Is(err, tt.wantKind) {
				t.Errorf("Do error = %v, want errors.Is %v", err, tt.wantKind)
			}
			de := mustDeliveryError(t, err)
			if de.Kind != tt.wantKind || de.Addr != addr || de.Err == nil {
				t.Errorf("DeliveryError = {Kind %v, Addr %q, Err %v}, want {%v, %q, the cause}", de.Kind, de.Addr, de.Err, tt.wantKind, addr)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.wantText) || !strings.Contains(msg, addr) {
				t.Errorf("message %q does not name %q and the address", msg, tt.wantText)
			}
			if rec != nil {
				got := mustReceive(t, rec.got, "recording")
				if got.err != nil || !requestComplete(got.raw) {
					t.Errorf("the server did not get the whole request (%v): %q", got.err, got.raw)
				}
			}
		})
	}
}

func TestDoCancel(t *testing.T) {
	t.Run("while waiting for the answer", func(t *testing.T) {
		rec := startRecorder(t, "", stayMute)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		type result struct {
			resp *sender.Response
			err  error
		}
		done := make(chan result, 1)
		// A timeout far beyond waitLimit: only the cancellation can end Do
		// in time.
		client := &sender.Client{Timeout: time.Hour}
		req := requestTo(t, rec.addr)
		go func() {
			resp, err := client.Do(ctx, req)
			done <- result{resp, err}
		}()
		mustReceive(t, rec.requested, "request at the server")
		cancel()
		res := mustReceive(t, done, "return from Do after cancel")
		if res.err == nil {
			t.Fatalf("Do = %d after cancel, want an error", res.resp.Status)
		}
		if !errors.Is(res.err, context.Canceled) {
			t.Errorf("Do error = %v, want errors.Is context.Canceled", res.err)
		}
		if errors.Is(res.err, sender.ErrTimeout) {
			t.Errorf("Do error = %v, a timeout; want a cancellation", res.err)
		}
		mustDeliveryError(t, res.err)
	})

	t.Run("before dialling", func(t *testing.T) {
		rec := startRecorder(t, okAnswer, answerThenDrain)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		resp, err := (&sender.Client{Timeout: waitLimit}).Do(ctx, requestTo(t, rec.addr))
		if err == nil {
			t.Fatalf("Do = %d with a cancelled context, want an error", resp.Status)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Do error = %v, want errors.Is context.Canceled", err)
		}
		mustDeliveryError(t, err)
	})
}

// stuckConn is a connection to a receiver that answers after the first
// write and reads nothing more: later writes block until the connection
// is closed, as on a socket whose peer stopped reading.
type stuckConn struct {
	answer     io.Reader // read only by Do's goroutine
	firstWrite chan struct{}
	closed     chan struct{}
	closeOnce  sync.Once
	writes     atomic.Int32
	writing    atomic.Int32 // writes in progress
	sum        atomic.Int64
}

func newStuckConn(answer string) *stuckConn {
	return &stuckConn{answer: strings.NewReader(answer), firstWrite: make(chan struct{}), closed: make(chan struct{})}
}

func (c *stuckConn) Write(p []byte) (int, error) {
	c.writing.Add(1)
	defer c.writing.Add(-1)
	if c.writes.Add(1) == 1 {
		close(c.firstWrite)
		return len(p), nil
	}
	<-c.closed
	// Touch what was to be written, as a kernel copying it would: under
	// -race this shows a writer still using the caller's body.
	var sum int64
	for _, b := range p {
		sum += int64(b)
	}
	c.sum.Add(sum)
	return 0, net.ErrClosed
}

func (c *stuckConn) Read(p []byte) (int, error) {
	select {
	case <-c.firstWrite:
	case <-c.closed:
		return 0, net.ErrClosed
	}
	return c.answer.Read(p)
}

func (c *stuckConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

func (c *stuckConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *stuckConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *stuckConn) SetDeadline(time.Time) error      { return nil }
func (c *stuckConn) SetReadDeadline(time.Time) error  { return nil }
func (c *stuckConn) SetWriteDeadline(time.Time) error { return nil }

// TestDoIsDoneWithTheRequestWhenItReturns: a receiver may answer (413,
// 401) before it reads the body, so Do can have its answer while its
// writer is still blocked writing the body. Do must not return until that
// writer let go of the request and the connection, so that the caller may
// reuse the request.
func TestDoIsDoneWithTheRequestWhenItReturns(t *testing.T) {
	conn := newStuckConn("HTTP/1.1 413 Request Entity Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
	client := &sender.Client{
		Timeout: waitLimit,
		Dial:    func(context.Context, string, string) (net.Conn, error) { return conn, nil },
	}
	req := &sender.Request{URL: mustURL(t, "http://hooks.example.test/webhook"), Body: bytes.Repeat([]byte("a"), 64<<10)}
	resp, err := client.Do(context.Background(), req)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", resp.Status)
	}
	if n := conn.writing.Load(); n != 0 {
		t.Errorf("Do returned with %d write(s) of the request still in progress", n)
	}
	clear(req.Body) // the caller reuses its request; -race objects if Do has not let go
	if conn.writes.Load() < 2 {
		t.Errorf("the body was written in %d write(s); the test needs it blocked in a second one", conn.writes.Load())
	}
}

// startTLSReceiver serves the real receiver over TLS and returns its URL
// and a pool that trusts its certificate.
func startTLSReceiver(tb testing.TB) (string, *x509.CertPool) {
	tb.Helper()
	srv := httptest.NewUnstartedServer(mustReceiver(tb, 0))
	// The bad-certificate test makes the server log a handshake error.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv.URL + receiver.DefaultPath, pool
}

func TestDoTLS(t *testing.T) {
	webhookURL, pool := startTLSReceiver(t)
	tests := []struct {
		name       string
		length     sender.Length
		wantStatus int
		wantReason receiver.Reason
	}{
		{name: "valid", wantStatus: http.StatusOK, wantReason: receiver.ReasonOK},
		{
			// The write side is closed through the TLS connection.
			name: "length missing", length: sender.Length{Mode: sender.LengthMissing},
			wantStatus: http.StatusLengthRequired, wantReason: receiver.ReasonLengthRequired,
		},
		{
			name: "length above the body", length: sender.Length{Mode: sender.LengthDeclared, N: int64(len(testPayload)) + 100},
			wantStatus: http.StatusBadRequest, wantReason: receiver.ReasonBodyIncomplete,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDelivery(t)
			d.URL, d.Length = mustURL(t, webhookURL), tt.length
			client := &sender.Client{TLSConfig: &tls.Config{RootCAs: pool}, Timeout: waitLimit}
			resp, err := client.Do(context.Background(), mustRequest(t, d))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if a := decodeAnswer(t, resp); resp.Status != tt.wantStatus || a.Reason != tt.wantReason {
				t.Errorf("answer = %d %s (%s), want %d %s", resp.Status, a.Reason, a.Message, tt.wantStatus, tt.wantReason)
			}
		})
	}

	t.Run("certificate not trusted", func(t *testing.T) {
		d := testDelivery(t)
		d.URL = mustURL(t, webhookURL)
		resp, err := (&sender.Client{Timeout: waitLimit}).Do(context.Background(), mustRequest(t, d))
		if err == nil {
			t.Fatalf("Do = %d with an untrusted certificate, want an error", resp.Status)
		}
		mustDeliveryError(t, err)
		var verr *tls.CertificateVerificationError
		if !errors.As(err, &verr) {
			t.Errorf("Do error = %v, want a *tls.CertificateVerificationError inside", err)
		}
	})
}
