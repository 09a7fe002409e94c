package inspect

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hooklab/hooklab/capture"
)

const (
	testToken = "0123456789abcdef0123456789abcdef"
	testHost  = "127.0.0.1:4040"
)

// testStatic stands in for the page.
var testStatic = fstest.MapFS{
	"index.html": {Data: []byte("<!doctype html><title>hooklab</title>")},
	"app.js":     {Data: []byte("'use strict';")},
	"app.css":    {Data: []byte("body{}")},
}

// mustServer returns a Server of cfg, with a ring, the test token and the
// test page unless cfg has its own, closed when the test ends.
func mustServer(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.Ring == nil {
		cfg.Ring = capture.NewRing(100, 0)
	}
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	if cfg.Static == nil {
		cfg.Static = testStatic
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// testRecord returns a delivery with seq.
func testRecord(seq uint64) *capture.Record {
	body := []byte(`{"zen":"Keep it logically awesome.","n":` + strings.Repeat("1", int(seq)) + `}`)
	rec := &capture.Record{
		Version: capture.FormatVersion,
		Seq:     seq,
		Time:    time.Date(2025, 6, 1, 12, 0, int(seq), 0, time.UTC),
		Remote:  "127.0.0.1:50000",
		Method:  http.MethodPost,
		Target:  "/webhook?x=1",
		Proto:   "HTTP/1.1",
		Headers: []capture.Header{
			{"Host", "127.0.0.1:8080"},
			{"X-GitHub-Event", "push"},
			{"content-type", "application/json"},
			{"X-Hub-Signature-256", "sha256=00"},
			{"X-Custom", "one"},
			{"X-Custom", "two"},
		},
		HeadersOrder: capture.OrderWire,
		Body:         body,
		BodyComplete: true,
		Verdict: capture.Verdict{
			Status: 401, Reason: "signature_mismatch", Detail: "the signature does not match",
			Provider: "github", Event: "push", Action: "opened", Delivery: "d-1",
			Summary: "push to main", Redelivery: true, Header: "X-Hub-Signature-256", DurationMS: 1.5,
		},
		Answered: 401,
	}
	rec.BodySHA256 = rec.Sum()
	return rec
}

// request is one request to a Server in a test.
type request struct {
	method, target, host string
	header               map[string]string
	body                 string
}

// serve answers req with h, on the test goroutine. Its context is
// already done, so that an event stream ends after its first events.
func serve(tb testing.TB, h http.Handler, req request) *httptest.ResponseRecorder {
	tb.Helper()
	if req.method == "" {
		req.method = http.MethodGet
	}
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r := httptest.NewRequest(req.method, req.target, body)
	r.Host = req.host
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	if strings.HasPrefix(req.target, "/api/events") {
		ctx, cancel := context.WithCancel(r.Context())
		cancel()
		r = r.WithContext(ctx)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
