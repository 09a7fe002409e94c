package capture_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/hooklab/hooklab/capture"
	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/signing"
)

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkObserve is what listen's always-on ring adds to each delivery:
// the receiver's pipeline for a signed 8 KiB push, JSON log to io.Discard,
// without an observer ("none") and with the one listen runs ("ring":
// the record built, copied and kept in a Ring).
func BenchmarkObserve(b *testing.B) {
	const secret = "bench-secret-0123456789abcdef0123456789"
	body, err := fixtures.PushOfSize(8 << 10)
	if err != nil {
		b.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	ring := capture.NewRing(1000, 64<<20)
	for _, tt := range []struct {
		name    string
		observe func(*receiver.Delivery) string
	}{
		{name: "none"},
		{name: "ring", observe: func(d *receiver.Delivery) string {
			hs, order := capture.RequestHeaders(d.Request)
			ring.Add(capture.FromDelivery(d, hs, order))
			return ""
		}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			s, err := signing.NewGitHub(secret)
			if err != nil {
				b.Fatal(err)
			}
			rc, err := receiver.New(receiver.Config{Scheme: s, Logger: slog.New(receiver.NewJSONHandler(io.Discard)), Observe: tt.observe})
			if err != nil {
				b.Fatal(err)
			}
			reader := bytes.NewReader(body)
			req := httptest.NewRequest(http.MethodPost, receiver.DefaultPath, reader)
			req.Header.Set("Content-Length", strconv.Itoa(len(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(receiver.EventHeader, "push")
			req.Header.Set(signing.GitHubSignatureHeader, sig)
			w := &discardWriter{h: http.Header{}}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				reader.Reset(body)
				req.Body = io.NopCloser(reader)
				req.Header.Set(receiver.DeliveryHeader, strconv.Itoa(i))
				i++
				clear(w.h)
				rc.ServeHTTP(w, req)
			}
		})
	}
}
