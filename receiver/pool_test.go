package receiver

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
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
