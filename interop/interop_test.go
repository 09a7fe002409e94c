package interop_test

// Helpers shared by the providers' tests. Library to hooklab: a delivery
// signed by the library is checked with signing.Verify and posted with
// net/http to a real receiver (receiver.New behind receiver.Serve on
// 127.0.0.1:0). Hooklab to library: sender.Delivery.Request builds the
// delivery, sender.Client puts it on the wire to a server that only records
// what arrived, and the library verifies the headers and body as net/http
// parsed them, which is what the library gets in production.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/hooklab/hooklab/fixtures"
	"github.com/hooklab/hooklab/internal/servetest"
	"github.com/hooklab/hooklab/receiver"
	"github.com/hooklab/hooklab/sender"
	"github.com/hooklab/hooklab/signing"
)

// signedAt is when the libraries sign in the library-to-hooklab tests, and
// hooklab's clock there: those tests inject the clock, so a fixed time
// keeps them the same on every run. The libraries' verifiers read the real
// clock, so the hooklab-to-library tests sign at time.Now instead.
var signedAt = time.Unix(1780000000, 0)

// stale is how long ago a delivery is signed to be refused as a replay:
// twice the five minutes every library here (and hooklab) tolerates.
const stale = 10 * time.Minute

// mustScheme returns provider's scheme for secrets with the default
// tolerance, as `hooklab listen --provider X` builds it.
func mustScheme(tb testing.TB, provider string, secrets ...string) signing.Scheme {
	tb.Helper()
	s, err := signing.New(provider, secrets, signing.Options{Tolerance: signing.DefaultTolerance})
	if err != nil {
		tb.Fatalf("signing.New(%s): %v", provider, err)
	}
	return s
}

// mustFixtures returns the fixtures of provider, failing the test when
// there are none, so that a renamed provider cannot make a test pass by
// checking nothing.
func mustFixtures(tb testing.TB, provider string) []fixtures.Fixture {
	tb.Helper()
	fx := fixtures.ForProvider(provider)
	if len(fx) == 0 {
		tb.Fatalf("no fixtures for %s", provider)
	}
	return fx
}

// startReceiver serves hooklab's receiver for scheme, with its clock
// stopped at now, on 127.0.0.1:0 until the test ends, and returns its
// webhook URL.
func startReceiver(tb testing.TB, scheme signing.Scheme, now time.Time) string {
	tb.Helper()
	rc, err := receiver.New(receiver.Config{Scheme: scheme, Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	return servetest.Serve(tb, rc, receiver.DefaultLimits())
}

// answer is the part of the receiver's JSON answer these tests check.
type answer struct {
	Status int             `json:"status"`
	Reason receiver.Reason `json:"reason"`
	Event  string          `json:"event"`
	// Message and Warnings say why, and what was accepted although an
	// official library would refuse it.
	Message  string   `json:"message"`
	Warnings []string `json:"warnings"`
}

// post sends body with h to webhookURL with net/http and returns the
// receiver's answer. The header names go on the wire as h spells them, so
// a provider's lowercase names stay lowercase.
func post(tb testing.TB, webhookURL string, h http.Header, body []byte) answer {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, webhookURL, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header = h.Clone()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		tb.Fatalf("answer %d %q is not the receiver's JSON: %v", resp.StatusCode, raw, err)
	}
	if a.Status != resp.StatusCode {
		tb.Errorf("answer body says status %d, the status line %d", a.Status, resp.StatusCode)
	}
	return a
}

// arrival is what a recording server got: the headers and body as net/http
// parsed them.
type arrival struct {
	header http.Header
	body   []byte
	err    error
}

// deliver builds d with sender.Delivery.Request, writes it with
// sender.Client to a server that records what arrives and answers 204, and
// returns the headers and body that arrived.
func deliver(tb testing.TB, d sender.Delivery) (http.Header, []byte) {
	tb.Helper()
	arrived := make(chan arrival, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		arrived <- arrival{header: r.Header.Clone(), body: body, err: err}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL + receiver.DefaultPath)
	if err != nil {
		tb.Fatal(err)
	}
	d.URL = u
	req, err := d.Request()
	if err != nil {
		tb.Fatalf("Delivery.Request: %v", err)
	}
	resp, err := (&sender.Client{Timeout: 10 * time.Second}).Do(context.Background(), req)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.Status != http.StatusNoContent {
		tb.Fatalf("the recording server answered %d, want 204", resp.Status)
	}
	// The handler sent before it answered, and the answer has arrived.
	select {
	case a := <-arrived:
		if a.err != nil {
			tb.Fatalf("reading the body: %v", a.err)
		}
		return a.header, a.body
	default:
		tb.Fatal("the server answered but recorded nothing")
		return nil, nil
	}
}

// checkHooklab checks hooklab's verdict on a delivery a library signed:
// signing.Verify at signedAt, and a real receiver. accepted says whether it
// must pass (200 and the fixture's event) or be refused as a signature
// mismatch (ErrMismatch, 401 signature_mismatch).
func checkHooklab(t *testing.T, webhookURL string, scheme signing.Scheme, fx fixtures.Fixture, h http.Header, accepted bool) {
	t.Helper()
	// A server hands a handler its headers under canonical names, whatever
	// the sender wrote; http.Header's methods look them up that way.
	canonical := http.Header{}
	for name, values := range h {
		canonical[http.CanonicalHeaderKey(name)] = values
	}
	err := signing.Verify(scheme, canonical, fx.Body, signedAt)
	a := post(t, webhookURL, h, fx.Body)
	if accepted {
		if err != nil {
			t.Errorf("signing.Verify: %v", err)
		}
		if a.Status != http.StatusOK || a.Event != fx.Event {
			t.Errorf("receiver answered %d %s for event %q, want 200 ok for %q", a.Status, a.Reason, a.Event, fx.Event)
		}
		return
	}
	if !errors.Is(err, signing.ErrMismatch) {
		t.Errorf("signing.Verify = %v, want a signature mismatch", err)
	}
	if a.Status != http.StatusUnauthorized || a.Reason != receiver.ReasonSignatureMismatch {
		t.Errorf("receiver answered %d %s, want 401 %s", a.Status, a.Reason, receiver.ReasonSignatureMismatch)
	}
}
