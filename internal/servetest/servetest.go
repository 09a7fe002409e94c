// Package servetest runs hooklab's server, receiver.Serve, for tests of
// the packages that talk to it over a real connection.
package servetest

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hooklab/hooklab/receiver"
)

// stopWait is how long Serve may take to return once the test ends: far
// more than a clean stop needs, so that only a hang fails.
const stopWait = 30 * time.Second

// Serve serves h with receiver.Serve and lim on 127.0.0.1:0 until the test
// ends, and returns the URL of the webhook path (http://ADDR/webhook). At
// cleanup it stops the server and fails the test unless Serve returns nil
// within stopWait.
func Serve(tb testing.TB, h http.Handler, lim receiver.Limits) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- receiver.Serve(ctx, ln, h, lim, nil) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				tb.Errorf("receiver.Serve: %v", err)
			}
		case <-time.After(stopWait):
			tb.Errorf("receiver.Serve did not return within %s of its context's end", stopWait)
		}
	})
	return "http://" + ln.Addr().String() + receiver.DefaultPath
}
