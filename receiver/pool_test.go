package receiver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/hooklab/hooklab/signing"
)

// Body buffers are pooled, so nothing kept after an answer may point into
// one: a delivery id read from a body (Stripe's) must still be the same
// string after many other bodies have been read into the same buffers.
func TestPooledBodiesDoNotLeakIntoKeptStrings(t *testing.T) {
	s, err := signing.New(signing.ProviderStripe, []string{"whsec_pool-test"}, signing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1780000000, 0)
	rc, _ := mustReceiver(t, Config{Scheme: s, Now: func() time.Time { return now }})
	deliver := func(id string) answer {
		t.Helper()
		body := []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"customer.created","data":{"object":{"id":"cus_1"}}}`, id))
		h, err := s.Sign(signing.Message{Body: body, Time: now})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
		req.Header.Set("Content-Length", strconv.Itoa(len(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(signing.StripeSignatureHeader, h.Get(signing.StripeSignatureHeader))
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, req)
		return answerOf(t, rec)
	}
	if a := deliver("evt_first_one_of_many"); a.Status != 200 || a.Redelivery {
		t.Fatalf("first delivery: %+v", a)
	}
	for i := range 200 {
		deliver(fmt.Sprintf("evt_%021d", i)) // same length, other bytes, same pooled buffers
	}
	if a := deliver("evt_first_one_of_many"); !a.Redelivery || a.Delivery != "evt_first_one_of_many" {
		t.Errorf("the first id was not remembered intact: %+v", a)
	}
}

// TestHandlerAllocatesNothingForTheBody: once warm, a delivery's body,
// answer and log line are written into pooled buffers, so what a 64 KiB
// push allocates is far less than its body: a buffer per request, or a
// copy as io.ReadAll makes, would show here.
func TestHandlerAllocatesNothingForTheBody(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	deliver, n := deliveries(t, 64<<10, NewJSONHandler(io.Discard))
	for range 10 {
		deliver()
	}
	const rounds = 200
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range rounds {
		deliver()
	}
	runtime.ReadMemStats(&after)
	if perDelivery := (after.TotalAlloc - before.TotalAlloc) / rounds; perDelivery > uint64(n)/16 {
		t.Errorf("a %d-byte delivery allocates %d bytes, want under %d: is a buffer not pooled?", n, perDelivery, n/16)
	}
}
