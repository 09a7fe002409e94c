package sender_test

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hooklab/hooklab/sender"
)

// benchLoad runs b.N signed GitHub requests of size bytes, 32 at a time,
// against a bare loopback handler, through the load client (fast) or
// net/http.
func benchLoad(b *testing.B, fast bool, size int) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer s.Close()
	d := testDelivery(b)
	d.URL = mustURL(b, s.URL+"/webhook")
	d.Payload = []byte(`{"x":"` + string(make([]byte, size)) + `"}`)
	for i := range d.Payload[6 : len(d.Payload)-2] {
		d.Payload[6+i] = 'a'
	}
	cfg := sender.LoadConfig{Count: b.N, Concurrency: 32}
	if fast {
		cfg.Delivery = &d
	} else {
		cfg.Build = func(int) (*sender.Request, error) {
			d := d
			id, err := sender.NewID(rand.Reader)
			if err != nil {
				return nil, err
			}
			d.ID, d.Time = id, time.Now()
			return d.Request()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	rep := mustRunLoad(b, cfg)
	if rep.Statuses[200] != b.N {
		b.Fatalf("statuses %v, errors %+v", rep.Statuses, rep.Errors)
	}
	b.ReportMetric(rep.RequestsPerSecond(), "req/s")
}

func BenchmarkFastClient(b *testing.B)    { benchLoad(b, true, 8<<10) }
func BenchmarkNetHTTPClient(b *testing.B) { benchLoad(b, false, 8<<10) }

// At 256 KiB the copying, not the client's work per request, decides.
func BenchmarkFastClient256KiB(b *testing.B)    { benchLoad(b, true, 256<<10) }
func BenchmarkNetHTTPClient256KiB(b *testing.B) { benchLoad(b, false, 256<<10) }
