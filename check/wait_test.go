package check_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/check"
)

// mustFreeAddr returns a loopback address that nothing listens on (one the
// system just handed out and took back).
func mustFreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatal(err)
	}
	return addr
}

// TestWaitForReceiverStartsLate: a receiver that starts listening only
// after the first attempt failed is waited for, and then the run passes.
func TestWaitForReceiverStartsLate(t *testing.T) {
	addr := mustFreeAddr(t)
	u := &url.URL{Scheme: "http", Host: addr, Path: "/webhook"}
	refused := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		// Generous: the test starts the receiver as soon as it hears of
		// the first refusal.
		done <- check.WaitForReceiver(context.Background(), u, time.Minute, func(err error) {
			select {
			case refused <- err:
			default:
			}
		})
	}()
	select {
	case err := <-refused:
		if err == nil {
			t.Fatal("retrying was called with a nil error")
		}
	case err := <-done:
		t.Fatalf("WaitForReceiver returned %v before anything listened", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the free port was taken meanwhile: %v", err)
	}
	srv := &http.Server{Handler: okHandler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	if err := <-done; err != nil {
		t.Fatalf("WaitForReceiver: %v", err)
	}
	cfg := config(u)
	cfg.Only = []string{"valid-json"}
	if report := mustRun(t, cfg); !report.OK() {
		t.Errorf("the run after the wait failed:%s", describe(report))
	}
}

// TestWaitForReceiverNeverStarts: nothing ever listens, and the wait ends
// in one error that says where and for how long.
func TestWaitForReceiverNeverStarts(t *testing.T) {
	addr := mustFreeAddr(t)
	u := &url.URL{Scheme: "http", Host: addr, Path: "/webhook"}
	attempts := 0
	err := check.WaitForReceiver(context.Background(), u, 300*time.Millisecond, func(error) { attempts++ })
	var nl *check.NotListeningError
	if !errors.As(err, &nl) {
		t.Fatalf("error %v, want a *check.NotListeningError", err)
	}
	want := "nothing accepted connections at " + addr + " within 300ms"
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q, want it to start %q and say connection refused", err, want)
	}
	if attempts == 0 {
		t.Error("retrying was never called")
	}
}

func TestWaitForReceiverCases(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() }) // accepts into its backlog: a connection succeeds
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		u       *url.URL
		wantErr func(error) bool
	}{
		{name: "already listening", ctx: context.Background(), u: &url.URL{Scheme: "http", Host: ln.Addr().String()},
			wantErr: func(err error) bool { return err == nil }},
		{name: "cancelled", ctx: cancelled, u: &url.URL{Scheme: "http", Host: mustFreeAddr(t)},
			wantErr: func(err error) bool { return errors.Is(err, context.Canceled) }},
		{name: "no URL", ctx: context.Background(), u: nil,
			wantErr: func(err error) bool { return err != nil && strings.Contains(err.Error(), "no URL") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := check.WaitForReceiver(tt.ctx, tt.u, time.Minute, nil); !tt.wantErr(err) {
				t.Errorf("WaitForReceiver: %v", err)
			}
		})
	}
}

func TestHostPort(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{name: "port given", url: "http://127.0.0.1:3000/webhook", want: "127.0.0.1:3000"},
		{name: "http", url: "http://example.test/webhook", want: "example.test:80"},
		{name: "https", url: "https://example.test/webhook", want: "example.test:443"},
		{name: "IPv6", url: "http://[::1]/webhook", want: "[::1]:80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := check.HostPort(u); got != tt.want {
				t.Errorf("hostPort(%s) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}
