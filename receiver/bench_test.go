package receiver

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/signing"
)

// pushOfSize returns a valid push payload of at least n bytes
// (fixtures.PushOfSize).
func pushOfSize(tb testing.TB, n int) []byte {
	tb.Helper()
	body, err := fixtures.PushOfSize(n)
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler, not the recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkHandler is the whole pipeline for a signed GitHub push, with
// JSON logging on (to io.Discard), as listen --log-format json runs it.
func BenchmarkHandler(b *testing.B) {
	for _, size := range []int{8 << 10, 256 << 10} {
		b.Run(strconv.Itoa(size>>10)+"KiB", func(b *testing.B) {
			benchDeliveries(b, size, NewJSONHandler(io.Discard))
		})
	}
}

// benchDeliveries runs b.N signed pushes of about size bytes, each with a
// fresh delivery id, through a Receiver that logs to log.
func benchDeliveries(b *testing.B, size int, log slog.Handler) {
	b.Helper()
	deliver, n := deliveries(b, size, log)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		deliver()
	}
}

// deliveries returns a function that serves one signed push of about size
// bytes, with a fresh delivery id each time, through a Receiver that logs
// to log, and the body's length.
func deliveries(tb testing.TB, size int, log slog.Handler) (deliver func(), n int) {
	tb.Helper()
	body := pushOfSize(tb, size)
	s, err := signing.NewGitHub(testSecret)
	if err != nil {
		tb.Fatal(err)
	}
	rc, err := New(Config{Scheme: s, Logger: slog.New(log)})
	if err != nil {
		tb.Fatal(err)
	}
	reader := bytes.NewReader(body)
	req := httptest.NewRequest(http.MethodPost, DefaultPath, reader)
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(EventHeader, "push")
	req.Header.Set(signing.GitHubSignatureHeader, hubSignature(testSecret, body))
	w := &discardWriter{h: http.Header{}}
	i := 0
	return func() {
		reader.Reset(body)
		req.Body = io.NopCloser(reader)
		req.Header.Set(DeliveryHeader, strconv.Itoa(i))
		i++
		clear(w.h)
		rc.ServeHTTP(w, req)
	}, len(body)
}

// BenchmarkJSON compares ways to check a payload and read its summary.
func BenchmarkJSON(b *testing.B) {
	body := pushOfSize(b, 8<<10)
	b.Run("Valid", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			json.Valid(body)
		}
	})
	b.Run("summarize", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			summarize("github", "push", body)
		}
	})
	b.Run("decodePayload+summarize", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			p, _, _, _ := decodePayload("application/json", body)
			summarize("github", "push", p)
		}
	})
}
